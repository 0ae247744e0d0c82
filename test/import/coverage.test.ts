/** The coverage tables in docs/guide/import.md are the ones `floodgate import --coverage` prints. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coverageMarkdown, LITELLM_COVERAGE, PORTKEY_COVERAGE } from '../../src/import/coverage.ts';

const DOC = readFileSync(join(import.meta.dirname, '../../docs/guide/import.md'), 'utf8');

describe('import coverage tables', () => {
  it.each([
    ['portkey', PORTKEY_COVERAGE],
    ['litellm', LITELLM_COVERAGE],
  ])('%s: the docs show the table as the code has it', (_name, rows) => {
    expect(DOC).toContain(coverageMarkdown(rows));
  });

  it('every key the issue names has a row', () => {
    const keys = [...PORTKEY_COVERAGE, ...LITELLM_COVERAGE].map((r) => r.key).join('\n');
    for (const key of [
      'loadbalance',
      'fallback',
      'single',
      'retry.attempts',
      'retry.on_status_codes',
      'request_timeout',
      'targets (nested)',
      'override_params.model',
      'litellm_params.rpm',
      'litellm_params.tpm',
      'simple-shuffle',
      'least-busy',
      'usage-based-routing',
      'latency-based-routing',
      'cost-based-routing',
      'num_retries',
      'retry_policy',
      'allowed_fails',
      'cooldown_time',
      'fallbacks',
      'context_window_fallbacks',
      'timeout',
    ])
      expect(keys).toContain(key);
  });
});
