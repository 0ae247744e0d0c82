/**
 * Prefix-aware routing on block hashes: prefix-scorer (the Gateway API Inference Extension's
 * approximate index from its own routing history) and precise-prefix-scorer (llm-d's index fed by
 * the replicas' KV events, delayed): on a generated trace with block hashes through a pool of
 * replicas exposed to the gateway, each raises the token hit rate and lowers mean TTFT against
 * round-robin on every seed tried; their index rules, driven directly.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import precisePrefixScorer from '../../policies/precise-prefix-scorer.ts';
import prefixScorer from '../../policies/prefix-scorer.ts';
import type { Gateway } from '../../src/gateway/pipeline.ts';
import {
  isRejection,
  type KvCacheEventView,
  type RequestView,
  type RoutingPolicy,
  type TargetView,
} from '../../src/gateway/policy.ts';
import { requestView } from '../../src/gateway/views.ts';
import { Attempt } from '../../src/providers/attempt.ts';
import { chainKeysOf } from '../../src/providers/block-chain.ts';
import { WorkItem } from '../../src/providers/work-item.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { type JoinedTarget, startKvEvents } from '../../src/simulator/targets.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';
import { makePool } from '../providers/gpu/gpu-harness.ts';
import { run } from '../providers/harness.ts';
import { prefixTrace, toJsonl } from '../workload/trace-prefix-fixture.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floodgate-prefix-routing-'));
});

async function traceFor(seed: number): Promise<string> {
  const file = join(dir, `trace-${seed}.jsonl`);
  const records = prefixTrace({ seed, conversations: 300, systemPrompts: 4, rateRps: 3 });
  await writeFile(file, toJsonl(records));
  return file;
}

function scenario(file: string, routing: Routing, seed: number): ScenarioInput {
  return {
    name: 'prefix-routing',
    duration: '120s',
    seed,
    providers: [
      {
        name: 'p',
        kind: 'gpu',
        model: 'llama-3.1-8b',
        gpu: 'h100-80gb',
        replicas: 4,
        expose: 'replicas',
        prefixCache: { enabled: true },
      },
    ],
    workload: {
      arrivals: { trace: { file, format: 'jsonl', blockTokens: 512 } },
      classes: [{ name: 'chat' }],
    },
    gateway: { routing },
    metrics: { interval: '10s' },
  };
}

describe('prefix-aware routing against round-robin on a trace with block hashes', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`raises the token hit rate and lowers mean TTFT, both scorers (seed ${seed})`, async () => {
      const file = await traceFor(seed);
      const rr = await outcome(file, 'round-robin', seed);
      const approx = await outcome(file, 'prefix-scorer', seed);
      const precise = await outcome(file, 'precise-prefix-scorer', seed);
      for (const o of [approx, precise]) {
        expect(o.hit).toBeGreaterThan(rr.hit + 0.05);
        expect(o.ttft).toBeLessThan(0.9 * rr.ttft);
      }
    });
  }

  it('loses its edge when the KV events come too late to matter (precise, events an hour late)', async () => {
    const file = await traceFor(1);
    const fresh = await outcome(file, 'precise-prefix-scorer', 1);
    const late = await outcome(
      file,
      { policy: 'precise-prefix-scorer', params: { eventDelayMs: 3_600_000 } },
      1,
    );
    expect(late.hit).toBeLessThan(fresh.hit - 0.05);
  });
});

type Routing = NonNullable<ScenarioInput['gateway']>['routing'];

async function outcome(file: string, routing: Routing, seed: number) {
  const r = await run(scenario(file, routing, seed));
  const p = r.providers['p']!;
  return { hit: p.cachedInputTokens / p.inputTokens, ttft: r.latency.ttft.mean! };
}

type Params<D extends { create: (p: never, c: never) => unknown }> = Parameters<D['create']>[0];

const BT = 512;
/** A request of `hashes.length` full 512-token blocks and one more token. */
const req = (hashes: number[]) =>
  makeRequest({ blockHashes: hashes, blockTokens: BT, promptTokens: hashes.length * BT + 1 });
const pod = (i: number, waiting: number, kvUsage = 0.5) =>
  makeTarget(i, { scraped: { waiting, running: 1, kvUsage, atMs: 0 } });

function pickerOf(policy: RoutingPolicy) {
  return (targets: TargetView[], r: RequestView) => {
    const d = policy.route(r, targets, FIRST_ATTEMPT);
    return isRejection(d) ? d.reject : d.index;
  };
}

