/**
 * Tab completions cancelled by the next keystroke: arithmetic that must hold.
 */
import { describe, expect, it } from 'vitest';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const queueScenario = (cls: Record<string, unknown>) => ({
  name: 'typing',
  duration: '30m',
  seed: 4,
  providers: [{ name: 'q', kind: 'queue', servers: 64, service: { dist: 'deterministic', value: '500ms' } }],
  workload: { arrivals: { rate: '10/s' }, classes: [{ name: 'tab', ...cls }] },
});

describe('keystroke cancellation', () => {
  it('cancels the share 1 - exp(-service / mean gap) with exponential gaps and a fixed service time', async () => {
    const r = await simulate(
      await loadScenarioObject(queueScenario({ cancelAfter: { dist: 'exponential', mean: '1s' } })),
    );
    const n = r.requests.offered;
    const p = 1 - Math.exp(-0.5); // 0.3935
    const sd = Math.sqrt((p * (1 - p)) / n);
    expect(Math.abs(r.requests.cancelledShare - p)).toBeLessThan(4 * sd);
    expect(r.requests.cancelled + r.requests.completed).toBe(n);
  });

  it('never sends a request whose keystroke comes within the debounce', async () => {
    const r = await simulate(
      await loadScenarioObject(
        queueScenario({ cancelAfter: { dist: 'exponential', mean: '1s' }, debounce: '300ms' }),
      ),
    );
    const n = r.requests.offered;
    const sent = Math.exp(-0.3); // share of gaps longer than the debounce
    const sd = Math.sqrt((sent * (1 - sent)) / n);
    expect(Math.abs(r.requests.attempts / n - sent)).toBeLessThan(4 * sd);
    // Sent requests finish 500 ms after sending, i.e. 800 ms after the keystroke before them.
    expect(Math.abs(r.requests.cancelledShare - (1 - Math.exp(-0.8)))).toBeLessThan(4 * Math.sqrt(0.25 / n));
  });

  it('bills a hosted API exactly the tokens streamed before the cancel, as waste', async () => {
    const r = await simulate(
      await loadScenarioObject({
        name: 'waste',
        duration: '1m',
        providers: [
          {
            name: 'api',
            kind: 'api',
            capacity: 1000,
            ttft: { dist: 'deterministic', value: '100ms' },
            outputRate: { dist: 'deterministic', value: '100/s' },
            pricing: { inputPerMTok: 1, outputPerMTok: 10 },
          },
        ],
        workload: {
          arrivals: { process: 'uniform', rate: '2/s' },
          classes: [{ name: 'tab', promptTokens: 50, outputTokens: 100, cancelAfter: '300ms' }],
        },
      }),
    );
    const n = r.requests.offered;
    expect(r.requests.cancelled).toBe(n);
    // First token at 100 ms, then one every 10 ms: 21 tokens are out at 300 ms.
    expect(r.cost.wastedOutputTokens).toBe(21 * n);
    expect(r.cost.wastedUsd).toBeCloseTo((n * (50 * 1 + 21 * 10)) / 1e6, 9);
    expect(r.cost.totalUsd).toBeCloseTo(r.cost.wastedUsd, 9);
  });

  it.each([
    ['full', 100],
    ['none', 0],
  ] as const)('bills %s output on a cancel when the provider says so', async (billing, tokens) => {
    const r = await simulate(
      await loadScenarioObject({
        name: 'billing',
        duration: '10s',
        providers: [
          {
            name: 'api',
            kind: 'api',
            ttft: { dist: 'deterministic', value: '100ms' },
            outputRate: { dist: 'deterministic', value: '100/s' },
            cancelBilling: billing,
          },
        ],
        workload: {
          arrivals: { process: 'uniform', rate: '1/s' },
          classes: [{ name: 'tab', outputTokens: 100, cancelAfter: '300ms' }],
        },
      }),
    );
    expect(r.cost.wastedOutputTokens).toBe(tokens * r.requests.offered);
  });
});
