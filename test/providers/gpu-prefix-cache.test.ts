/**
 * Block-level prefix caching in GPU pools (src/providers/gpu/kv-prefix-cache.ts) on traces with
 * block hashes: the token hit rate a pool reports equals an independent computation from the
 * trace's hashes (an unbounded cache exactly, LRU caches of given sizes within 1 point), and blocks
 * shared by running sequences are held once and never evicted while in use.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Attempt } from '../../src/providers/attempt.ts';
import { WorkItem } from '../../src/providers/work-item.ts';
import { renderRunReport } from '../../src/report/index.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { prefixTrace, type TraceRecord, toJsonl } from '../workload/trace-prefix-fixture.ts';
import { gpuAttempt, K, makePool, prefillMs, submitAll } from './gpu/gpu-harness.ts';
import { run } from './harness.ts';

const BT = 512;

/**
 * The reference: requests one after another through one LRU of `capacity` blocks, keyed by the
 * whole chain of ids up to each block (a block counts only with every block before it). A
 * request finds its longest cached chain prefix (its last token always computed), then touches
 * its full blocks tail first, so its first block is the most recent.
 */
function referenceHitRate(
  records: readonly TraceRecord[],
  capacity: number | ((r: TraceRecord) => number),
): number {
  const lru = new Map<string, true>();
  let cached = 0;
  let prompt = 0;
  for (const r of records) {
    const full = Math.min(r.hash_ids.length, Math.floor(r.input_length / BT));
    const maxHit = Math.min(full, Math.floor((r.input_length - 1) / BT));
    const keys = Array.from({ length: full }, (_, j) => r.hash_ids.slice(0, j + 1).join(','));
    let m = 0;
    while (m < maxHit && lru.has(keys[m]!)) m++;
    cached += m * BT;
    prompt += r.input_length;
    for (let j = full - 1; j >= 0; j--) {
      lru.delete(keys[j]!);
      lru.set(keys[j]!, true);
    }
    const room = typeof capacity === 'number' ? capacity : capacity(r);
    while (lru.size > room) lru.delete(lru.keys().next().value!);
  }
  return cached / prompt;
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floodgate-prefix-'));
});

let files = 0;
async function traceFile(records: readonly TraceRecord[]): Promise<string> {
  const file = join(dir, `trace-${files++}.jsonl`);
  await writeFile(file, toJsonl(records));
  return file;
}

/** The records one at a time, `gapMs` apart, so no two are in a replica at once. */
function sequential(records: readonly TraceRecord[], gapMs = 20_000): TraceRecord[] {
  return records.map((r, i) => ({ ...r, timestamp: i * gapMs }));
}

type GpuFields = Partial<Extract<ScenarioInput['providers'][number], { kind: 'gpu' }>>;

function pooled(file: string, durationMs: number, gpu: GpuFields = {}): ScenarioInput {
  return {
    name: 'prefix-trace',
    duration: `${durationMs}ms`,
    providers: [
      {
        name: 'p',
        kind: 'gpu',
        model: 'llama-3.1-8b',
        gpu: 'h100-80gb',
        replicas: 1,
        prefixCache: { enabled: true },
        ...gpu,
      },
    ],
    workload: {
      arrivals: { trace: { file, format: 'jsonl', blockTokens: BT } },
      classes: [{ name: 'c' }],
    },
    metrics: { interval: '10s' },
  };
}

async function poolHitRate(records: readonly TraceRecord[], gpu: GpuFields = {}) {
  const file = await traceFile(records);
  const r = await run(pooled(file, records.at(-1)!.timestamp + 60_000, gpu));
  const p = r.providers['p']!;
  expect(p.statuses['ok']).toBe(records.length);
  return { rate: p.cachedInputTokens / p.inputTokens, result: r };
}

