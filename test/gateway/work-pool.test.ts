/**
 * The gateway gives a request's work item back to the work pool when it recycles its ticket, and
 * only when no provider may still hold one of its attempts (a provider without `forgetsReported`
 * keeps what it served, work item included).
 */
import { describe, expect, it } from 'vitest';
import { QueueProvider } from '../../src/providers/queue/queue-provider.ts';
import { type WorkItem, WorkItemPool } from '../../src/providers/work-item.ts';
import { Keeper, runThroughOneTarget } from './one-target.ts';

/** 20 requests, 50 ms apart, through a recycling gateway to one provider: the work items given back. */
function givenBack(make: typeof QueueProvider): WorkItem[] {
  const pool = new WorkItemPool();
  const given: WorkItem[] = [];
  pool.give = (w) => given.push(w);
  runThroughOneTarget({ make, requests: 20, workPool: pool });
  return given;
}

describe('work items go back to the pool', () => {
  it('from a provider that forgets reported attempts: every ended request', () => {
    expect(givenBack(QueueProvider).map((w) => w.id)).toHaveLength(20);
  });

  it('from a provider that may keep them: never', () => {
    expect(givenBack(Keeper)).toEqual([]);
  });
});
