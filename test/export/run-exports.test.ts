/**
 * `floodgate run` with the export flags, as a process: every file written (atomically, beside
 * the summary's lines), bad flags refused before the run with exit 2 and nothing written, and no
 * export may overwrite an input.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/process.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floodgate-exports-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('floodgate run --csv --openmetrics --junit --samples', () => {
  it('writes every export and says where', async () => {
    const f = (n: string) => join(dir, n);
    const r = await runCli([
      'run',
      'scenarios/mmc.yaml',
      '--quiet',
      '--csv',
      f('ts.csv'),
      '--openmetrics',
      f('ts.om'),
      '--openmetrics-start',
      '2026-03-01T14:00:00Z',
      '--junit',
      f('slos.xml'),
      '--samples',
      f('req.jsonl'),
      '--samples-limit',
      '7',
    ]);
    expect(r.stderr).toBe('');
    expect([0, 3]).toContain(r.code);
    expect(r.stdout).toContain(`time series (CSV) written to ${f('ts.csv')}`);
    expect(r.stdout).toContain(`time series (OpenMetrics) written to ${f('ts.om')}`);
    expect(r.stdout).toContain(`verdicts (JUnit XML) written to ${f('slos.xml')}`);
    expect(r.stdout).toMatch(/\n7 of [\d,]+ requests sampled to /);
    expect(readFileSync(f('ts.csv'), 'utf8')).toMatch(/^start_ms,end_ms,offered,/);
    const om = readFileSync(f('ts.om'), 'utf8');
    expect(om).toMatch(/ 1772373600\.000\n/);
    expect(om.endsWith('# EOF\n')).toBe(true);
    expect(readFileSync(f('slos.xml'), 'utf8')).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /,
    );
    expect(readFileSync(f('req.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(7);
    // Atomic writes leave no temporary file behind.
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it("--openmetrics-start now puts the run's end at the current time", async () => {
    const file = join(dir, 'now.om');
    const before = Date.now() / 1000;
    const r = await runCli([
      'run',
      'scenarios/mmc.yaml',
      '--quiet',
      '--openmetrics',
      file,
      '--openmetrics-start',
      'now',
    ]);
    expect([0, 3]).toContain(r.code);
    const stamps = [...readFileSync(file, 'utf8').matchAll(/ (\d+\.\d{3})\n/g)].map((m) => Number(m[1]));
    const last = Math.max(...stamps);
    expect(last).toBeGreaterThan(before - 3600);
    expect(last).toBeLessThan(Date.now() / 1000 + 3600);
  });

  it('refuses bad export flags before running, with exit 2 and nothing written', async () => {
    const out = join(dir, 'refused');
    const cases: [string[], RegExp][] = [
      [['--samples', `${out}.json`], /--samples .*: expected a file ending in \.csv or \.jsonl/],
      [
        ['--samples', `${out}.csv`, '--samples-limit', '0'],
        /--samples-limit.*expected a whole number from 1 to 1,000,000, got '0'/,
      ],
      [
        ['--openmetrics', `${out}.om`, '--openmetrics-start', 'yesterday'],
        /--openmetrics-start.*expected an ISO 8601 time/,
      ],
      [['--csv', 'scenarios/mmc.yaml'], /--csv scenarios\/mmc\.yaml: this is the input file/],
      [['--junit', `${out}.x`, '--csv', `${out}.x`], /--csv .* and --junit .* name the same file/],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['run', 'scenarios/mmc.yaml', '--quiet', ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr, flags.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
    }
    expect(readdirSync(dir).filter((n) => n.startsWith('refused'))).toEqual([]);
    expect(existsSync('scenarios/mmc.yaml')).toBe(true);
  });
});
