import type { WorkItem } from '../providers/work-item.ts';
import type { Request } from './request.ts';
import type { Session } from './sessions.ts';

/**
 * WorkloadProbe: what the client and the workload tell whoever watches them (the recorder). A
 * probe only reads: nothing it does may change what happens next.
 */
export interface WorkloadProbe {
  arrived(work: WorkItem): void;
  clientRetried(work: WorkItem): void;
  /** A client retry its retry budget refused. */
  retryDenied(work: WorkItem): void;
  /** `req` reached its terminal outcome (`req.outcome`; its ticket says what the gateway did). */
  requestEnded(req: Request): void;
  sessionStarted(classIndex: number, measured: boolean): void;
  /** A session completed or aborted at `nowMs`. */
  sessionEnded(session: Session, nowMs: number): void;
}
