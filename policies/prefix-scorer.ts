/**
 * prefix-scorer: the Gateway API Inference Extension's approximate prefix-cache scorer, weighed
 * with its queue and KV-cache scorers. The gateway keeps its own index of what each target has
 * cached, built from its routing history alone: when it sends a request to a target, it records
 * the request's block keys (hash chains: a key matches only with every block before it) in that
 * target's LRU of `lruBlocksPerTarget` keys. A target's prefix score is the share of the
 * request's blocks (at most `maxPrefixBlocks`) whose chain it finds there, longest prefix first.
 * Score = `weights.prefix` x prefix + `weights.queue` x (maxQ - q)/(maxQ - minQ) over scraped
 * waiting counts (1 when all equal) + `weights.kv` x (1 - kvUsage); unscraped or stale
 * (`staleAfterMs`) targets score 0.5 on queue and KV. The highest wins.
 * Staleness: the index believes a block is cached as soon as a request is routed (before its
 * prefill computes it) and until its own LRU drops it, whatever the server evicted meanwhile.
 * Requests without block hashes use their prefix group (`prefixId`), chained over `blockTokens`
 * (16) token blocks.
 * Source: kubernetes-sigs/gateway-api-inference-extension, prefix-cache-aware routing proposal
 * 0602 and the EPP's prefix plugin (hash of chunk i = hash(chunk i, hash of chunk i-1); defaults
 * maxPrefixBlocksToMatch 256, lruCapacityPerServer 31250), queue-scorer, kv-cache-utilization
 * scorer, weights 3 / 2 / 2 as its default scheduling profile.
 * Differences: GIE hashes characters of the prompt; here the trace's block hashes (or the prefix
 * group) stand for them. GIE breaks ties at random.
 * Tie-break: the first target in the list with the highest score.
 */
import { z } from 'zod';
import { definePolicy, reject } from '../src/gateway/policy.ts';
import {
  loadScores,
  longestPrefix,
  requestBlockKeys,
  SCORER_BLOCK_PARAMS,
  SCORER_WEIGHTS,
} from '../src/gateway/prefix-routing.ts';

export default definePolicy({
  name: 'prefix-scorer',
  kind: 'routing',
  description:
    "Approximate prefix-cache score from the gateway's own routing history, weighed with queue and KV load.",
  params: z.strictObject({
    weights: SCORER_WEIGHTS,
    lruBlocksPerTarget: z.number().int().positive().max(10_000_000).default(31_250),
    ...SCORER_BLOCK_PARAMS,
  }),
  create(params, ctx) {
    const noTarget = reject('no-target');
    const { prefix: wp } = params.weights;
    /** Per target index: block keys routed there, least recently used first. */
    const index: Map<number, true>[] = [];
    const keys: number[] = [];
    const load: number[] = [];

    const remember = (target: number) => {
      let lru = index[target];
      if (!lru) index[target] = lru = new Map();
      for (const key of keys) {
        lru.delete(key);
        lru.set(key, true);
      }
      while (lru.size > params.lruBlocksPerTarget) lru.delete(lru.keys().next().value!);
    };

    return {
      route(req, targets) {
        const n = targets.length;
        if (n === 0) return noTarget;
        requestBlockKeys(req, params.blockTokens, params.maxPrefixBlocks, keys);
        loadScores(targets, ctx.now(), params.weights, params.staleAfterMs, load);
        let best = 0;
        let bestScore = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < n; k++) {
          const lru = index[targets[k]!.index];
          const matched = lru && keys.length > 0 ? longestPrefix(keys, (key) => lru.has(key)) : 0;
          const score = load[k]! + (keys.length > 0 ? (wp * matched) / keys.length : 0);
          if (score > bestScore) {
            bestScore = score;
            best = k;
          }
        }
        const target = targets[best]!;
        if (keys.length > 0) remember(target.index);
        return target;
      },
    };
  },
});
