/**
 * `--k8s DIR`: the manifests of compare, sweep and capacity (in waves) validate against the
 * Kubernetes API of three versions: the full JSON schema of 1.33 and 1.34 (kubernetes-models 4.5.1
 * and 5.1.0, the newest npm ships: types, required fields, enums, formats; the generator's objects
 * are also typed against 1.34 by tsc, which rejects unknown fields), and a strict structural check
 * against 1.36 (k8s-structure.ts: the field names and types of @kubernetes/client-node 2.0.1,
 * generated from release-1.36, plus the required fields listed there; no enums or formats), which
 * is shown to refuse an unknown field, a wrong type and a missing required field. Their commands
 * work: the Indexed Job's container run once per completion index, then the merge Job's, give the
 * unsharded result, for a capacity search in waves too.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim as Pvc } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Job as Job133 } from 'kubernetes-models-4/batch/v1/Job';
import { ConfigMap as ConfigMap133 } from 'kubernetes-models-4/v1/ConfigMap';
import { PersistentVolumeClaim as Pvc133 } from 'kubernetes-models-4/v1/PersistentVolumeClaim';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { k8sManifests } from '../../src/shard/k8s.ts';
import { BIN, ROOT, runCli } from '../cli/process.ts';
import { REQUIRED, structureProblems } from './k8s-structure.ts';

const exec = promisify(execFile);

const QUEUE = `name: servers
duration: 10m
providers:
  - { name: q, kind: queue, servers: 4, service: 1s }
workload:
  arrivals: { rate: 5/s }
  classes: [{ name: job }]
slos:
  - { metric: e2e.p99, max: 2s }
`;

// biome-ignore lint/suspicious/noExplicitAny: the models' constructors take their own data types
type Model = new (data: any) => { validate(): void };
const MODELS: Record<string, Record<string, Model>> = {
  '1.33': { Job: Job133, ConfigMap: ConfigMap133, PersistentVolumeClaim: Pvc133 },
  '1.34': { Job, ConfigMap, PersistentVolumeClaim: Pvc },
};

/**
 * Every object of every manifest file, validated against each Kubernetes version's schema (1.33,
 * 1.34) and against the 1.36 API types (structure: field names, types, required fields).
 */
function validate(files: Record<string, string>): Record<string, unknown>[] {
  const objects = Object.entries(files)
    .filter(([f]) => f.endsWith('.yaml'))
    .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>));
  for (const [version, models] of Object.entries(MODELS))
    for (const o of objects) {
      const model = models[String(o['kind'])];
      expect(model, `${version}: ${String(o['kind'])}`).toBeDefined();
      expect(() => new model!(o).validate(), `${version}: ${String(o['kind'])}`).not.toThrow();
    }
  for (const o of objects) expect(structureProblems(o), `1.36: ${String(o['kind'])}`).toEqual([]);
  return objects;
}

// biome-ignore lint/suspicious/noExplicitAny: parsed manifests, read by path in the assertions
type Manifest = any;

let dir: string;
let scenario: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fg-k8s-'));
  scenario = join(dir, 'queue.yaml');
  await writeFile(scenario, QUEUE);
});

async function readManifests(k8s: string): Promise<Record<string, string>> {
  const names = ['parts-pvc.yaml', 'shards.yaml', 'merge.yaml', 'run.sh'];
  return Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await readFile(join(k8s, n), 'utf8')])),
  );
}