describe('prefix-scorer', () => {
  runPolicyContract(prefixScorer);
  runPolicyContract(prefixScorer, {
    weights: { prefix: 1, queue: 0 },
    lruBlocksPerTarget: 4,
    staleAfterMs: 100,
  });

  function setup(over: Record<string, unknown> = {}) {
    const { ctx } = fakeContext();
    return pickerOf(
      prefixScorer.create(prefixScorer.params!.parse(over) as Params<typeof prefixScorer>, ctx),
    );
  }
  const even = () => [pod(0, 0), pod(1, 0), pod(2, 0)];

  it('sends a request where it sent the longest chain of its blocks, scored as the share matched', () => {
    const pick = setup();
    expect(pick([pod(0, 4), pod(1, 0), pod(2, 4)], req([1, 2, 3, 4]))).toBe(1);
    // Two of four blocks on t1 (3 x 2/4 = 1.5) beat t0's empty queue (queue 2 x 1 vs 0 on t1: 1.5 < 2).
    expect(pick([pod(0, 0), pod(1, 4), pod(2, 4)], req([1, 2, 8, 9]))).toBe(0);
    // With equal queues, t1's match wins.
    expect(pick(even(), req([1, 2, 3, 7]))).toBe(1); // 3/4 there
  });

  it('matches a chain only from its first block', () => {
    const pick = setup();
    expect(pick([pod(0, 0), pod(1, 0)], req([1, 2, 3]))).toBe(0);
    // Same blocks 2 and 3 after a different first block: no match anywhere; ties go to the first.
    expect(pick([pod(1, 0), pod(0, 0)], req([9, 2, 3]))).toBe(1);
  });

  it('forgets the least recently routed blocks past lruBlocksPerTarget', () => {
    const pick = setup({ lruBlocksPerTarget: 4 });
    expect(pick(even(), req([1, 2, 3, 4]))).toBe(0);
    expect(pick(even(), req([1, 2, 3, 4]))).toBe(0);
    expect(pick(even(), req([5, 6, 7, 8]))).toBe(0); // no match: tie to the first; [1..4] dropped
    expect(pick([pod(1, 0), pod(0, 0)], req([1, 2, 3, 4]))).toBe(1);
  });

  it('keys a request without hashes on its prefix group, in blockTokens blocks', () => {
    const pick = setup();
    const grouped = (prefixId: number) => makeRequest({ prefixId, prefixTokens: 64, promptTokens: 100 });
    expect(pick([pod(0, 0), pod(1, 0)], grouped(7))).toBe(0);
    expect(pick([pod(1, 0), pod(0, 0)], grouped(7))).toBe(0);
    expect(pick([pod(1, 0), pod(0, 0)], grouped(8))).toBe(1);
  });
});

describe('precise-prefix-scorer', () => {
  runPolicyContract(precisePrefixScorer);
  runPolicyContract(precisePrefixScorer, { eventDelayMs: 0, weights: { kv: 0 } });

  function setup(over: Record<string, unknown> = {}) {
    const { ctx, advance } = fakeContext();
    const policy = precisePrefixScorer.create(
      precisePrefixScorer.params!.parse(over) as Params<typeof precisePrefixScorer>,
      ctx,
    );
    const event = (target: number, kind: KvCacheEventView['kind'], hashes: number[]) =>
      policy.onKvEvent!({ target, kind, keys: chainKeysOf(hashes), atMs: ctx.now() });
    return { pick: pickerOf(policy), event, advance };
  }

  it('scores what the KV events say a target holds, once eventDelayMs has passed', () => {
    const { pick, event, advance } = setup({ eventDelayMs: 50 });
    event(1, 'stored', [1, 2, 3]);
    advance(49);
    expect(pick(even2(), req([1, 2, 3, 4]))).toBe(0); // not heard yet: tie to the first
    advance(1);
    expect(pick(even2(), req([1, 2, 3, 4]))).toBe(1);
    // Routing teaches it nothing: another request's blocks are not indexed until stored.
    expect(pick(even2(), req([5, 6]))).toBe(0);
    expect(pick([pod(1, 0), pod(0, 0)], req([5, 6]))).toBe(1);
  });

  it('drops removed blocks (a chain broken at block 2 matches one block) and everything on cleared', () => {
    const { pick, event, advance } = setup({ eventDelayMs: 0 });
    event(1, 'stored', [1, 2, 3]);
    event(0, 'stored', [1]);
    event(1, 'removed', [1, 2]);
    advance(1);
    // t1 lost blocks 1 and 2: its block 3 alone matches nothing (a chain counts from its first block).
    expect(pick([pod(1, 0), pod(0, 0)], req([1, 2, 3]))).toBe(0); // t0: 1/3
    event(0, 'cleared', []);
    advance(1);
    expect(pick([pod(1, 0), pod(0, 0)], req([1, 2, 3]))).toBe(1); // nothing anywhere: the first
  });

  it('counts a block held by two replicas of one target until both evict it', () => {
    const { pick, event, advance } = setup({ eventDelayMs: 0 });
    event(1, 'stored', [1]);
    event(1, 'stored', [1]);
    event(1, 'removed', [1]);
    advance(1);
    expect(pick(even2(), req([1]))).toBe(1);
    event(1, 'removed', [1]);
    advance(1);
    expect(pick(even2(), req([1]))).toBe(0);
  });
});

