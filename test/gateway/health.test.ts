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