/** Runs a container's args as the pod would, with /scenario and /parts mapped to local folders. */
async function runPod(args: string[], env: Record<string, string>, root: string): Promise<string> {
  const local = args.map((a) =>
    a.replace(/^\/scenario\//, `${root}/scenario/`).replace(/^\/parts/, `${root}/parts`),
  );
  const { stdout } = await exec(process.execPath, [BIN, ...local], { env: { ...process.env, ...env } });
  return stdout;
}

describe('floodgate compare --k8s', () => {
  it('writes a ConfigMap, an Indexed Job, a merge Job and a parts volume that validate', async () => {
    const k8s = join(dir, 'compare-k8s');
    const r = await runCli([
      'compare',
      scenario,
      '--policies',
      'round-robin,random',
      '--seeds',
      '3',
      '--shards',
      '4',
      '--parallelism',
      '2',
      '--image',
      'registry.example/floodgate:0.1.0',
      '--k8s',
      k8s,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Kubernetes manifests for 4 shards written to/);
    const files = await readManifests(k8s);
    const [pvc, configMap, job, merge] = validate(files) as Manifest[];
    expect(pvc.spec.accessModes).toEqual(['ReadWriteMany']);
    expect(configMap.data['queue.yaml']).toBe(QUEUE);
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 2 });
    const pod = job.spec.template.spec;
    expect(pod.containers[0].image).toBe('registry.example/floodgate:0.1.0');
    expect(pod.containers[0].args).toEqual([
      'compare',
      '/scenario/queue.yaml',
      '--policies',
      'round-robin,random',
      '--seeds',
      '3',
      '--objective',
      'goodput',
      '--shards',
      '4',
      '--jobs',
      '1',
      '--quiet',
      '--out',
      '/parts/',
    ]);
    expect(pod.volumes).toContainEqual({ name: 'scenario', configMap: { name: configMap.metadata.name } });
    expect(merge.spec.template.spec.containers[0].args).toEqual([
      'merge',
      '/parts',
      '--out',
      '/parts/result.json',
    ]);
    expect(files['run.sh']).toMatch(/kubectl apply -f shards\.yaml/);

    // The pods' commands, run here: one per completion index, then the merge.
    const root = join(dir, 'compare-pods');
    await exec('mkdir', ['-p', `${root}/scenario`, `${root}/parts`]);
    await writeFile(`${root}/scenario/queue.yaml`, configMap.data['queue.yaml']);
    for (const index of [0, 1, 2, 3])
      await runPod(pod.containers[0].args, { JOB_COMPLETION_INDEX: String(index) }, root);
    await runPod(merge.spec.template.spec.containers[0].args, {}, root);
    const whole = join(dir, 'compare-whole.json');
    await runCli([
      'compare',
      `${root}/scenario/queue.yaml`,
      '--policies',
      'round-robin,random',
      '--seeds',
      '3',
      '--out',
      whole,
      '--quiet',
    ]);
    expect(await readFile(`${root}/parts/result.json`, 'utf8')).toBe(await readFile(whole, 'utf8'));
  });
});

