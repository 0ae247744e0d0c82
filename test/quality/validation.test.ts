/**
 * The `quality` section is validated like the rest of a scenario: names that must exist, values
 * in range, one accuracy for the estimator; quality SLOs need the section. And what it adds shows
 * in the summary and in SLO verdicts.
 */
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/summary.ts';
import { ScenarioInvalidError } from '../../src/errors.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { qualityScenario, runQuality } from './harness.ts';

const BASE = `name: q
duration: 10s
providers:
  - { name: weak, kind: api, models: [small] }
  - { name: strong, kind: api, models: [big] }
workload:
  classes:
    - { name: chat, arrivals: { rate: 5/s } }
`;

async function problems(yaml: string): Promise<string[]> {
  try {
    await loadScenarioText(BASE + yaml, 'scenario.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioInvalidError);
    return (e as Error).message.split('\n');
  }
  throw new Error('expected the scenario to be invalid');
}

describe('the quality section', () => {
  it('loads with its defaults: uniform difficulty, capability 1, a perfect estimate', async () => {
    const { scenario } = await loadScenarioText(`${BASE}quality: {}\n`, 'scenario.yaml');
    expect(scenario.quality).toEqual({
      difficulty: {},
      models: {},
      defaultCapability: 1,
      estimator: { correlation: 1 },
      sessions: {},
    });
  });

  it('turns an AUC into the copula correlation sin(pi (auc - 1/2))', async () => {
    const { scenario } = await loadScenarioText(
      `${BASE}quality: { estimator: { auc: 0.75 }, models: { small: 0.5, big: { capability: { default: 0.9, chat: 0.95 }, sessionCalls: 1 } } }\n`,
      'scenario.yaml',
    );
    expect(scenario.quality!.estimator.correlation).toBeCloseTo(Math.SQRT1_2, 12);
    expect(scenario.quality!.models['small']).toEqual({ capability: 0.5, sessionCalls: 1 });
  });

  it.each([
    [
      'quality: { difficulty: { chta: 0.5 } }',
      "quality.difficulty.chta: expected one of the classes 'chat', got 'chta' (did you mean 'chat'?)",
    ],
    ['quality: { models: { smal: 0.5 } }', "got 'smal' (did you mean 'small'?)"],
    [
      'quality: { models: { small: { capability: { chta: 0.5 } } } }',
      "expected 'default' or one of the classes 'chat'",
    ],
    ['quality: { models: { small: 1.5 } }', 'expected a capability from 0 to 1'],
    [
      'quality: { estimator: { auc: 0.8, correlation: 0.5 } }',
      'expected one of correlation or auc, not both',
    ],
    ['quality: { estimator: { auc: 0.3 } }', 'expected an AUC from 0.5 to 1'],
    ['quality: { difficulty: { chat: { dist: uniform, min: 0.8, max: 0.2 } } }', 'expected min <= max'],
    [
      'quality: { difficulty: { chat: { dist: weibull, a: 2 } } }',
      "a distribution with 'dist' one of 'uniform' | 'deterministic' | 'beta' | 'empirical'",
    ],
    ['quality: { sessions: { giveUpAfter: 0.5 } }', 'expected a multiplier from 1 to 100'],
    ['quality: { qualty: 1 }', "unknown key 'qualty'"],
    [
      'slos: [{ metric: acceptableShare, min: 90% }]',
      "expected a 'quality' section for the quality metric 'acceptableShare'",
    ],
  ])('refuses %s', async (yaml, message) => {
    const lines = await problems(`${yaml}\n`);
    expect(lines.join('\n')).toContain(message);
  });
});

describe('quality in the summary and in SLOs', () => {
  it('prints the quality line and per-class table, and judges quality SLOs', async () => {
    const s = qualityScenario({
      seconds: 20,
      weak: 0.6,
      routing: { policy: 'threshold-router', params: { threshold: 1 } },
    });
    s.slos = [
      { metric: 'acceptableShare', min: 0.5 },
      { metric: 'qualityGoodputShare', class: 'chat', min: 0.9 },
      { metric: 'costPerAcceptableUsd', max: 0.01 },
    ];
    const r = await runQuality(s);
    expect(r.slos.map((v) => v.pass)).toEqual([true, false, true]);
    expect(r.slos[0]!.observed).toBe(r.quality!.acceptableShare);
    expect(r.slos[2]!.observed).toBe(r.quality!.costPerAcceptableUsd);
    const text = formatSummary(r);
    expect(text).toMatch(/^quality {2}acceptable [\d,]+ \(\d+\.\d%\) {2}quality goodput [\d.]+\/s/m);
    expect(text).toContain('cost/acceptable');
    const { quality: _q, ...plain } = r;
    const classes = Object.fromEntries(Object.entries(r.classes).map(([n, { quality: _c, ...c }]) => [n, c]));
    expect(formatSummary({ ...plain, classes, slos: [] })).not.toMatch(/^quality |acceptable/m);
  });

  it('keeps per-window series of acceptable answers, quality goodput and acceptable share by arrival', async () => {
    const r = await runQuality(
      qualityScenario({
        seconds: 20,
        weak: 0.6,
        routing: { policy: 'threshold-router', params: { threshold: 1 } },
      }),
    );
    const ts = r.timeseries;
    const sum = (xs: (number | null)[] | undefined) => (xs ?? []).reduce<number>((a, x) => a + (x ?? 0), 0);
    expect(sum(ts.acceptable)).toBe(r.quality!.acceptable);
    expect(sum(ts.classes['chat']!.qualityGoodput)).toBe(r.quality!.qualityGoodput);
    const shares = (ts.acceptableShare ?? []).filter((x): x is number => x !== null);
    expect(shares.length).toBeGreaterThan(10);
    for (const x of shares) expect(x).toBeGreaterThanOrEqual(0);
    expect(shares.reduce((a, x) => a + x, 0) / shares.length).toBeCloseTo(0.6, 1);
  });
});

describe('the work estimate', () => {
  it('counts the extra session calls a weaker model needs (up to giveUpAfter)', async () => {
    const { estimateWork } = await import('../../src/scenario/budget.ts');
    const yaml = (quality: string) => `name: q
duration: 100s
providers:
  - { name: weak, kind: api, models: [small] }
workload:
  classes:
    - { name: agent, arrivals: { rate: 1/s }, session: { calls: 10 } }
${quality}`;
    const plain = estimateWork((await loadScenarioText(yaml(''), 's.yaml')).scenario).arrivals;
    const slow = estimateWork(
      (
        await loadScenarioText(
          yaml('quality: { models: { small: { capability: 0.5, sessionCalls: 4 } } }\n'),
          's.yaml',
        )
      ).scenario,
    ).arrivals;
    const capped = estimateWork(
      (
        await loadScenarioText(
          yaml(
            'quality: { models: { small: { capability: 0.5, sessionCalls: 4 } }, sessions: { giveUpAfter: 2 } }\n',
          ),
          's.yaml',
        )
      ).scenario,
    ).arrivals;
    expect(slow).toBeCloseTo(4 * plain, 6);
    expect(capped).toBeCloseTo(2 * plain, 6);
  });
});
