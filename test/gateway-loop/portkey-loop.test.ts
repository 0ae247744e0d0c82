/**
 * A real gateway in the loop: driver -> Portkey's open-source gateway (the devDependency, run as
 * a process) -> `floodgate emulate` providers, against the simulator's prediction of the same
 * imported Portkey config. Loopback only; each loop runs its workload once (about 30 s) and stops.
 */
import { describe, expect, it } from 'vitest';
import { compare, type LoopSpec, latencyUnsound, markdown, measure, predict, within } from './loop.ts';

const OUTAGE: LoopSpec = {
  name: 'outage',
  config: 'test/gateway-loop/outage.portkey.json',
  template: 'test/gateway-loop/outage.template.yaml',
  className: 'chat',
  ratePerS: 20,
  durationMs: 30_000,
  outputTokens: 50,
  model: 'gpt-4o',
  seeds: 20,
};

describe('Portkey in the loop', () => {
  it('outage: a retry on the primary, then the fallback; latencies and shares as predicted', async () => {
    const measured = await measure(OUTAGE);
    const { results } = await predict(OUTAGE, measured.gatewayMs);
    process.stdout.write(`gateway time (warm-up): ${measured.gatewayMs.toFixed(0)} ms\n`);
    const rows = compare(OUTAGE, results, measured);
    process.stdout.write(markdown(OUTAGE, rows));
    expect(measured.portkeyLog).not.toMatch(/TypeError|Something went wrong/);
    const unsound = latencyUnsound(measured);
    if (unsound) process.stdout.write(`latencies not judged: ${unsound}\n`);
    for (const row of rows)
      if (!row.relative || !unsound) expect({ ...row, within: within(row) }).toMatchObject({ within: true });
  }, 120_000);
});
