/**
 * What the gateway does when its health policy allows no target: fail open (routing sees them all,
 * the default) or, for a policy that says `failOpen: false`, shed the try without an attempt.
 * One provider down all run, 10 requests at 10/s (one every 100 ms), so the counts are exact.
 */
import { describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { run } from '../providers/harness.ts';

function scenario(failOpen: boolean): ScenarioInput {
  return {
    name: 'health',
    duration: '1s',
    providers: [{ name: 'p', kind: 'queue', servers: 10, service: '100ms' }],
    faults: [{ provider: 'p', kind: 'outage', at: 0, for: '1h' }],
    workload: { arrivals: { process: 'uniform', rate: '10/s' }, classes: [{ name: 'c' }] },
    // p is alone in its deployment group: LiteLLM's v1 rule (allowed_fails) is the one that cools it.
    gateway: { health: { policy: 'cooldown', params: { failOpen, allowedFails: 1 } } },
    metrics: { interval: '1s' },
  };
}

describe('gateway health: no target allowed', () => {
  it('fails open by default: every request still reaches the cooled-down provider', async () => {
    const r = await run(scenario(true));
    expect(r.requests.attempts).toBe(10);
    expect(r.requests.failed).toBe(10);
    expect(r.requests.shed).toBe(0);
  });

  it('fails closed when the policy says so: after the second failure cools p down, the rest is shed', async () => {
    const r = await run(scenario(false));
    // The second failure (more than allowedFails 1) at t = 100 ms cools p for 5 s: requests 3 to 10 find no target.
    expect(r.requests.attempts).toBe(2);
    expect(r.requests.failed).toBe(2);
    expect(r.requests.shed).toBe(8);
  });
});

describe('gateway health: a health policy sees the deployment group', () => {
  /** p down all run, q healthy, round-robin, 20 requests at 10/s; `shared`: both serve model m. */
  const twoProviders = (shared: boolean): ScenarioInput => ({
    name: 'health-groups',
    duration: '2s',
    providers: [
      { name: 'p', kind: 'queue', servers: 10, service: '100ms', models: shared ? ['m'] : ['p'] },
      { name: 'q', kind: 'queue', servers: 10, service: '100ms', models: shared ? ['m'] : ['q'] },
    ],
    faults: [{ provider: 'p', kind: 'outage', at: 0, for: '1h' }],
    workload: { arrivals: { process: 'uniform', rate: '10/s' }, classes: [{ name: 'c' }] },
    gateway: { routing: 'round-robin', health: { policy: 'cooldown' } },
    metrics: { interval: '1s' },
  });

  it('cools p when q serves its model too: its 5th failure of 5 (t = 800 ms) sends the rest to q', async () => {
    const r = await run(twoProviders(true));
    expect(r.providers['p']!.attempts).toBe(5);
    expect(r.requests.failed).toBe(5);
  });

  it('never cools p when it is alone in its model group (LiteLLM spares single deployments)', async () => {
    const r = await run(twoProviders(false));
    expect(r.providers['p']!.attempts).toBe(10);
    expect(r.requests.failed).toBe(10);
  });
});
