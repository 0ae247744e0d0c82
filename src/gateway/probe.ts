import type { Attempt } from '../providers/attempt.ts';
import type { WorkItem } from '../providers/work-item.ts';

/** Who refused a try: an admission policy, a routing policy, or the gateway queue. */
export type RejectionKind = 'admission' | 'routing' | 'queue';

/**
 * GatewayProbe: what the gateway tells whoever watches it (the recorder), as it happens. A probe
 * only reads: nothing it does may change what the gateway does next.
 */
export interface GatewayProbe {
  admitted(work: WorkItem): void;
  /** A policy or the queue refused a try; `reason` is what the policy returned. */
  rejected(work: WorkItem, kind: RejectionKind, reason: unknown): void;
  hedged(work: WorkItem): void;
  /** A retry the retry budget refused (the try ends with its error instead), or a hedge it refused. */
  retryDenied(work: WorkItem): void;
  gatewayRetried(work: WorkItem): void;
  attemptStarted(a: Attempt): void;
  /** The gateway stopped waiting for `a` (it is still reported later, for billing). */
  attemptAbandoned(a: Attempt, status: 'timeout' | 'cancelled'): void;
  /**
   * A provider reported `a` (abandoned or not). `wasted`: the client had given up on the request
   * because the user moved on, so the attempt's work served nobody.
   */
  attemptDone(a: Attempt, wasted: boolean): void;
  /** The gateway ran a routing policy's own model call (its classifier or judge) for `work`. */
  routerCall?(work: WorkItem, call: 'classifier' | 'judge', costUsd: number): void;
  /** A judge rejected an ok answer to `work`: the request escalates to another model. */
  escalated?(work: WorkItem): void;
}
