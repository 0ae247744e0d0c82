/**
 * endpoint-picker: the Gateway API Inference Extension's scheduler over scraped vLLM gauges: each
 * target gets a weighted sum of scores in [0, 1] and the highest wins.
 * - queue: (maxQ - q) / (maxQ - minQ) over the scraped targets, q = num_requests_waiting; 1 when
 *   all queues are equal (GIE's neutral score);
 * - kv: 1 - gpu_cache_usage_perc;
 * - prefix: 1 if this target was sent a request of the same `prefixId` recently (an LRU of the
 *   last `prefixLruSize` prefix groups per target, updated when a target is picked), else 0.
 * Weights `weights: { queue, kv, prefix }`, default 1 each. A target without a scrape (a hosted
 * API), or whose scrape is older than `staleAfterMs` when set, scores 0.5 on queue and kv.
 * Sheddable requests (priority < 0) are rejected ('saturated') when every target is saturated:
 * waiting >= `queueThreshold` (5) or KV use >= `kvThreshold` (0.8); a target without a usable
 * scrape never counts as saturated.
 * Source: kubernetes-sigs/gateway-api-inference-extension EPP (queue-scorer, kv-cache scorer,
 * prefix-cache scorer, max-score picker, saturation detector / sheddable capacity filter).
 * Differences: GIE's prefix score is the fraction of the prompt's blocks matched; the request view
 * carries only the prefix group, so here it is all or nothing. GIE breaks ties at random.
 * Tie-break: the first target in the list with the highest score.
 */
import { z } from 'zod';
import { definePolicy, reject, type ScrapedMetrics, type TargetView } from '../src/gateway/policy.ts';

export default definePolicy({
  name: 'endpoint-picker',
  kind: 'routing',
  description: 'Max weighted queue + KV + prefix score over scraped gauges; sheds sheddable when saturated.',
  params: z.strictObject({
    weights: z
      .strictObject({
        queue: z.number().min(0).default(1),
        kv: z.number().min(0).default(1),
        prefix: z.number().min(0).default(1),
      })
      .default({ queue: 1, kv: 1, prefix: 1 }),
    prefixLruSize: z.number().int().positive().default(1024),
    queueThreshold: z.number().positive().default(5),
    kvThreshold: z.number().positive().default(0.8),
    staleAfterMs: z.number().positive().optional(),
  }),
  create(params, ctx) {
    const noTarget = reject('no-target');
    const saturated = reject('saturated');
    const { queue: wq, kv: wkv, prefix: wp } = params.weights;
    const lruSize = params.prefixLruSize;
    const staleAfter = params.staleAfterMs;
    /** Per target index: prefix groups sent there, least recently used first (Map keeps insertion order). */
    const lru: Map<number, true>[] = [];

    const usable = (t: TargetView, now: number): ScrapedMetrics | undefined => {
      const s = t.scraped;
      if (!s || (staleAfter !== undefined && now - s.atMs > staleAfter)) return undefined;
      return s;
    };

    const remember = (index: number, prefixId: number) => {
      let m = lru[index];
      if (!m) lru[index] = m = new Map();
      if (m.has(prefixId)) m.delete(prefixId);
      m.set(prefixId, true);
      if (m.size > lruSize) m.delete(m.keys().next().value!);
    };

    return {
      route(req, targets) {
        const n = targets.length;
        if (n === 0) return noTarget;
        const now = ctx.now();
        let minQ = Number.POSITIVE_INFINITY;
        let maxQ = Number.NEGATIVE_INFINITY;
        let allSaturated = true;
        for (let k = 0; k < n; k++) {
          const s = usable(targets[k]!, now);
          if (!s) {
            allSaturated = false;
            continue;
          }
          if (s.waiting < minQ) minQ = s.waiting;
          if (s.waiting > maxQ) maxQ = s.waiting;
          if (s.waiting < params.queueThreshold && s.kvUsage < params.kvThreshold) allSaturated = false;
        }
        if (req.priority < 0 && allSaturated) return saturated;
        const prefixId = req.prefixId;
        const spread = maxQ - minQ;
        let best = 0;
        let bestScore = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < n; k++) {
          const t = targets[k]!;
          const s = usable(t, now);
          let score: number;
          if (s) score = wq * (spread > 0 ? (maxQ - s.waiting) / spread : 1) + wkv * (1 - s.kvUsage);
          else score = (wq + wkv) * 0.5;
          if (prefixId >= 0 && lru[t.index]?.has(prefixId)) score += wp;
          if (score > bestScore) {
            bestScore = score;
            best = k;
          }
        }
        const target = targets[best]!;
        if (prefixId >= 0) remember(target.index, prefixId);
        return target;
      },
    };
  },
});
