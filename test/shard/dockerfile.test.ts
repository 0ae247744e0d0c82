/**
 * The Dockerfile builds the image the `--k8s` manifests run: from the tarball `npm pack` writes
 * (its name follows package.json), only that file sent to the build, as the user the pods run as,
 * with `floodgate` as the entrypoint (the manifests' args start with the command).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { k8sManifests } from '../../src/shard/k8s.ts';
import { ROOT } from '../cli/process.ts';

describe('Dockerfile', () => {
  it('installs the packed package and runs floodgate as the manifests expect', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    const tarball = `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
    expect(tarball).toBe('floodgate-sim-floodgate-0.1.0.tgz');
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const pattern = /COPY (\S+) \/tmp\//.exec(dockerfile)![1]!;
    expect(new RegExp(`^${pattern.replaceAll('.', '\\.').replaceAll('*', '.*')}$`).test(tarball)).toBe(true);
    expect(dockerfile).toMatch(/npm install --global --omit=dev \/tmp\/floodgate-sim-floodgate-\*\.tgz/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["floodgate"\]$/m);
    expect(dockerfile).toMatch(/^FROM node:20/m);
    const ignore = (await readFile(join(ROOT, '.dockerignore'), 'utf8'))
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore).toEqual(['*', `!${pattern}`]);

    const user = /^USER (\d+):(\d+)$/m.exec(dockerfile)!;
    const files = k8sManifests({
      command: 'compare',
      name: 'x',
      scenarioFile: 'x.yaml',
      scenarioText: 'name: x',
      studyArgs: [],
      shards: 2,
      image: 'floodgate:0.1.0',
    });
    const job = parseAllDocuments(files['shards.yaml'])[1]!.toJS();
    expect(job.spec.template.spec.securityContext).toMatchObject({
      runAsUser: Number(user[1]),
      runAsGroup: Number(user[2]),
    });
    expect(job.spec.template.spec.containers[0].args[0]).toBe('compare');
  });
});
