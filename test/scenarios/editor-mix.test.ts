/**
 * The bundled editor-mix scenario: tab cancellation, chat and agent sessions on a mixed fleet.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/editor-mix.yaml');

describe('scenarios/editor-mix.yaml', () => {
  it('passes its SLOs with cancelled tabs, completed sessions and cache hits, and costs more when sessions scatter', async () => {
    const sticky = await simulate(await loadScenarioFile(FILE));
    expect(sticky.pass).toBe(true);
    // Exponential keystroke gaps with mean 600 ms against ~0.3 s tab latency plus 50 ms debounce.
    expect(sticky.requests.cancelledShare).toBeGreaterThan(0.3);
    expect(sticky.requests.cancelledShare).toBeLessThan(0.5);
    expect(sticky.cost.wastedOutputTokens).toBeGreaterThan(0);
    expect(sticky.sessions!.successShare).toBeGreaterThan(0.8);
    expect(sticky.cost.cachedInputTokens / sticky.cost.inputTokens).toBeGreaterThan(0.5);
    const scattered = await simulate(
      await loadScenarioFile(FILE, { overrides: [parseOverride('gateway.routing=round-robin')] }),
    );
    expect(scattered.cost.cachedInputTokens).toBeLessThan(sticky.cost.cachedInputTokens * 0.95);
    expect(scattered.cost.totalUsd).toBeGreaterThan(sticky.cost.totalUsd * 1.1);
  });
});
