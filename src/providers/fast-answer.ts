import type { Scheduler } from '../engine/clock.ts';
import type { Attempt, AttemptStatus } from './attempt.ts';
import type { AttemptSink } from './provider.ts';

/** Statuses a provider answers without serving the attempt. */
export type FastStatus = Extract<
  AttemptStatus,
  'server_error' | 'bad_request' | 'rate_limited' | 'quota_exceeded' | 'overloaded'
>;

/**
 * FastAnswers: answers an attempt at a later time with a status decided now (a 429, a 503, a
 * 400), writing the status and end time only when the answer is due, so nothing the provider
 * decided is on the attempt before it is reported (FG-5). One pre-bound handler per status: no
 * allocation per answer.
 */
export class FastAnswers {
  private readonly scheduler: Scheduler;
  private readonly sink: AttemptSink;
  private readonly handlers: Record<FastStatus, (a: Attempt) => void>;

  constructor(scheduler: Scheduler, sink: AttemptSink) {
    this.scheduler = scheduler;
    this.sink = sink;
    const answer = (status: FastStatus) => (a: Attempt) => {
      a.status = status;
      a.endMs = this.scheduler.now();
      this.sink.attemptDone(a);
    };
    this.handlers = {
      server_error: answer('server_error'),
      bad_request: answer('bad_request'),
      rate_limited: answer('rate_limited'),
      quota_exceeded: answer('quota_exceeded'),
      overloaded: answer('overloaded'),
    };
  }

  /**
   * Reports `a` with `status` after `delayMs` (0: from a fresh event, so the caller is never
   * re-entered from its own submit).
   */
  after(delayMs: number, a: Attempt, status: FastStatus): void {
    this.scheduler.after(delayMs, this.handlers[status], a);
  }
}
