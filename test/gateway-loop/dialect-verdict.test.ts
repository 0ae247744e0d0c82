/**
 * The dialect loop's verdict without the gateway (fast): the simulator's prediction of the loop's
 * imported Portkey config fails over exactly the requests that meet the primary's 529s and keeps
 * the 429s on the primary; with an OpenAI primary (whose overload is a 503, which a fallback on
 * 529 does not match) nothing fails over. And Portkey's headers read as routes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIALECT, FALLBACK, measuredRoute, OVERLOAD, PRIMARY, predictedRoutes } from './dialect-verdict.ts';
import type { Measured } from './driver.ts';
import { planFor, predict } from './loop.ts';

/** The rate-limit storm, and the second after it when its emptied bucket refills under the retries. */
const STORM = { fromMs: 3000, toMs: 14_000, refillMs: 1000 };
const GATEWAY_MS = 40;

describe('dialect loop: the prediction', () => {
  it('fails over exactly the requests that arrive in the overload; 429s wait on the primary', async () => {
    const plan = planFor(DIALECT);
    const { samples } = await predict({ ...DIALECT, seeds: 2 }, GATEWAY_MS, plan);
    const routes = predictedRoutes(plan, samples, FALLBACK);
    plan.forEach((p, i) => {
      const inOverload = p.atMs >= OVERLOAD.fromMs && p.atMs < OVERLOAD.toMs;
      expect({ i, atMs: p.atMs, failedOver: routes[i] === 'failed-over' }).toEqual({
        i,
        atMs: p.atMs,
        failedOver: inOverload,
      });
      // Waiting (and giving up: 3 retries in 7 s) happens only in the rate-limit storm.
      if (routes[i] === 'waited' || routes[i] === 'error')
        expect(
          p.atMs >= STORM.fromMs && p.atMs < STORM.toMs + STORM.refillMs,
          `request ${i} at ${p.atMs} ms`,
        ).toBe(true);
    });
    expect(routes.filter((r) => r === 'waited').length).toBeGreaterThan(20);
    expect(routes.filter((r) => r === 'error').length).toBeGreaterThan(0);
  });

  it('an openai-chat primary answers its overload 503: a fallback on 529 moves nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'floodgate-dialect-'));
    try {
      const template = join(dir, 'openai-primary.template.yaml');
      const text = await readFile(DIALECT.template, 'utf8');
      expect(text).toContain('api: anthropic-messages');
      await writeFile(template, text.replace('api: anthropic-messages', 'api: openai-chat'));
      const plan = planFor(DIALECT);
      const { results, samples } = await predict({ ...DIALECT, template, seeds: 1 }, GATEWAY_MS, plan);
      const routes = predictedRoutes(plan, samples, FALLBACK);
      expect(routes.filter((r) => r === 'failed-over')).toEqual([]);
      expect(results[0]!.providers[PRIMARY]!.statuses['overloaded']).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("dialect loop: Portkey's headers as routes", () => {
  const base: Measured = {
    className: 'chat',
    atMs: 0,
    status: 200,
    ttftMs: 300,
    e2eMs: 800,
    ok: true,
    optionIndex: 0,
    retryCount: 0,
    provider: PRIMARY,
  };
  it('reads which target answered and whether it was retried, and checks it against the emulator', () => {
    expect(measuredRoute(base, PRIMARY, FALLBACK)).toBe('primary');
    expect(measuredRoute({ ...base, retryCount: 2 }, PRIMARY, FALLBACK)).toBe('waited');
    expect(measuredRoute({ ...base, optionIndex: 1, provider: FALLBACK }, PRIMARY, FALLBACK)).toBe(
      'failed-over',
    );
    expect(measuredRoute({ ...base, ok: false, status: 429 }, PRIMARY, FALLBACK)).toBe('error');
    // Portkey says the fallback answered, the emulator says the primary did: not trusted.
    expect(measuredRoute({ ...base, optionIndex: 1 }, PRIMARY, FALLBACK)).toBe('unknown');
    expect(measuredRoute({ ...base, optionIndex: Number.NaN }, PRIMARY, FALLBACK)).toBe('unknown');
  });
});
