/**
 * The record pool (GatewayOptions.recycle, the client's `recycle`): tickets, requests and attempts
 * of ended requests are reused for later ones. Safe only if a reused record is exactly a fresh one
 * and nothing still refers to it; these tests hold both: every field is reset (a field added later
 * and left out of the reset fails here), and whole runs through retries, timeouts, hedges, the
 * gateway queue, cancellations, sessions, faults and a judge give the same result with and
 * without the pool. Attempts are reused only from providers that forget them once reported.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/pipeline.ts';
import { Ticket } from '../../src/gateway/ticket.ts';
import { Attempt, reuseAttempt } from '../../src/providers/attempt.ts';
import { QueueProvider } from '../../src/providers/queue/queue-provider.ts';
import { WorkItem } from '../../src/providers/work-item.ts';
import { loadScenarioFile, loadScenarioObject } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { Request } from '../../src/workload/request.ts';
import { Keeper, runThroughOneTarget } from './one-target.ts';

const inf = Number.POSITIVE_INFINITY;
const SENTINEL = Symbol('stale');

/** Overwrites every own field of `record` (as a later request would have left it). */
function scribble(record: object): void {
  for (const key of Object.keys(record)) (record as Record<string, unknown>)[key] = SENTINEL;
}

/** Own fields as plain data (the attempts list by content: a reused ticket keeps its array). */
function fields(record: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]));
}

describe('a reused record is a fresh one', () => {
  const work = new WorkItem(7, 0, 12.5, 100, 20, inf, true, true);
  const view = Object.freeze({ id: 7 }) as never;
  const listener = { tryEnded() {} };

  it('Ticket.reopen resets every field', () => {
    const t = new Ticket<string>(new WorkItem(1, 0, 0, 1, 1, inf, false, false), view, 'old', listener);
    scribble(t);
    t.attempts = [];
    t.reopen(work, view, 'owner', listener);
    expect(fields(t)).toEqual(fields(new Ticket(work, view, 'owner', listener)));
  });

  it('reuseAttempt resets every field', () => {
    const a = new Attempt(new WorkItem(1, 0, 0, 1, 1, inf, false, false), 'x', 3, 4, 5, 6);
    scribble(a);
    reuseAttempt(a, work, 'ticket', 2, 1, 40.25, 0);
    expect(fields(a)).toEqual(fields(new Attempt(work, 'ticket', 2, 1, 40.25, 0)));
  });

  it('Request.reuse resets every field and opens a new ticket', () => {
    const opened: unknown[] = [];
    const gateway = {
      open: (w: WorkItem, owner: unknown) => {
        const t = new Ticket(w, view, owner, listener);
        opened.push(t);
        return t;
      },
    } as unknown as Gateway;
    const r = new Request(new WorkItem(1, 0, 0, 1, 1, inf, false, false), undefined, gateway, listener);
    scribble(r);
    r.reuse(work, undefined, gateway, listener);
    const fresh = new Request(work, undefined, gateway, listener);
    expect(r.ticket).toBe(opened[1]);
    expect({ ...fields(r), ticket: undefined }).toEqual({ ...fields(fresh), ticket: undefined });
  });
});

/** Results with the pool and without must be identical, byte for byte. */
async function same(loaded: Awaited<ReturnType<typeof loadScenarioObject>>): Promise<void> {
  const pooled = await simulate(loaded, { recycle: true });
  const fresh = await simulate(loaded, { recycle: false });
  expect(JSON.stringify(pooled)).toBe(JSON.stringify(fresh));
}

/** Queue servers that overflow (fast 503s), behind every gateway and client mechanism at once. */
function everything(): ScenarioInput {
  const queue = (name: string) =>
    ({
      name,
      kind: 'queue',
      servers: 3,
      queueCapacity: 4,
      service: { dist: 'exponential', mean: '1s' },
    }) as const;
  return {
    name: 'record-pool',
    duration: '2m',
    warmup: '10s',
    providers: [queue('a'), queue('b')],
    workload: {
      arrivals: { process: 'poisson', rate: '7/s' },
      classes: [
        {
          name: 'chat',
          share: 2,
          client: {
            timeout: '4s',
            retries: { max: 2, on: ['server-error', 'timeout'] },
            abandonAfter: { dist: 'exponential', mean: '6s' },
          },
        },
        { name: 'tab', share: 1, cancelAfter: { dist: 'exponential', mean: '700ms' }, debounce: '50ms' },
      ],
    },
    gateway: {
      admission: { policy: 'concurrency-limit', params: { limit: 10, queue: true } },
      queue: { capacity: 20, maxWait: '1s' },
      attemptTimeout: '2s',
      retries: { max: 2 },
      hedging: { after: '900ms' },
      fallbacks: { a: ['b'] },
    },
    metrics: { interval: '10s' },
  };
}

describe('a run is the same with the record pool and without', () => {
  it('through retries, timeouts, hedges, the gateway queue, abandonment and cancellation', async () => {
    await same(await loadScenarioObject(everything()));
  });

  it('under gRPC A6 hedging', async () => {
    const input = everything();
    input.gateway = {
      hedging: { after: '300ms', maxAttempts: 3, nonFatal: ['server-error'] },
      retries: { max: 0 },
    };
    await same(await loadScenarioObject(input));
  });

  const bundled: [string, string[]][] = [
    ['retry-storm.yaml', ['duration=5m']],
    ['editor-mix.yaml', ['duration=3m']],
    ['tab-spike.yaml', ['duration=3m']],
    [
      'model-routing.yaml',
      [
        'duration=3m',
        'gateway.routing={policy: cascade, params: {models: [mid, frontier], judge: {falseAccept: 0.1, falseReject: 0.15, latencyMs: 30, costUsd: 0.00002}}}',
      ],
    ],
  ];
  for (const [file, sets] of bundled) {
    it(`scenarios/${file}`, async () => {
      const overrides = sets.map(parseOverride);
      await same(await loadScenarioFile(resolve('scenarios', file), { overrides }));
    });
  }
});

/** 50 requests, 50 ms apart, through a recycling gateway to one provider; the attempts reported. */
function reportedThrough(make: typeof QueueProvider): Attempt[] {
  const reported: Attempt[] = [];
  runThroughOneTarget({ make, requests: 50, onAttemptDone: (a) => reported.push(a) });
  return reported;
}

describe('attempts are reused only from a provider that forgets them', () => {
  it('a provider without the facet gets a new attempt every time, which keeps what it served', () => {
    const reported = reportedThrough(Keeper);
    expect(reported).toHaveLength(50);
    expect(new Set(reported).size).toBe(50);
    expect(reported.map((a) => a.work.id)).toEqual([...Array(50).keys()]);
  });

  it('a provider with it gets its reported attempts back', () => {
    const reported = reportedThrough(QueueProvider);
    expect(reported).toHaveLength(50);
    expect(new Set(reported).size).toBeLessThan(10);
  });
});
