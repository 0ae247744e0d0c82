/**
 * `--k8s DIR`: the manifests that run a sharded study on a Kubernetes cluster, and the script
 * that applies them in order.
 *
 * - parts-pvc.yaml: a ReadWriteMany PersistentVolumeClaim where the shards write their parts;
 * - shards.yaml: the scenario as a ConfigMap, and an Indexed Job with one completion per shard
 *   (each pod runs the command with `--shards N`; the Job controller sets JOB_COMPLETION_INDEX);
 * - merge.yaml: a Job that merges the parts into result.json on the same volume;
 * - run.sh: applies them and waits; for a capacity search, one shards Job and one merge per wave
 *   until the merge says the result is written.
 *
 * Every value from the user (names, flags, the scenario text) goes through the YAML library's
 * quoting, so none can add keys; names become Kubernetes names.
 */
// Types only (erased at build): the objects are checked against the Kubernetes API's types by tsc.
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { stringify } from 'yaml';
import { commentText, shellWord } from '../k6/literals.ts';
import { configMapKey, kubernetesName } from '../k6/operator.ts';

export interface K8sStudyOptions {
  command: 'compare' | 'sweep' | 'capacity';
  /** Base of the resource names (the scenario's name). */
  name: string;
  /** The scenario file's name and text (they go into the ConfigMap). */
  scenarioFile: string;
  scenarioText: string;
  /** The command's flags that define the study (seeds, policies, values, ...), without --out. */
  studyArgs: string[];
  shards: number;
  /** Pods running at once (default: every shard). */
  parallelism?: number;
  image: string;
  /** Storage class of the parts volume (default: the cluster's). */
  storageClass?: string;
}

export interface K8sFiles {
  'parts-pvc.yaml': string;
  'shards.yaml': string;
  'merge.yaml': string;
  'run.sh': string;
}

const SCENARIO_DIR = '/scenario';
const PARTS_DIR = '/parts';

export function k8sManifests(o: K8sStudyOptions): K8sFiles {
  const name = kubernetesName(`floodgate-${o.command}-${o.name}`).slice(0, 40).replace(/-+$/, '');
  const labels = { 'app.kubernetes.io/name': 'floodgate', 'app.kubernetes.io/instance': name };
  const key = configMapKey(o.scenarioFile);
  const pvc = `${name}-parts`;
  const waves = o.command === 'capacity';
  const mounts: IVolumeMount[] = [
    { name: 'scenario', mountPath: SCENARIO_DIR, readOnly: true },
    { name: 'parts', mountPath: PARTS_DIR },
  ];
  const podSecurity: IPodSecurityContext = {
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    fsGroup: 1000,
  };
  const container = (containerName: string, args: string[], volumeMounts: IVolumeMount[]): IContainer => ({
    name: containerName,
    image: o.image,
    args,
    resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '4Gi' } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: false },
    volumeMounts,
  });
  const partsVolume: IVolume = { name: 'parts', persistentVolumeClaim: { claimName: pvc } };
  const configMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${name}-scenario`, labels },
    data: { [key]: o.scenarioText },
  };
  const shardArgs = [
    o.command,
    `${SCENARIO_DIR}/${key}`,
    ...o.studyArgs,
    '--shards',
    String(o.shards),
    '--jobs',
    '1',
    '--quiet',
    ...(waves ? ['--wave-dir', PARTS_DIR] : ['--out', `${PARTS_DIR}/`]),
  ];
  const job: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: Math.min(o.parallelism ?? o.shards, o.shards),
      backoffLimit: Math.min(6 * o.shards, 1000),
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          securityContext: podSecurity,
          containers: [container('shard', shardArgs, mounts)],
          volumes: [{ name: 'scenario', configMap: { name: `${name}-scenario` } }, partsVolume],
        },
      },
    },
  };
  const mergeArgs = waves
    ? ['merge', '--wave-dir', PARTS_DIR, '--out', `${PARTS_DIR}/result.json`]
    : ['merge', PARTS_DIR, '--out', `${PARTS_DIR}/result.json`];
  const merge: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${name}-merge`, labels },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          securityContext: podSecurity,
          containers: [container('merge', mergeArgs, [mounts[1]!])],
          volumes: [partsVolume],
        },
      },
    },
  };
  const claim: IPersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: pvc, labels },
    spec: {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '1Gi' } },
      ...(o.storageClass ? { storageClassName: o.storageClass } : {}),
    },
  };
  const header = (lines: string[]) => `${lines.map((l) => `# ${commentText(l)}`).join('\n')}\n`;
  const doc = (v: object) => stringify(v, { lineWidth: 0 });
  return {
    'parts-pvc.yaml': `${header([
      `Where the ${o.shards} shards of ${name} write their parts (ReadWriteMany: every pod mounts it).`,
      'Give storageClassName a class with ReadWriteMany (NFS, CephFS, EFS, Filestore, Azure Files) if the default has none.',
    ])}${doc(claim)}`,
    'shards.yaml': `${header([
      `Generated by floodgate ${o.command} --k8s: the scenario as a ConfigMap, and an Indexed Job of ${o.shards} shards.`,
      `Each pod runs shard JOB_COMPLETION_INDEX + 1 of ${o.shards} and writes its part to ${PARTS_DIR}.`,
      'Apply with run.sh (beside this file), or: kubectl apply -f parts-pvc.yaml -f shards.yaml, then merge.yaml.',
    ])}${doc(configMap)}---\n${doc(job)}`,
    'merge.yaml': `${header([
      waves
        ? `Merges one wave of ${name}: the result in ${PARTS_DIR}/result.json, or the state the next wave starts from.`
        : `Merges the ${o.shards} parts of ${name} into ${PARTS_DIR}/result.json (byte-identical to an unsharded run).`,
      `Read it with: kubectl logs job/${name}-merge`,
    ])}${doc(merge)}`,
    'run.sh': runScript(name, waves),
  };
}

function runScript(name: string, waves: boolean): string {
  const job = shellWord(`job/${name}`);
  const mergeJob = shellWord(`job/${name}-merge`);
  const once = [
    `  kubectl delete ${job} ${mergeJob} --ignore-not-found`,
    '  kubectl apply -f shards.yaml',
    `  kubectl wait --for=condition=complete ${job} --timeout=24h`,
    '  kubectl apply -f merge.yaml',
    `  kubectl wait --for=condition=complete ${mergeJob} --timeout=1h`,
    `  kubectl logs ${mergeJob} | tee merge.log`,
  ];
  return [
    '#!/bin/sh',
    `# Runs ${commentText(name)} on the current kubectl context and prints the merge's report.`,
    '# The result stays on the parts volume (result.json); copy it out with kubectl cp from a pod that mounts it.',
    'set -eu',
    'cd "$(dirname "$0")"',
    'kubectl apply -f parts-pvc.yaml',
    ...(waves
      ? [
          '# A capacity search runs in waves: each wave is one shards Job and one merge, until the result is written.',
          'while :; do',
          ...once,
          "  grep -q '^result written' merge.log && break",
          'done',
        ]
      : ['{', ...once, '}']),
    '',
  ].join('\n');
}
