/** `--report` on sweep and capacity: checked before any run like every output (never over an input). */
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/process.ts';

describe('sweep and capacity --report', () => {
  it('refuses to write a report over the scenario, before running anything', async () => {
    for (const args of [
      ['sweep', 'scenarios/retry-storm.yaml', '--vary', 'workload.arrivals.rate', '--values', '8/s,9/s'],
      ['capacity', 'scenarios/gpu-pool.yaml', '--vary', 'providers[0].replicas', '--range', '2..4'],
    ]) {
      const r = await runCli([...args, '--report', args[1]!, '--quiet']);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr).toBe(
        `error: --report ${args[1]}: this is the input file ${args[1]}; refusing to overwrite it\n`,
      );
      expect(r.stdout).toBe('');
    }
  });

  it('is listed in the help of both commands', async () => {
    for (const cmd of ['sweep', 'capacity']) {
      const r = await runCli([cmd, '--help']);
      expect(r.stdout, cmd).toMatch(/--report <file>\s+write a self-contained HTML report/);
    }
  });
});
