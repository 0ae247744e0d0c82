import { describe, expect, it } from 'vitest';
import cooldown from '../../policies/cooldown.ts';
import {
  fakeContext,
  makeOutcome,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

// runPolicyContract (src/testing) has no health branch: it would call `admit` on a health policy.
runPolicyContract(cooldown);
runPolicyContract(cooldown, { cooldownMs: 60_000, failureShare: 0.2, minRequests: 5 });

type Params = Parameters<typeof cooldown.create>[0];

/** One target in a deployment group of `groupSize` targets (LiteLLM: deployments sharing a model name). */
function setup(over: Partial<Params> = {}, groupSize = 2) {
  const { ctx, advance } = fakeContext();
  const policy = cooldown.create(cooldown.params!.parse(over), ctx);
  const t = makeTarget(0, { group: { model: 'm', size: groupSize } });
  const send = (status: string, times = 1, retryAfterMs = 0) => {
    for (let k = 0; k < times; k++) policy.onOutcome!(makeOutcome(t, { status, retryAfterMs }));
  };
  return { send, advance, allowed: () => policy.allows(t), policy };
}

describe('cooldown: the share rule (group of 2+)', () => {
  it('cools a target for 5 s when more than half of 5+ requests this minute failed', () => {
    const s = setup();
    s.send('server_error', 4);
    expect(s.allowed()).toBe(true); // 4 / 4: below 5 requests
    s.advance(1);
    s.send('timeout'); // 5 / 5 at t = 1: cooled until 5001
    expect(s.allowed()).toBe(false);
    s.advance(4999);
    expect(s.allowed()).toBe(false);
    s.advance(1);
    expect(s.allowed()).toBe(true);
  });

  it('needs the share strictly above 0.5', () => {
    const s = setup();
    s.send('ok', 3);
    s.send('overloaded', 3); // 3 / 6
    expect(s.allowed()).toBe(true);
    s.send('overloaded'); // 4 / 7
    expect(s.allowed()).toBe(false);
  });

  it('counts successes and failures each for 60 s from the first it counted (a TTL, not the calendar minute)', () => {
    const a = setup();
    a.send('ok', 3);
    a.advance(59_999);
    a.send('server_error', 5); // 5 / 8: the successes live until 60 s
    expect(a.allowed()).toBe(false);

    const b = setup();
    b.send('server_error', 4);
    b.advance(60_000);
    b.send('server_error'); // the failures' 60 s are over: 1 / 1
    expect(b.allowed()).toBe(true);

    const c = setup();
    c.advance(30_000);
    c.send('server_error', 4); // counted from 30 s: live until 90 s, across the minute's turn
    c.advance(31_000);
    c.send('server_error'); // 5 / 5 at 61 s
    expect(c.allowed()).toBe(false);

    const d = setup();
    d.send('ok', 5); // successes from 0 s, expiring at 60 s
    d.advance(50_000);
    d.send('server_error', 4); // 4 / 9 at 50 s
    d.advance(10_000);
    d.send('server_error'); // 60 s: the successes have expired, the failures have not: 5 / 5
    expect(d.allowed()).toBe(false);
  });

  it('counts bad_request in the share without cooling on it; cancelled is not counted', () => {
    const s = setup();
    s.send('bad_request', 5); // 5 / 5, but a 400 never cools
    expect(s.allowed()).toBe(true);
    s.send('cancelled', 5);
    s.send('stream_cut'); // 6 / 6
    expect(s.allowed()).toBe(false);
  });

  it('cools down again on the next failure while the minute stays bad', () => {
    const s = setup();
    s.send('server_error', 5);
    s.advance(5000);
    expect(s.allowed()).toBe(true);
    s.send('server_error'); // 6 / 6 at t = 5000: until 10000
    s.advance(4999);
    expect(s.allowed()).toBe(false);
    s.advance(1);
    expect(s.allowed()).toBe(true);
  });

  it('cools for the retry-after the failure carried, unless retryAfter: false', () => {
    const a = setup();
    a.send('rate_limited', 1, 30_000);
    a.advance(29_999);
    expect(a.allowed()).toBe(false);
    a.advance(1);
    expect(a.allowed()).toBe(true);

    const b = setup({ retryAfter: false });
    b.send('rate_limited', 1, 30_000);
    b.advance(5000);
    expect(b.allowed()).toBe(true);
  });
});

describe('cooldown: a failure while cooling (BerriAI/litellm#40130)', () => {
  /** The repro: a 429 with Retry-After 1 s, then a slower 429 without one (the 5 s default). */
  const repro = (over: Partial<Params>) => {
    const s = setup(over);
    s.send('rate_limited', 1, 1000); // cooled until 1000
    s.advance(500);
    s.send('rate_limited'); // in flight when the first came back
    s.advance(500);
    return s.allowed();
  };

  it('keeps the first deadline, as LiteLLM ships', () => {
    expect(repro({})).toBe(true);
  });

  it('restarts it with renewCooldown: true, as the proposed fix does', () => {
    expect(repro({ renewCooldown: true })).toBe(false);
  });
});

describe('cooldown: fail closed and jitter', () => {
  it('fails closed by default, as LiteLLM does, and open with failOpen: true', () => {
    expect(setup().policy.failOpen).toBe(false);
    expect(setup({ failOpen: true }).policy.failOpen).toBe(true);
  });

  it('draws each cooldown from [(1 - jitter), (1 + jitter)] x cooldownMs, averaging cooldownMs', () => {
    const { ctx, advance } = fakeContext('jitter');
    const policy = cooldown.create(cooldown.params!.parse({ jitter: 0.5 }), ctx);
    const lengths: number[] = [];
    for (let k = 0; k < 200; k++) {
      // A fresh minute per trial; a 429 in a group of two cools at once.
      advance(60_000);
      const t = makeTarget(k, { group: { model: 'm', size: 2 } });
      policy.onOutcome!(makeOutcome(t, { status: 'rate_limited' }));
      // The cooldown ends at the first whole millisecond the target is allowed again.
      let ms = 0;
      while (!policy.allows(t)) {
        advance(1);
        ms++;
      }
      lengths.push(ms);
      advance(60_000 - ms);
    }
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(2_500);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(7_501);
    expect(new Set(lengths).size).toBeGreaterThan(100);
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    expect(Math.abs(mean - 5_000)).toBeLessThan(250);
  });

  it('without jitter draws no random numbers', () => {
    const { ctx } = fakeContext();
    let draws = 0;
    const counted = {
      ...ctx,
      random: () => {
        draws++;
        return ctx.random();
      },
    };
    const policy = cooldown.create(cooldown.params!.parse({}), counted);
    const t = makeTarget(0, { group: { model: 'm', size: 2 } });
    policy.onOutcome!(makeOutcome(t, { status: 'rate_limited' }));
    expect(policy.allows(t)).toBe(false);
    expect(draws).toBe(0);
  });
});

/**
 * LiteLLM's own tests, one block each, with their numbers: tests/local_testing/
 * test_router_cooldowns.py at 1fa201c7 and tests/router_unit_tests/test_router_cooldown_utils.py
 * as of the fix for BerriAI/litellm#17418 (DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS, 2026). Mocked
 * completions become outcomes; `add_deployment_to_cooldown` being called becomes the target not
 * being allowed. Deployment groups: deployments sharing a `model_name`.
 */
describe('cooldown: LiteLLM tests/local_testing/test_router_cooldowns.py', () => {
  for (const numDeployments of [1, 2]) {
    it(`test_single_deployment_no_cooldowns[${numDeployments}]: one 429 cools only a deployment with a peer`, () => {
      const s = setup({}, numDeployments);
      s.send('rate_limited');
      expect(s.allowed()).toBe(numDeployments === 1);
    });
  }

  it('test_single_deployment_no_cooldowns_test_prod: a 429 on the only gpt-3.5-turbo deployment does not cool it', () => {
    const s = setup({}, 1); // gpt-5 and gpt-12 are other groups
    s.send('rate_limited');
    expect(s.allowed()).toBe(true);
  });

  it('test_single_deployment_cooldown_with_allowed_fails: allowed_fails=1, the second timeout cools (once)', () => {
    const s = setup({ allowedFails: 1 }, 1);
    s.send('timeout');
    expect(s.allowed()).toBe(true);
    s.send('timeout');
    expect(s.allowed()).toBe(false);
  });

  it('test_single_deployment_cooldown_with_allowed_fail_policy: TimeoutErrorAllowedFails=1, the second timeout cools', () => {
    const s = setup({ allowedFailsPolicy: { TimeoutErrorAllowedFails: 1 } }, 1);
    s.send('timeout');
    expect(s.allowed()).toBe(true);
    s.send('timeout');
    expect(s.allowed()).toBe(false);
  });

  it('test_single_deployment_no_cooldowns_test_prod_mock_completion_calls: 20 429s, no cooldown', () => {
    const s = setup({}, 1);
    s.send('rate_limited', 20);
    expect(s.allowed()).toBe(true);
  });

  it('test_high_traffic_cooldowns_all_healthy_deployments: 3 deployments failing 25% of 100 requests, none cooled', () => {
    const { ctx } = fakeContext();
    const policy = cooldown.create(cooldown.params!.parse({}), ctx);
    const targets = [0, 1, 2].map((i) => makeTarget(i, { group: { model: 'gpt-3.5-turbo', size: 3 } }));
    for (let n = 0; n < 100; n++) {
      const t = targets[n % 3]!;
      const kth = Math.floor(n / 3); // this deployment's kth request: every 4th fails
      policy.onOutcome!(makeOutcome(t, { status: kth % 4 === 3 ? 'server_error' : 'ok' }));
    }
    expect(targets.filter((t) => !policy.allows(t))).toHaveLength(0);
  });

  it('test_high_traffic_cooldowns_one_bad_deployment: the deployment failing 500s after its first success is cooled', () => {
    const { ctx } = fakeContext();
    const policy = cooldown.create(cooldown.params!.parse({}), ctx);
    const targets = [0, 1, 2].map((i) => makeTarget(i, { group: { model: 'gpt-3.5-turbo', size: 3 } }));
    const bad = targets[1]!;
    let firstCooledAt = -1;
    for (let n = 0; n < 100; n++) {
      const t = targets[n % 3]!;
      const kth = Math.floor(n / 3);
      const status = t === bad ? (kth === 0 ? 'ok' : 'server_error') : kth % 4 === 3 ? 'server_error' : 'ok';
      policy.onOutcome!(makeOutcome(t, { status }));
      if (firstCooledAt < 0 && !policy.allows(bad)) firstCooledAt = kth;
    }
    expect(targets.filter((t) => !policy.allows(t))).toEqual([bad]);
    // 1 ok then failures: 1/2, 2/3, 3/4 are under 5 requests; 4/5 cools (with 2 requests it was 2/3).
    expect(firstCooledAt).toBe(4);
  });

  it('test_high_traffic_cooldowns_one_rate_limited_deployment: the deployment answering 429 is cooled on its first', () => {
    const { ctx } = fakeContext();
    const policy = cooldown.create(cooldown.params!.parse({}), ctx);
    const targets = [0, 1, 2].map((i) => makeTarget(i, { group: { model: 'gpt-3.5-turbo', size: 3 } }));
    const bad = targets[2]!;
    policy.onOutcome!(makeOutcome(bad, { status: 'ok' }));
    policy.onOutcome!(makeOutcome(bad, { status: 'rate_limited' }));
    expect(targets.filter((t) => !policy.allows(t))).toEqual([bad]);
  });

  it('test_cooldown_badrequest_error: allowed_fails=0, cooldown_time=300, a BadRequestError does not cool', () => {
    const s = setup({ allowedFails: 0, cooldownMs: 300_000 }, 1);
    s.send('bad_request');
    s.advance(3000);
    expect(s.allowed()).toBe(true);
  });

  it('test_cooldown_time_zero_uses_zero_not_default: cooldown_time 0 never cools', () => {
    const s = setup({ cooldownMs: 0 });
    s.send('rate_limited');
    expect(s.allowed()).toBe(true);
  });
});

describe('cooldown: LiteLLM tests/router_unit_tests/test_router_cooldown_utils.py (_should_cooldown_deployment)', () => {
  it('test_should_cooldown_high_traffic_all_fails: 1001 failures of 1001 cool even a single deployment', () => {
    const s = setup({}, 1);
    s.send('server_error', 1000);
    expect(s.allowed()).toBe(false); // the 1000th: all failed with >= 1000 requests
    const t = setup({}, 1);
    t.send('server_error', 999);
    expect(t.allowed()).toBe(true);
  });

  it('test_no_cooldown_low_traffic: 3 failures, 0 successes, single deployment: no cooldown', () => {
    const s = setup({}, 1);
    s.send('server_error', 3);
    expect(s.allowed()).toBe(true);
  });

  it('test_cooldown_rate_limit: a 429 on a single deployment (1 failure) does not cool', () => {
    const s = setup({}, 1);
    s.send('rate_limited');
    expect(s.allowed()).toBe(true);
  });

  it('test_mixed_success_failure: 3 failures and 7 successes do not cool', () => {
    const s = setup({}, 1);
    s.send('ok', 7);
    s.send('server_error', 3);
    expect(s.allowed()).toBe(true);
  });

  it('test_should_cooldown_deployment_minimum_request_threshold: 1 failure does not cool, 5 do (group of 2)', () => {
    const s = setup();
    s.send('server_error');
    expect(s.allowed()).toBe(true);
    s.send('server_error', 4);
    expect(s.allowed()).toBe(false);
  });
});

describe('cooldown: allowed_fails_policy per error kind (LiteLLM v1 rule)', () => {
  it("takes the kind's entry, else allowedFails, else 3; the count expires cooldownMs after the last failure", () => {
    const s = setup({ allowedFailsPolicy: { RateLimitErrorAllowedFails: 0 } }, 2);
    s.send('server_error', 3); // InternalServerError: no entry, allowed 3
    expect(s.allowed()).toBe(true);
    s.advance(5000); // the count of 3 expires 5 s after its first
    s.send('server_error', 3);
    expect(s.allowed()).toBe(true);
    s.send('rate_limited'); // 3 + 1 > 0: cooled
    expect(s.allowed()).toBe(false);

    const t = setup({ allowedFails: 2, allowedFailsPolicy: { ServiceUnavailableErrorAllowedFails: 5 } });
    t.send('stream_cut', 5); // ServiceUnavailableError, as LiteLLM's MidStreamFallbackError
    expect(t.allowed()).toBe(true);
    t.send('timeout'); // 5 + 1 > allowedFails 2
    expect(t.allowed()).toBe(false);
  });

  it('lets the count expire cooldownMs after its first failure, not its last', () => {
    const s = setup({ allowedFails: 2 });
    s.send('server_error'); // t = 0: the count lives until 5000
    s.advance(4000);
    s.send('server_error'); // 2 at 4000
    s.advance(1000);
    s.send('server_error'); // 5000: expired, 1 again
    expect(s.allowed()).toBe(true);
    s.send('server_error', 2); // 3 > 2
    expect(s.allowed()).toBe(false);
  });

  it('ignores 429s from the share rule: v1 has no immediate 429 cooldown', () => {
    const s = setup({ allowedFails: 2 }, 3);
    s.send('rate_limited', 2);
    expect(s.allowed()).toBe(true);
    s.send('rate_limited');
    expect(s.allowed()).toBe(false);
  });

  it('refuses an unknown error kind in allowedFailsPolicy', () => {
    expect(cooldown.params!.safeParse({ allowedFailsPolicy: { NotAKind: 1 } }).success).toBe(false);
  });
});
