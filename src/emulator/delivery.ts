import type { Attempt } from '../providers/attempt.ts';
import { unwrapFaults } from '../providers/faults/faulty-provider.ts';
import type { GpuPool } from '../providers/gpu/gpu-pool.ts';
import type { Sequence } from '../providers/gpu/replica.ts';
import type { Provider } from '../providers/provider.ts';

/**
 * Output tokens of an attempt still in progress that have reached the caller by `nowMs`: what
 * the emulator streams before the attempt completes. Providers report tokens only when an
 * attempt ends (one event per attempt, never one per token), so this reads what they already
 * know, per kind:
 *
 * - `api`: token times are arithmetic from the start of service: the first at `firstTokenMs`,
 *   then one every `tokenIntervalMs`, `outputTokens` in all (already cut short when a stream-cut
 *   or brownout fault applies), exactly as `ApiProvider` bills a cancelled attempt.
 * - `gpu`: the sequence's own count on its replica (`GpuReplica.delivered`), which advances at
 *   the end of each iteration that decodes it.
 * - `queue`: the response arrives whole at the end of service, so nothing before completion.
 *
 * Ground truth for the emulator's pacing only. (A `deliveredTokens(attempt, nowMs)` method on
 * `Provider` would move this knowledge into each model; see docs/guide/emulator.md.)
 */
export function deliveredTokens(provider: Provider, a: Attempt, nowMs: number): number {
  if (a.status !== 'pending' && a.status !== 'stream_cut' && a.status !== 'server_error') return 0;
  switch (provider.kind) {
    case 'api': {
      if (Number.isNaN(a.serviceStartMs) || !(nowMs >= a.firstTokenMs)) return 0;
      if (!(a.tokenIntervalMs > 0)) return a.outputTokens;
      return Math.min(a.outputTokens, 1 + Math.floor((nowMs - a.firstTokenMs) / a.tokenIntervalMs));
    }
    case 'gpu': {
      const seq = a.handle as Sequence | undefined;
      if (!seq || seq.state === 'done') return 0;
      const replica = (unwrapFaults(provider) as GpuPool).replicas[seq.replica];
      return replica ? Math.min(seq.deliver, replica.delivered(seq)) : 0;
    }
    default:
      return 0;
  }
}
