/**
 * A recycling gateway in front of one queue provider (two servers, 100 ms), fed `requests`
 * requests 50 ms apart, each closed when it ends: the fixture the record-pool and work-pool tests
 * share. What they look at comes out through `onAttemptDone` (the probe) and `workPool`.
 */
import { Simulation } from '../../src/engine/simulation.ts';
import { Gateway } from '../../src/gateway/pipeline.ts';
import type { GatewayProbe } from '../../src/gateway/probe.ts';
import type { Ticket } from '../../src/gateway/ticket.ts';
import type { Attempt } from '../../src/providers/attempt.ts';
import { QueueProvider } from '../../src/providers/queue/queue-provider.ts';
import { WorkItem, type WorkItemPool } from '../../src/providers/work-item.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import { queueConfig } from '../providers/harness.ts';

const inf = Number.POSITIVE_INFINITY;

/** A queue provider that does not say it forgets reported attempts (as the API providers do not). */
export class Keeper extends QueueProvider {
  override readonly forgetsReported = undefined as unknown as true;
}

export function runThroughOneTarget(o: {
  make: typeof QueueProvider;
  requests: number;
  onAttemptDone?: (a: Attempt) => void;
  workPool?: WorkItemPool;
}): void {
  const sim = new Simulation();
  const scenario = validateScenario({
    name: 'one-target',
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
    attemptDone: o.onAttemptDone ?? noop,
  };
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
    ...(o.workPool ? { workPool: o.workPool } : {}),
  });
  const provider = new o.make(
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
  for (let i = 0; i < o.requests; i++) {
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
}
