/**
 * Fuzz through the built CLI (bin/floodgate.js, built by `npm run build`, which `npm test` runs
 * first): a seeded sample of bundled scenarios with their YAML text mutated (see
 * test/scenario/text-mutations.ts) is written to files and checked as users run them. `validate`
 * exits 0, 1 or 2, never 70, and returns before a timeout; what it accepts also runs, cut to a
 * minute without warmup, exiting 0, 1 or 3, never 70. For a longer hunt:
 *   FUZZ_SEED=7 FUZZ_RUNS=200 FUZZ_EDITS=3 npx vitest run test/cli/fuzz-cli.test.ts
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MILD_MUTATIONS, mutatedScenarioText, type TextCase } from '../scenario/text-mutations.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/floodgate.js');
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261206);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 20);
/** Mutations per file (more reach stranger files; fewer leave more of them runnable). */
const EDITS = Number(process.env['FUZZ_EDITS'] ?? 1);
/** Generous for a loaded 2-core machine; a process past it is killed and the case fails. */
const VALIDATE_TIMEOUT_MS = 15_000;
const RUN_TIMEOUT_MS = 30_000;
const CONCURRENCY = 2;
// What reaches a terminal: no escape codes or other controls from the file, only newlines.
const RAW_CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;

interface Exit {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

function floodgate(args: string[], timeout: number): Promise<Exit> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, timeout, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; killed?: boolean; signal?: string }) | null;
        done({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          timedOut: e?.killed === true,
          stdout,
          stderr,
        });
      },
    );
  });
}

// Scenarios sit in <tmp>/scenarios with <tmp>/data beside them, as in the repository, so the
// bundled traces (`../data/...`) resolve.
const dir = mkdtempSync(join(tmpdir(), 'floodgate-fuzz-cli-'));
mkdirSync(join(dir, 'scenarios'));
symlinkSync(join(ROOT, 'data'), join(dir, 'data'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function show(c: TextCase, what: string, r: Exit): string {
  return [
    `${what}: exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}${r.timedOut ? ' (killed at the timeout)' : ''}`,
    `case: ${c.file} with ${c.applied.join(', ')}`,
    `stdout: ${JSON.stringify(r.stdout.slice(0, 1000))}`,
    `stderr: ${JSON.stringify(r.stderr.slice(0, 2000))}`,
  ].join('\n');
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function pool<T>(
  items: T[],
  limit: number,
  work: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

describe('floodgate validate and run on fuzzed scenario files', () => {
  it('never exit 70 and never hang', async () => {
    // Half with any mutation, half with mild ones, so that some files pass and get run.
    const cases = [
      ...fc.sample(mutatedScenarioText(EDITS), { seed: SEED, numRuns: Math.ceil(RUNS / 2) }),
      ...fc.sample(mutatedScenarioText(EDITS, MILD_MUTATIONS), { seed: SEED, numRuns: Math.floor(RUNS / 2) }),
    ];
    const failures: string[] = [];
    const counts = { validated: 0, accepted: 0, ran: 0 };
    // Reported on a long hunt, never asserted (tests assert no timings; the timeouts bound them).
    const slowest = { validate: 0, run: 0 };
    await pool(cases, CONCURRENCY, async (c, i) => {
      const file = join(dir, 'scenarios', `case-${i}.yaml`);
      writeFileSync(file, c.text);
      const started = performance.now();
      const v = await floodgate(['validate', file], VALIDATE_TIMEOUT_MS);
      slowest.validate = Math.max(slowest.validate, performance.now() - started);
      counts.validated++;
      if (v.timedOut || v.code === null || ![0, 1, 2].includes(v.code)) {
        failures.push(show(c, 'validate', v));
        return;
      }
      if (RAW_CONTROL.test(v.stdout + v.stderr))
        failures.push(show(c, 'validate printed a control character', v));
      if (v.code !== 0) return;
      counts.accepted++;
      const runStarted = performance.now();
      const r = await floodgate(
        ['run', file, '--set', 'duration=1m', '--set', 'warmup=0', '--quiet'],
        RUN_TIMEOUT_MS,
      );
      slowest.run = Math.max(slowest.run, performance.now() - runStarted);
      counts.ran++;
      if (r.timedOut || r.code === null || ![0, 1, 3].includes(r.code)) failures.push(show(c, 'run', r));
      else if (RAW_CONTROL.test(r.stdout + r.stderr))
        failures.push(show(c, 'run printed a control character', r));
    });
    if (process.env['FUZZ_RUNS'])
      console.log(`fuzz-cli: ${RUNS} cases, seed ${SEED}`, counts, 'slowest ms', slowest);
    expect(failures).toEqual([]);
    expect(counts.validated).toBe(RUNS);
    // Single mutations leave some files valid, so the run half is exercised too.
    expect(counts.ran).toBeGreaterThan(0);
  }, 120_000);
});
