/**
 * precise-prefix-scorer: llm-d's KV-cache-aware routing: the gateway indexes what each target's
 * cache actually holds from the KV events its model servers publish (vLLM's BlockStored,
 * BlockRemoved, AllBlocksCleared), which reach it `eventDelayMs` (default 50 ms) after they
 * happen. A target's prefix score is the share of the request's blocks (at most `maxPrefixBlocks`)
 * whose chain its cache holds, longest prefix first (a key matches only with every block before
 * it). Score = `weights.prefix` x prefix + `weights.queue` x (maxQ - q)/(maxQ - minQ) over
 * scraped waiting counts (1 when all equal) + `weights.kv` x (1 - kvUsage); unscraped or stale
 * (`staleAfterMs`) targets score 0.5 on queue and KV. The highest wins.
 * Staleness: the index lags the caches by the delay: blocks being prefilled are not there yet
 * (nor are they until their prefill ends), evicted ones linger.
 * Requests without block hashes use their prefix group (`prefixId`), chained over `blockTokens`
 * (16: the pools' KV block size, which keys a group's blocks).
 * Source: llm-d KV-cache-aware routing (llm-d-kv-cache-manager: a ZMQ subscriber to vLLM KV
 * events feeding a block-key -> pods index; precise-prefix-cache-scorer: longest consecutive
 * prefix of the request's block keys per pod), combined with the load scorers as the llm-d
 * inference scheduler's profiles do (weights 3 / 2 / 2 here, as prefix-scorer).
 * Differences: llm-d tokenizes the prompt to compute block keys; here the trace's block hashes
 * (or the prefix group) stand for them. Events are never lost or reordered.
 * Tie-break: the first target in the list with the highest score.
 */
import { z } from 'zod';
import { definePolicy, type KvCacheEventView, reject } from '../src/gateway/policy.ts';
import {
  loadScores,
  longestPrefix,
  requestBlockKeys,
  SCORER_BLOCK_PARAMS,
  SCORER_WEIGHTS,
} from '../src/gateway/prefix-routing.ts';

export default definePolicy({
  name: 'precise-prefix-scorer',
  kind: 'routing',
  description:
    "Prefix-cache score from the targets' own KV events (delayed), weighed with queue and KV load.",
  params: z.strictObject({
    weights: SCORER_WEIGHTS,
    eventDelayMs: z.number().min(0).max(3_600_000).default(50),
    ...SCORER_BLOCK_PARAMS,
  }),
  create(params, ctx) {
    const noTarget = reject('no-target');
    const { prefix: wp } = params.weights;
    /** Per target index: block key -> replicas of the target holding it (a pool seen as one target has several). */
    const index: Map<number, number>[] = [];
    /** Events in arrival order, applied once `eventDelayMs` old. */
    const pending: KvCacheEventView[] = [];
    let head = 0;
    const keys: number[] = [];
    const load: number[] = [];

    const apply = (e: KvCacheEventView) => {
      let held = index[e.target];
      if (!held) index[e.target] = held = new Map();
      if (e.kind === 'cleared') {
        held.clear();
        return;
      }
      for (const key of e.keys) {
        const c = held.get(key) ?? 0;
        if (e.kind === 'stored') held.set(key, c + 1);
        else if (c <= 1) held.delete(key);
        else held.set(key, c - 1);
      }
    };

    const catchUp = (now: number) => {
      while (head < pending.length && pending[head]!.atMs + params.eventDelayMs <= now)
        apply(pending[head++]!);
      if (head > 1024 && head * 2 > pending.length) {
        pending.splice(0, head);
        head = 0;
      }
    };

    return {
      onKvEvent(event) {
        pending.push(event);
      },
      route(req, targets) {
        const n = targets.length;
        if (n === 0) return noTarget;
        const now = ctx.now();
        catchUp(now);
        requestBlockKeys(req, params.blockTokens, params.maxPrefixBlocks, keys);
        loadScores(targets, now, params.weights, params.staleAfterMs, load);
        let best = 0;
        let bestScore = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < n; k++) {
          const held = index[targets[k]!.index];
          const matched = held && keys.length > 0 ? longestPrefix(keys, (key) => held.has(key)) : 0;
          const score = load[k]! + (keys.length > 0 ? (wp * matched) / keys.length : 0);
          if (score > bestScore) {
            bestScore = score;
            best = k;
          }
        }
        return targets[best]!;
      },
    };
  },
});
