import { describe, expect, it } from 'vitest';
import { parsePolicyList } from '../../src/compare/policy-spec.ts';
import { FloodgateError } from '../../src/errors.ts';

describe('parsePolicyList', () => {
  it('splits entries on top-level commas and policies on +, with YAML parameters', () => {
    expect(
      parsePolicyList('least-outstanding, p2c+aimd(initial=50, max=300), ./mine.ts(limit=8, tags=[a, b])'),
    ).toEqual([
      { label: 'least-outstanding', calls: [{ policy: 'least-outstanding', params: {} }] },
      {
        label: 'p2c+aimd(initial=50, max=300)',
        calls: [
          { policy: 'p2c', params: {} },
          { policy: 'aimd', params: { initial: 50, max: 300 } },
        ],
      },
      {
        label: './mine.ts(limit=8, tags=[a, b])',
        calls: [{ policy: './mine.ts', params: { limit: 8, tags: ['a', 'b'] } }],
      },
    ]);
  });

  it('rejects a parameter without a value and an empty list', () => {
    expect(() => parsePolicyList('aimd(initial)')).toThrow(FloodgateError);
    expect(() => parsePolicyList('aimd(initial)')).toThrow(
      "--policies: 'aimd(initial)': expected key=value, got 'initial'",
    );
    expect(() => parsePolicyList(' , ')).toThrow(/expected a comma-separated list/);
  });
});
