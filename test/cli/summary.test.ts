/** The run summary's rejections line: one compact line, only when a policy rejected something. */
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/summary.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { run } from '../providers/harness.ts';

/** 10 requests at 10/s, 1 s of service each, through `gateway`. */
function scenario(gateway: NonNullable<ScenarioInput['gateway']>): ScenarioInput {
  return {
    name: 'summary',
    duration: '1s',
    providers: [{ name: 'p', kind: 'queue', servers: 100, service: '1s' }],
    workload: { arrivals: { process: 'uniform', rate: '10/s' }, classes: [{ name: 'c' }] },
    gateway,
    metrics: { interval: '1s' },
  };
}

const rejectionLines = (r: RunResult) =>
  formatSummary(r)
    .split('\n')
    .filter((l) => l.startsWith('rejections'));

describe('formatSummary: rejections', () => {
  it('prints the policy, reason and count of every rejection on one line', async () => {
    const r = await run(
      scenario({ admission: { policy: 'concurrency-limit', params: { limit: 2, queue: false } } }),
    );
    expect(rejectionLines(r)).toEqual(['rejections  concurrency-limit: over-limit 8']);
    // Right after the attempts line.
    const lines = formatSummary(r).split('\n');
    expect(lines[lines.indexOf('rejections  concurrency-limit: over-limit 8') - 1]).toMatch(
      /^attempts {2}2 /,
    );
  });

  it('prints no line when nothing was rejected', async () => {
    expect(rejectionLines(await run(scenario({})))).toEqual([]);
  });

  it('groups reasons by policy and escapes what policy code wrote', async () => {
    const r = await run(scenario({}));
    const withRejections: RunResult = {
      ...r,
      rejections: [
        { policy: 'aimd', kind: 'admission', reason: 'over-limit', count: 1200 },
        { policy: 'aimd', kind: 'admission', reason: 'other', count: 3 },
        { policy: 'round-robin', kind: 'routing', reason: 'red\x1b[31m\nline', count: 2 },
      ],
    };
    expect(rejectionLines(withRejections)).toEqual([
      'rejections  aimd: over-limit 1,200, other 3  round-robin: red\\x1b[31m\\nline 2',
    ]);
  });
});