describe('floodgate sweep --k8s', () => {
  it('writes manifests that validate, with a storage class too', async () => {
    const k8s = join(dir, 'sweep-k8s');
    const storm = join(ROOT, 'scenarios/retry-storm.yaml');
    const flags = ['--vary', 'workload.arrivals.rate', '--values', '20/s,30/s', '--seeds', '2'];
    const r = await runCli([
      'sweep',
      storm,
      ...flags,
      '--shards',
      '2',
      '--storage-class',
      'cephfs.rwx',
      '--k8s',
      k8s,
    ]);
    expect(r.code).toBe(0);
    const [cliPvc, , job] = validate(await readManifests(k8s)) as Manifest[];
    expect(cliPvc!.spec.storageClassName).toBe('cephfs.rwx');
    expect(job.spec.template.spec.containers[0].args.slice(0, 2)).toEqual([
      'sweep',
      '/scenario/retry-storm.yaml',
    ]);
    const [pvc] = validate(sweepFiles('nfs'));
    expect((pvc as Manifest).spec.storageClassName).toBe('nfs');
  });

  it('refuses a storage class name Kubernetes would refuse, with exit 2 and nothing written', async () => {
    const k8s = join(dir, 'sweep-k8s-bad-class');
    const storm = join(ROOT, 'scenarios/retry-storm.yaml');
    const r = await runCli([
      'sweep',
      storm,
      '--vary',
      'workload.arrivals.rate',
      '--values',
      '20/s,30/s',
      '--shards',
      '2',
      '--storage-class',
      'Fast_SSD',
      '--k8s',
      k8s,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--storage-class: expected a storage class name .* got 'Fast_SSD'/);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    await expect(readManifests(k8s)).rejects.toThrow();
  });
});

/** A sweep's manifests, generated in-process (the CLI has no flag for the storage class). */
function sweepFiles(storageClass?: string): Record<string, string> {
  return {
    ...k8sManifests({
      command: 'sweep',
      name: 'queue',
      scenarioFile: 'queue.yaml',
      scenarioText: QUEUE,
      studyArgs: ['--vary', 'providers[0].servers', '--values', '2,4'],
      shards: 2,
      image: 'floodgate:0.1.0',
      ...(storageClass ? { storageClass } : {}),
    }),
  };
}

describe('the Kubernetes 1.36 structural check', () => {
  /** The generated PVC, ConfigMap, shard Job and merge Job, fresh for each mutation. */
  const objects = (): Manifest[] =>
    ['parts-pvc.yaml', 'shards.yaml', 'merge.yaml'].flatMap((f) =>
      parseAllDocuments(sweepFiles()[f]!).map((d) => d.toJS()),
    );

  it('accepts the generated objects, both forms of an IntOrString and string quantities', () => {
    const [pvc, configMap, job] = objects();
    for (const o of [pvc, configMap, job]) expect(structureProblems(o)).toEqual([]);
    const container = job.spec.template.spec.containers[0];
    for (const port of [8080, 'http']) {
      container.livenessProbe = { httpGet: { path: '/healthz', port } };
      expect(structureProblems(job)).toEqual([]);
    }
    expect(container.resources.requests).toEqual({ cpu: '1', memory: '1Gi' });
  });

  it('refuses an unknown field, naming its path', () => {
    const [pvc, configMap, job] = objects();
    job.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
    expect(structureProblems(job)).toEqual([
      'spec.template.spec.containers[0].imagePullPolicyy: unknown field "imagePullPolicyy" of V1Container',
    ]);
    configMap.binary = {};
    expect(structureProblems(configMap)).toEqual(['binary: unknown field "binary" of V1ConfigMap']);
    pvc.spec.resources.request = { storage: '1Gi' };
    expect(structureProblems(pvc)).toEqual([
      'spec.resources.request: unknown field "request" of V1VolumeResourceRequirements',
    ]);
  });

  it('refuses a wrong type, naming its path, through lists, maps and nested types', () => {
    const [, configMap, job] = objects();
    job.spec.completions = '2';
    job.spec.parallelism = 1.5;
    job.spec.template.spec.containers[0].args = 'sweep';
    job.spec.template.spec.containers[0].resources.requests.cpu = 1;
    job.spec.template.spec.volumes[0].configMap = 'queue';
    job.spec.template.spec.containers[0].livenessProbe = { httpGet: { port: true } };
    expect(structureProblems(job)).toEqual([
      'spec.completions: expected an integer (int32), found string "2"',
      'spec.parallelism: expected an integer (int32), found number 1.5',
      'spec.template.spec.containers[0].args: expected a list (Array<string>), found string "sweep"',
      'spec.template.spec.containers[0].resources.requests.cpu: expected a string, found number 1',
      'spec.template.spec.containers[0].livenessProbe.httpGet.port: expected an integer or a string, found boolean true',
      'spec.template.spec.volumes[0].configMap: expected an object (V1ConfigMapVolumeSource), found string "queue"',
    ]);
    configMap.data = ['queue.yaml'];
    expect(structureProblems(configMap)).toEqual([
      'data: expected a map ({ [key: string]: string; }), found an array',
    ]);
  });

  it('refuses a missing required field, naming its path', () => {
    const [pvc, , job] = objects();
    delete job.spec.template.spec.containers[0].image;
    delete job.spec.template.spec.volumes[1].persistentVolumeClaim.claimName;
    expect(structureProblems(job)).toEqual([
      'spec.template.spec.containers[0].image: required field of V1Container missing',
      'spec.template.spec.volumes[1].persistentVolumeClaim.claimName: required field of V1PersistentVolumeClaimVolumeSource missing',
    ]);
    delete job.spec.template;
    expect(structureProblems(job)).toEqual(['spec.template: required field of V1JobSpec missing']);
    delete pvc.spec.accessModes;
    expect(structureProblems(pvc)).toEqual([
      'spec.accessModes: required field of V1PersistentVolumeClaimSpec missing',
    ]);
  });

  it('lists as required exactly the fields the 1.36 types mark required, in every type walked', () => {
    const seen = new Set<string>(Object.keys(REQUIRED));
    for (const o of objects()) expect(structureProblems(o, seen)).toEqual([]);
    expect(seen).toContain('V1PersistentVolumeClaimVolumeSource');
    for (const type of seen) {
      // client-node declares a field the OpenAPI specification requires without `?`.
      const declaration = readFileSync(
        join(ROOT, 'node_modules/@kubernetes/client-node/dist/gen/models', `${type}.d.ts`),
        'utf8',
      );
      const required = [...declaration.matchAll(/^ {4}'(\w+)': /gm)].map((m) => m[1]);
      expect((REQUIRED[type] ?? []).slice().sort(), type).toEqual(required.sort());
    }
  });

  it('refuses an apiVersion or kind that does not match', () => {
    const [, configMap, job] = objects();
    job.apiVersion = 'v1';
    expect(structureProblems(job)).toEqual([
      'apiVersion/kind: "v1 Job" is none of batch/v1 Job, v1 ConfigMap, v1 PersistentVolumeClaim',
    ]);
    configMap.kind = 'Secret';
    expect(structureProblems(configMap)).toEqual([
      'apiVersion/kind: "v1 Secret" is none of batch/v1 Job, v1 ConfigMap, v1 PersistentVolumeClaim',
    ]);
  });
});

describe('floodgate capacity --k8s', () => {
  it('runs the waves from one Job spec and one merge spec until the result is written', async () => {
    const k8s = join(dir, 'capacity-k8s');
    const flags = ['--vary', 'providers[0].servers', '--range', '1..24', '--seeds', '2'];
    expect((await runCli(['capacity', scenario, ...flags, '--shards', '3', '--k8s', k8s])).code).toBe(0);
    const files = await readManifests(k8s);
    const [, configMap, job, merge] = validate(files) as Manifest[];
    const shardArgs: string[] = job.spec.template.spec.containers[0].args;
    expect(shardArgs.slice(-2)).toEqual(['--wave-dir', '/parts']);
    expect(merge.spec.template.spec.containers[0].args).toEqual([
      'merge',
      '--wave-dir',
      '/parts',
      '--out',
      '/parts/result.json',
    ]);
    expect(files['run.sh']).toMatch(/while :; do/);
    expect(files['run.sh']).toMatch(/grep -q '\^result written' merge\.log && break/);

    const root = join(dir, 'capacity-pods');
    await exec('mkdir', ['-p', `${root}/scenario`, `${root}/parts`]);
    await writeFile(`${root}/scenario/queue.yaml`, configMap.data['queue.yaml']);
    let waves = 0;
    for (let log = ''; !/^result written/m.test(log) && waves < 10; waves++) {
      for (const index of [0, 1, 2]) await runPod(shardArgs, { JOB_COMPLETION_INDEX: String(index) }, root);
      log = await runPod(merge.spec.template.spec.containers[0].args, {}, root);
    }
    const whole = join(dir, 'capacity-whole.json');
    await runCli(['capacity', `${root}/scenario/queue.yaml`, ...flags, '--out', whole, '--quiet']);
    expect(waves).toBeGreaterThan(1);
    expect(await readFile(`${root}/parts/result.json`, 'utf8')).toBe(await readFile(whole, 'utf8'));
  });
});

describe('manifests from hostile text', () => {
  it('keep their structure: names become Kubernetes names, text stays a value', () => {
    const evil = 'x\n  evil: true\n---\nkind: Secret # ';
    const files = k8sManifests({
      command: 'sweep',
      name: evil,
      scenarioFile: `${evil}.yaml`,
      scenarioText: evil,
      studyArgs: ['--set', evil],
      shards: 2,
      image: evil,
    });
    const objects = Object.entries(files)
      .filter(([f]) => f.endsWith('.yaml'))
      .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS()));
    expect(objects.map((o) => o.kind)).toEqual(['PersistentVolumeClaim', 'ConfigMap', 'Job', 'Job']);
    for (const o of objects) expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(Object.values(objects[1].data)).toEqual([evil]);
    expect(objects[2].spec.template.spec.containers[0].args).toContain(evil);
    expect(objects[2].spec.template.spec.containers[0].image).toBe(evil);
    for (const o of objects)
      expect(Object.keys(o).sort()).toEqual(
        o.kind === 'ConfigMap'
          ? ['apiVersion', 'data', 'kind', 'metadata']
          : ['apiVersion', 'kind', 'metadata', 'spec'],
      );
  });
});
