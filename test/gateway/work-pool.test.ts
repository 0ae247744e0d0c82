/**
 * The gateway gives a request's work item back to the work pool when it recycles its ticket, and
 * only when no provider may still hold one of its attempts (a provider without `forgetsReported`
 * keeps what it served, work item included).
 */
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/engine/simulation.ts';
import { Gateway } from '../../src/gateway/pipeline.ts';
import type { GatewayProbe } from '../../src/gateway/probe.ts';
import type { Ticket } from '../../src/gateway/ticket.ts';
import { QueueProvider } from '../../src/providers/queue/queue-provider.ts';
import { WorkItem, WorkItemPool } from '../../src/providers/work-item.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import { queueConfig } from '../providers/harness.ts';

const inf = Number.POSITIVE_INFINITY;

class Keeper extends QueueProvider {
  override readonly forgetsReported = undefined as unknown as true;
}

/** 20 requests, 50 ms apart, through a recycling gateway to one provider: the work items given back. */
function givenBack(make: typeof QueueProvider): WorkItem[] {
  const sim = new Simulation();
  const scenario = validateScenario({
    name: 'work-pool',
    duration: '10s',
    providers: [{ name: 'q', kind: 'queue', servers: 2, service: '100ms' }],
    workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
  });
  const noop = () => {};
  const probe: GatewayProbe = {
    admitted: noop,
    rejected: noop,
    hedged: noop,
    retryDenied: noop,
    gatewayRetried: noop,
    attemptStarted: noop,
    attemptAbandoned: noop,
    attemptDone: noop,
  };
  const pool = new WorkItemPool();
  const given: WorkItem[] = [];
  pool.give = (w) => given.push(w);
  const gateway = new Gateway({
    scheduler: sim,
    config: scenario.gateway,
    classes: [{ name: 'c', priority: 0, tenant: undefined, slo: { ttftMs: inf, tpotMs: inf, e2eMs: inf } }],
    policies: () => ({
      routing: { route: (_r, targets) => targets[0]! },
      admission: { admit: () => 'admit' },
      names: { routing: 'first' },
    }),
    probe,
    retryRng: () => 0.5,
    recycle: true,
    workPool: pool,
  });
  const provider = new make(
    { ...queueConfig({ servers: 2, service: '100ms' }), name: 'q' },
    sim,
    gateway,
    () => 0.5,
  );
  gateway.addTarget(
    {
      name: 'q',
      provider: 'q',
      providerIndex: 0,
      kind: 'queue',
      models: ['q'],
      inputPerMTok: 0,
      outputPerMTok: 0,
    },
    provider,
  );
  const tickets: Ticket<number>[] = [];
  const listener = { tryEnded: (i: number) => gateway.close(tickets[i]!) };
  for (let i = 0; i < 20; i++) {
    sim.at(
      i * 50,
      () => {
        tickets[i] = gateway.open(new WorkItem(i, 0, sim.now(), 10, 10, inf, true, false), i, listener);
        gateway.receive(tickets[i]!, 1);
      },
      undefined,
    );
  }
  sim.run(inf);
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
