/**
 * The k6-operator TestRun targets a Service inside the cluster (`--service`), not the runner
 * pod's own localhost, and says how to merge the runners' summaries.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterTarget, isLoopbackTarget } from '../../src/k6/operator.ts';
import { ROOT, runCli } from '../cli/process.ts';

const QUICKSTART = join(ROOT, 'scenarios/quickstart.yaml');

describe('clusterTarget', () => {
  it('turns a Service name into its in-cluster URL', () => {
    expect(clusterTarget('gateway')).toBe('http://gateway.default.svc.cluster.local');
    expect(clusterTarget('gateway.llm')).toBe('http://gateway.llm.svc.cluster.local');
    expect(clusterTarget('gateway.llm:8080')).toBe('http://gateway.llm.svc.cluster.local:8080');
    expect(clusterTarget('gw:8000/v1')).toBe('http://gw.default.svc.cluster.local:8000/v1');
    for (const bad of ['Gateway', 'gw:99999', 'gw.ns.extra', 'gw\n', 'a b', '-gw', 'gw:80/?x=1'])
      expect(() => clusterTarget(bad)).toThrow(/NAME\[\.NAMESPACE\]\[:PORT\]/);
  });

  it('knows loopback targets', () => {
    for (const t of ['http://localhost:8000', 'http://127.0.0.1:1', 'http://[::1]:80', 'http://a.localhost'])
      expect(isLoopbackTarget(t)).toBe(true);
    expect(isLoopbackTarget('http://gateway.llm.svc.cluster.local:8080')).toBe(false);
  });
});

describe('floodgate k6 --operator', () => {
  it('targets the Service given with --service', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fg-operator-'));
    const out = join(dir, 'qs.js');
    const r = await runCli([
      'k6',
      QUICKSTART,
      '--out',
      out,
      '--operator',
      '3',
      '--service',
      'gateway.llm:8080',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const text = await readFile(join(dir, 'qs.testrun.yaml'), 'utf8');
    const manifest = parse(text);
    expect(manifest.spec.runner.env).toContainEqual({
      name: 'FLOODGATE_TARGET',
      value: 'http://gateway.llm.svc.cluster.local:8080',
    });
    expect(text).toMatch(/floodgate merge floodgate-qs-\*\.json --out k6-summary\.json/);
  });

  it('warns when the runners would target their own localhost, and refuses --service alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fg-operator-'));
    const r = await runCli(['k6', QUICKSTART, '--out', join(dir, 'qs.js'), '--operator', '2']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: the TestRun's runners target http:\/\/localhost:8000, which inside a runner pod is the pod itself: pass --service/,
    );
    const alone = await runCli(['k6', QUICKSTART, '--out', join(dir, 'x.js'), '--service', 'gw']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--service: names the TestRun's target: pass --operator N too/);
    const bad = await runCli(['k6', QUICKSTART, '--operator', '2', '--service', 'Gateway']);
    expect(bad.code).toBe(2);
  });
});
