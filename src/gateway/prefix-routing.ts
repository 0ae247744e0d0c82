/**
 * What prefix-aware routing policies share: a request's block keys (its trace's block hashes
 * chained as providers chain them, or its synthetic prefix group's derived chain), the longest
 * chain prefix an index holds, and the load scores they weigh against it (the Gateway API
 * Inference Extension's queue and KV-cache scorers over scraped gauges).
 */
import { z } from 'zod';
import { chainKeysOf, derivedChainKeys } from '../providers/block-chain.ts';
import type { RequestView, TargetView } from './policy.ts';

/**
 * The keys of a request's full blocks, at most `maxBlocks`: from its block hashes when it has
 * them, else from its prefix group over `prefixTokens` in blocks of `blockTokens` (a pool keys a
 * group's blocks at its KV block size, 16 tokens by default). Empty when neither gives a block.
 */
export function requestBlockKeys(
  req: RequestView,
  blockTokens: number,
  maxBlocks: number,
  out: number[] = [],
): number[] {
  if (req.blockHashes.length > 0 && req.blockTokens > 0) {
    const full = Math.min(req.blockHashes.length, Math.floor(req.promptTokens / req.blockTokens), maxBlocks);
    return chainKeysOf(full < req.blockHashes.length ? req.blockHashes.slice(0, full) : req.blockHashes, out);
  }
  if (req.prefixId < 0 || req.prefixTokens <= 0) {
    out.length = 0;
    return out;
  }
  const blocks = Math.min(Math.floor(Math.min(req.prefixTokens, req.promptTokens) / blockTokens), maxBlocks);
  return derivedChainKeys(req.prefixId, blocks, out);
}

/** Leading keys `has` holds (a chain: it stops at the first missing). */
export function longestPrefix(keys: readonly number[], has: (key: number) => boolean): number {
  let m = 0;
  while (m < keys.length && has(keys[m]!)) m++;
  return m;
}

/** The score weights every prefix-aware scorer takes (prefix share, queue and KV load). */
export const SCORER_WEIGHTS = z
  .strictObject({
    prefix: z.number().min(0).default(3),
    queue: z.number().min(0).default(2),
    kv: z.number().min(0).default(2),
  })
  .default({ prefix: 3, queue: 2, kv: 2 });

/** How far a scorer looks along a request's blocks, their size, and when a scrape is stale. */
export const SCORER_BLOCK_PARAMS = {
  maxPrefixBlocks: z.number().int().positive().max(100_000).default(256),
  blockTokens: z.number().int().positive().default(16),
  staleAfterMs: z.number().positive().optional(),
};

export interface LoadWeights {
  readonly queue: number;
  readonly kv: number;
}

/**
 * Per target (in `targets` order), weights x [queue: (maxQ - q)/(maxQ - minQ) over the scraped
 * waiting counts, 1 when all are equal; kv: 1 - kvUsage]; a target without a scrape, or with one
 * older than `staleAfterMs`, scores 0.5 on both (the endpoint-picker's rule).
 */
export function loadScores(
  targets: readonly TargetView[],
  nowMs: number,
  weights: LoadWeights,
  staleAfterMs: number | undefined,
  out: number[],
): number[] {
  const n = targets.length;
  out.length = n;
  let minQ = Number.POSITIVE_INFINITY;
  let maxQ = Number.NEGATIVE_INFINITY;
  const fresh = (t: TargetView) =>
    t.scraped !== undefined && (staleAfterMs === undefined || nowMs - t.scraped.atMs <= staleAfterMs);
  for (let k = 0; k < n; k++) {
    const t = targets[k]!;
    if (!fresh(t)) continue;
    const q = t.scraped!.waiting;
    if (q < minQ) minQ = q;
    if (q > maxQ) maxQ = q;
  }
  const spread = maxQ - minQ;
  for (let k = 0; k < n; k++) {
    const t = targets[k]!;
    if (!fresh(t)) {
      out[k] = (weights.queue + weights.kv) * 0.5;
      continue;
    }
    const s = t.scraped!;
    out[k] = weights.queue * (spread > 0 ? (maxQ - s.waiting) / spread : 1) + weights.kv * (1 - s.kvUsage);
  }
  return out;
}
