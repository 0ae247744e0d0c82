/**
 * Policy rejections are counted in the run result per policy and reason, overall and per class,
 * with deterministic arrivals (`uniform`: one every 100 ms at 10/s) so the counts are exact.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_REASONS, RejectionCounter } from '../../src/metrics/rejections.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { run } from '../providers/harness.ts';

type GatewayInput = NonNullable<ScenarioInput['gateway']>;

/** `seconds` x 10 requests of class c, served in 1 s each by a provider with room for all. */
function scenario(gateway: GatewayInput, seconds = 1, outage = false): ScenarioInput {
  return {
    name: 'rejections',
    duration: `${seconds}s`,
    providers: [{ name: 'p', kind: 'queue', servers: 100, service: '1s' }],
    faults: outage ? [{ provider: 'p', kind: 'outage', at: 0, for: '1h' }] : [],
    workload: { arrivals: { process: 'uniform', rate: '10/s' }, classes: [{ name: 'c' }] },
    gateway,
    metrics: { interval: '1s' },
  };
}

describe('rejection reasons in the result', () => {
  it('counts a concurrency limit that sheds under its own reason, overall and per class', async () => {
    // Limit 2, no queue: the requests at 0 and 100 ms hold both slots for 1 s; the other 8 are shed.
    const r = await run(
      scenario({ admission: { policy: 'concurrency-limit', params: { limit: 2, queue: false } } }),
    );
    expect(r.requests.shed).toBe(8);
    const expected = [{ policy: 'concurrency-limit', kind: 'admission', reason: 'over-limit', count: 8 }];
    expect(r.rejections).toEqual(expected);
    expect(r.classes['c']!.rejections).toEqual(expected);
  });

  it('has an empty list when no policy rejected', async () => {
    const r = await run(scenario({}));
    expect(r.requests.shed).toBe(0);
    expect(r.rejections).toEqual([]);
    expect(r.classes['c']!.rejections).toEqual([]);
  });

  it("counts the gateway queue's own refusals: full, and waited past maxWait", async () => {
    // Limit 2 holds the requests at 0 and 100 ms for 1 s; the queue holds one request for 250 ms.
    // 200 ms waits and expires at 450; 300 and 400 find it full; 500 waits and expires at 750; 600
    // and 700 find it full; 800 waits and is admitted when the first slot frees at 1 s; 900 finds
    // it full. Shed: 2 past maxWait + 5 queue-full.
    const r = await run(
      scenario({
        admission: { policy: 'concurrency-limit', params: { limit: 2 } },
        queue: { capacity: 1, maxWait: '250ms' },
      }),
    );
    expect(r.requests.shed).toBe(7);
    expect(r.rejections).toEqual([
      { policy: 'gateway-queue', kind: 'queue', reason: 'queue-full', count: 5 },
      { policy: 'gateway-queue', kind: 'queue', reason: 'max-wait', count: 2 },
    ]);
  });

  it("counts 'no-healthy-target' against routing when a health policy fails closed", async () => {
    // p is alone in its model group, so LiteLLM's allowed_fails rule cools it: the second failure
    // (more than 1) at t = 100 ms cools p down for 5 s: requests 3 to 10 find no target.
    const r = await run(
      scenario(
        {
          routing: 'round-robin',
          health: { policy: 'cooldown', params: { failOpen: false, allowedFails: 1 } },
        },
        1,
        true,
      ),
    );
    expect(r.requests.shed).toBe(8);
    expect(r.rejections).toEqual([
      { policy: 'round-robin', kind: 'routing', reason: 'no-healthy-target', count: 8 },
    ]);
  });

  it("keeps at most 32 reasons per policy and counts the rest under 'other'", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'floodgate-reasons-'));
    const file = join(dir, 'dynamic.ts');
    await writeFile(
      file,
      [
        'let n = 0;',
        'export default {',
        "  name: 'dynamic', kind: 'admission',",
        '  create: () => ({ admit: () => ({ reject: "reason-" + String(n++ % 40).padStart(2, "0") }) }),',
        '};',
      ].join('\n'),
    );
    // 40 requests, each rejected with its own reason: 32 kept, 8 under 'other'.
    const r = await run(scenario({ admission: file }, 4));
    expect(r.requests.shed).toBe(40);
    expect(r.rejections).toHaveLength(MAX_REASONS + 1);
    expect(r.rejections[0]).toEqual({ policy: file, kind: 'admission', reason: 'other', count: 8 });
    expect(r.rejections.slice(1).map((x) => x.reason)).toEqual(
      Array.from({ length: 32 }, (_, i) => `reason-${String(i).padStart(2, '0')}`),
    );
    expect(r.rejections.slice(1).every((x) => x.count === 1)).toBe(true);
  });

  it('counts a routing rejection of a hedge, though the request runs on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'floodgate-reasons-'));
    const file = join(dir, 'no-hedge.ts');
    await writeFile(
      file,
      [
        'export default {',
        "  name: 'no-hedge', kind: 'routing',",
        "  create: () => ({ route: (_req, targets, ctx) => (ctx.attempt === 0 ? targets[0] : { reject: 'no-second-target' }) }),",
        '};',
      ].join('\n'),
    );
    // Every attempt takes 1 s, so each of the 10 is hedged at 500 ms, and each hedge is refused.
    const r = await run(scenario({ routing: file, hedging: { after: '500ms' } }));
    expect(r.requests.completed).toBe(10);
    expect(r.requests.shed).toBe(0);
    expect(r.requests.hedges).toBe(0);
    expect(r.rejections).toEqual([{ policy: file, kind: 'routing', reason: 'no-second-target', count: 10 }]);
  });

  it('gives the same rejections for the same seed', async () => {
    const input = scenario(
      { admission: { policy: 'concurrency-limit', params: { limit: 3, queue: false } } },
      3,
    );
    const a = await run(input, 7);
    const b = await run(input, 7);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('RejectionCounter', () => {
  it('sorts admission first, then by count, then reason; cuts long reasons; names non-strings', () => {
    const c = new RejectionCounter({ admission: 'a', routing: 'r' }, 2);
    c.add(1, 'routing', 'no-target');
    c.add(0, 'admission', 'b');
    c.add(0, 'admission', 'a');
    c.add(1, 'admission', 'b');
    c.add(0, 'admission', 'x'.repeat(200));
    c.add(0, 'admission', 42);
    expect(c.summary()).toEqual([
      { policy: 'a', kind: 'admission', reason: 'b', count: 2 },
      { policy: 'a', kind: 'admission', reason: '(number)', count: 1 },
      { policy: 'a', kind: 'admission', reason: 'a', count: 1 },
      { policy: 'a', kind: 'admission', reason: 'x'.repeat(80), count: 1 },
      { policy: 'r', kind: 'routing', reason: 'no-target', count: 1 },
    ]);
    expect(c.summary([1])).toEqual([
      { policy: 'a', kind: 'admission', reason: 'b', count: 1 },
      { policy: 'r', kind: 'routing', reason: 'no-target', count: 1 },
    ]);
  });
});
