import { describe, expect, it } from 'vitest';
import alwaysAdmit from '../../policies/always-admit.ts';
import concurrencyLimit from '../../policies/concurrency-limit.ts';
import { builtinPolicies } from '../../policies/index.ts';
import { fakeContext, makeRequest, runPolicyContract } from '../../src/testing/policy-contract.case.ts';

runPolicyContract(alwaysAdmit);
runPolicyContract(concurrencyLimit, { limit: 10 });
runPolicyContract(concurrencyLimit, { limit: 10, queue: false });

describe('concurrency-limit', () => {
  it('admits below the limit, queues at it by default', () => {
    const policy = concurrencyLimit.create({ limit: 3, queue: true }, fakeContext().ctx);
    expect(policy.admit(makeRequest(), { inFlight: 2, queued: 0 }, 0)).toBe('admit');
    expect(policy.admit(makeRequest(), { inFlight: 3, queued: 0 }, 0)).toBe('enqueue');
  });

  it('sheds at the limit when queueing is off', () => {
    const policy = concurrencyLimit.create({ limit: 3, queue: false }, fakeContext().ctx);
    expect(policy.admit(makeRequest(), { inFlight: 3, queued: 0 }, 0)).toEqual({ reject: 'over-limit' });
  });
});

describe('the policy registry', () => {
  it('names each built-in policy after its file', async () => {
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(new URL('../../policies/', import.meta.url))).filter(
      (f) => f.endsWith('.ts') && f !== 'index.ts',
    );
    expect(builtinPolicies.map((p) => `${p.name}.ts`).sort()).toEqual(files.sort());
  });

  it('admits everything with always-admit', () => {
    const policy = alwaysAdmit.create({}, fakeContext().ctx);
    expect(policy.admit(makeRequest(), { inFlight: 1e9, queued: 1e9 }, 0)).toBe('admit');
  });
});