describe('token hit rate against the hashes', () => {
  const records = sequential(prefixTrace({ seed: 3, conversations: 30, systemPrompts: 3, rateRps: 1 }));

  it('with an unbounded cache, equals the computation from the hashes exactly', async () => {
    const expected = referenceHitRate(records, Number.POSITIVE_INFINITY);
    expect(expected).toBeGreaterThan(0.3);
    const { rate, result } = await poolHitRate(records);
    expect(rate).toBe(expected);
    const cache = result.providers['p']!.prefixCache!;
    expect(cache.cachedTokens / cache.promptTokens).toBe(expected);
    expect(cache.replicas).toHaveLength(1);
    expect(cache.replicas[0]!.cachedTokens).toBe(cache.cachedTokens);
  });

  it('reports the token hit rate per window, per replica and in the report', async () => {
    const file = await traceFile(records);
    const scenario = pooled(file, records.at(-1)!.timestamp + 60_000, { replicas: 2 });
    const loaded = await loadScenarioObject(scenario);
    const result = await simulate(loaded);
    const p = result.providers['p']!;
    const series = result.timeseries.providers['p']!.cachedShare!;
    expect(series.some((v) => v !== null && v > 0)).toBe(true);
    const [r0, r1] = p.prefixCache!.replicas;
    expect(r0!.cachedTokens + r1!.cachedTokens).toBe(p.prefixCache!.cachedTokens);
    expect(r0!.tokenHitRate).toBeCloseTo(r0!.cachedTokens / r0!.promptTokens, 6);
    // Every attempt is measured here (no warmup): the pool's caches and the attempts agree.
    expect(p.prefixCache!.cachedTokens).toBe(p.cachedInputTokens);
    const html = renderRunReport(result, loaded.scenario);
    expect(html).toContain('id="prefix-cache-table"');
    expect(html).toContain('Input tokens served from cache');
  });

  for (const capacity of [8, 20, 60]) {
    it(`with an LRU cache of ${capacity} blocks (share of the KV blocks), within 1 point`, async () => {
      const expected = referenceHitRate(records, capacity);
      // 512-token blocks take 32 KV blocks of 16 tokens; 100,000 KV blocks in all.
      const { rate } = await poolHitRate(records, {
        scheduler: { kvBlocks: 100_000 },
        prefixCache: { enabled: true, share: (capacity * 32) / 100_000 },
      });
      expect(Math.abs(rate - expected)).toBeLessThanOrEqual(0.01);
    });
  }

  // KV memory for 30 blocks and more holds the longest request of the trace (26 blocks).
  for (const capacity of [30, 60, 120]) {
    it(`with ${capacity} blocks' worth of KV memory, within 1 point of an LRU whose room is that memory less what the request holds privately`, async () => {
      // While a request runs, the KV blocks it holds outside the cache (its partial last block and
      // its output) take memory from cached blocks: the reference's room after request r is
      // (kvBlocks - r's private blocks at its end) / 32 blocks.
      const kvBlocks = capacity * 32 + 64;
      const privateBlocks = (r: TraceRecord) =>
        Math.ceil((r.input_length + r.output_length) / 16) -
        32 * Math.min(r.hash_ids.length, Math.floor(r.input_length / BT));
      const expected = referenceHitRate(records, (r) => Math.floor((kvBlocks - privateBlocks(r)) / 32));
      const { rate } = await poolHitRate(records, { scheduler: { kvBlocks } });
      expect(Math.abs(rate - expected)).toBeLessThanOrEqual(0.01);
    });
  }

  it('lowers TTFT where the cache serves a prompt (same trace, cache off vs on)', async () => {
    const file = await traceFile(records);
    const span = records.at(-1)!.timestamp + 60_000;
    const on = await run(pooled(file, span));
    const off = await run(pooled(file, span, { prefixCache: { enabled: false } }));
    expect(off.providers['p']!.cachedInputTokens).toBe(0);
    expect(on.latency.ttft.mean!).toBeLessThan(0.8 * off.latency.ttft.mean!);
  });
});