const even2 = () => [pod(0, 0), pod(1, 0)];

describe('KV events reach the gateway (src/simulator/targets.ts startKvEvents)', () => {
  function hashed(atMs: number, hashes: number[]): Attempt {
    const work = new WorkItem(
      atMs,
      0,
      atMs,
      hashes.length * BT + 1,
      2,
      Number.POSITIVE_INFINITY,
      true,
      true,
      -1,
      0,
      Int32Array.from(hashes),
      BT,
    );
    return new Attempt(work, undefined, 1, 0, atMs);
  }

  function wire(names: string[]) {
    const { sim, pool } = makePool({ timing: 'auto', replicas: 2, prefixCache: { enabled: true } });
    const heard: { target: number; kind: string; keys: readonly number[] }[] = [];
    const gateway = {
      wantsKvEvents: true,
      kvCacheEvent: (target: number, kind: string, keys: readonly number[]) =>
        heard.push({ target, kind, keys: [...keys] }),
    } as unknown as Gateway;
    const targets = names.map(
      (name, i) =>
        ({ state: { providerIndex: 0, name, index: 10 + i }, backend: pool }) as unknown as JoinedTarget,
    );
    startKvEvents(gateway, [pool], targets);
    return { sim, pool, heard };
  }

  it("sends a replica's stored blocks to its own target when replicas are targets", () => {
    const { sim, pool, heard } = wire(['p/0', 'p/1']);
    sim.at(0, () => pool.submitTo(1, hashed(0, [1, 2, 3])), undefined);
    sim.run(Number.POSITIVE_INFINITY);
    expect(heard).toEqual([{ target: 11, kind: 'stored', keys: chainKeysOf([1, 2, 3]) }]);
  });

  it("sends every replica's events to the pool's target when the gateway sees the pool", () => {
    const { sim, pool, heard } = wire(['p']);
    sim.at(0, () => pool.submitTo(0, hashed(0, [1, 2])), undefined);
    sim.at(0, () => pool.submitTo(1, hashed(0, [7])), undefined);
    sim.run(Number.POSITIVE_INFINITY);
    expect(heard.map((e) => e.target)).toEqual([10, 10]);
  });

  it('subscribes nobody when routing does not listen', () => {
    const { pool } = makePool({ prefixCache: { enabled: true } });
    let subscribed = false;
    const spy = {
      ...pool,
      subscribeKvEvents: () => {
        subscribed = true;
      },
    } as unknown as typeof pool;
    startKvEvents({ wantsKvEvents: false } as unknown as Gateway, [spy], []);
    expect(subscribed).toBe(false);
  });
});

describe('block hashes in the request view (FG-5: what a gateway hashing the prompt knows)', () => {
  it('are a frozen copy: a policy cannot write into the trace the providers read', () => {
    const hashes = Int32Array.from([4, 5, 6]);
    const work = new WorkItem(0, 0, 0, 2000, 10, Number.POSITIVE_INFINITY, true, true, -1, 0, hashes, BT);
    const view = requestView(work, {
      name: 'c',
      priority: 0,
      tenant: undefined,
      slo: { ttftMs: 1, tpotMs: 1, e2eMs: 1 },
    });
    expect(view.blockHashes).toEqual([4, 5, 6]);
    expect(view.blockTokens).toBe(BT);
    expect(Object.isFrozen(view.blockHashes)).toBe(true);
    expect(() => {
      (view.blockHashes as number[])[0] = 9;
    }).toThrow();
    expect(hashes[0]).toBe(4);
  });
});