function hashedWork(atMs: number, prompt: number, hashes: number[], output = 50): Attempt {
  const work = new WorkItem(
    atMs,
    0,
    atMs,
    prompt,
    output,
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

describe('shared blocks', () => {
  it('holds a prefix two running sequences share once, and frees it only when both are done', () => {
    // A computes blocks 1-4; B, arriving while A decodes, finds them and holds them too.
    const a = hashedWork(0, 4 * BT + 100, [1, 2, 3, 4, 5], 400);
    const b = hashedWork(500, 4 * BT + 100, [1, 2, 3, 4, 6], 400);
    const { sim, pool } = makePool({ timing: 'auto', prefixCache: { enabled: true } });
    submitAll(sim, pool, [a, b]);
    const replica = pool.members[0]!;
    const kvBlocks = pool.schedulerOptions.kvBlocks;
    sim.run(600);
    // A: 4 x 32 shared + 7 private + decode; B: 7 private + decode. Without sharing B would add 128.
    const used = Math.round(replica.kvUsage * kvBlocks);
    expect(used).toBeLessThan(2 * 4 * 32);
    expect(b.cachedInputTokens).toBe(0); // reported at its end
    sim.run(Number.POSITIVE_INFINITY);
    expect(b.cachedInputTokens).toBe(4 * BT);
    expect(a.cachedInputTokens).toBe(0);
    expect(replica.kvUsage).toBe(0);
    expect(replica.kv!.size).toBe(4);
    expect(replica.kv!.evictableKv).toBe(4 * 32);
  });

  it('never evicts blocks a running sequence holds, however little memory is left', () => {
    // 300 KV blocks: A holds 4 x 32 cached blocks while it decodes; C's 2 x 32 + 7 need eviction
    // of free cached blocks only (B's, freed before).
    const b = hashedWork(0, 2 * BT + 10, [9, 8, 7], 2);
    const a = hashedWork(2000, 4 * BT + 100, [1, 2, 3, 4, 5], 2000);
    const c = hashedWork(2500, 2 * BT + 10, [11, 12, 13], 2);
    const d = hashedWork(3000, 4 * BT + 100, [1, 2, 3, 4, 7], 2);
    const { sim, pool } = makePool({
      timing: 'auto',
      scheduler: { kvBlocks: 300 },
      prefixCache: { enabled: true },
    });
    submitAll(sim, pool, [b, a, c, d]);
    sim.run(Number.POSITIVE_INFINITY);
    expect([a, b, c, d].map((x) => x.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(d.cachedInputTokens).toBe(4 * BT);
  });

  it('makes no hit of blocks in a gpuAttempt without hashes or prefix', () => {
    const x = gpuAttempt({ prompt: 2048, output: 2 });
    const y = gpuAttempt({ atMs: 1000, prompt: 2048, output: 2 });
    const { sim, pool } = makePool({ prefixCache: { enabled: true } });
    submitAll(sim, pool, [x, y]);
    sim.run(Number.POSITIVE_INFINITY);
    expect(y.cachedInputTokens).toBe(0);
    expect(pool.members[0]!.kv!.size).toBe(0);
  });
});

describe('blocks cached chunk by chunk, as vLLM caches them when a chunk is scheduled', () => {
  it('lets a request arriving mid-prefill reuse the blocks of the chunks scheduled so far', () => {
    // A: 8 full blocks + 100 tokens in 512-token chunks. B, same first 8 blocks, arrives during
    // A's fourth chunk; when B is admitted A's fifth chunk has just been scheduled: 5 blocks.
    const a = hashedWork(0, 8 * BT + 100, [1, 2, 3, 4, 5, 6, 7, 8, 9], 2);
    let chunkEnd = 0;
    for (let c = 0; c < 3; c++) chunkEnd += K.a + prefillMs(K, BT, BT * (c * BT + BT / 2));
    const b = hashedWork(chunkEnd + 1, 8 * BT + 100, [1, 2, 3, 4, 5, 6, 7, 8, 10], 2);
    const { sim, pool } = makePool({ prefixCache: { enabled: true }, scheduler: { chunkSize: BT } });
    submitAll(sim, pool, [a, b]);
    sim.run(Number.POSITIVE_INFINITY);
    expect([a.status, b.status]).toEqual(['ok', 'ok']);
    expect(b.cachedInputTokens).toBe(5 * BT);
    expect(a.cachedInputTokens).toBe(0);
  });

  it('lets two simultaneous prompts with one prefix share it in their one prefill iteration', () => {
    const a = hashedWork(0, 4 * BT + 100, [1, 2, 3, 4, 5], 2);
    const b = hashedWork(0, 4 * BT + 100, [1, 2, 3, 4, 6], 2);
    const { sim, pool, sink } = makePool({ prefixCache: { enabled: true } });
    submitAll(sim, pool, [a, b]);
    sim.run(Number.POSITIVE_INFINITY);
    expect(b.cachedInputTokens).toBe(4 * BT);
    // One iteration prefills A's 2148 tokens and B's last 100 (attending over its 2048 cached).
    const P = 4 * BT + 100;
    const ttft = K.a + prefillMs(K, P + 100, P * (P / 2) + 100 * (4 * BT + 50));
    const firsts = sink.reports.map((r) => r.attempt.firstTokenMs - r.attempt.startMs);
    expect(firsts).toHaveLength(2);
    for (const t of firsts) expect(t).toBeCloseTo(ttft, 6);
  });
});
