/**
 * Fuzz on the YAML text: the bundled scenarios with alias bombs, merge keys, duplicated keys, deep
 * nesting, tabs, control characters, BOMs, long lines, odd numbers and units, truncation, byte
 * flips, prototype keys, tags and extra documents written into them (text-mutations.ts). Each
 * loads or is refused with a FloodgateError whose message is short per problem and prints no raw
 * control character; none pollutes Object.prototype. Seeded and bounded; for a longer hunt:
 *   FUZZ_SEED=7 FUZZ_RUNS=3000 npx vitest run test/scenario/fuzz-text.test.ts
 */
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FloodgateError } from '../../src/errors.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { mutatedScenarioText, SCENARIO_TEXTS, TEXT_MUTATIONS, type TextCase } from './text-mutations.ts';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261206);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 120);

/**
 * A problem line: file, line and column, a path (cut at 120 characters) and a message (cut at 400,
 * quoting at most a short excerpt of the input).
 */
const MAX_PROBLEM_LINE = 700;
// C0 and C1 controls but the newline between problems, DEL, line separators and bidi overrides.
const RAW_CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;

function describeCase(c: TextCase): string {
  return `${c.file} with ${c.applied.join(', ')}\n--- text (start) ---\n${JSON.stringify(c.text.slice(0, 1500))}`;
}

/** Loads a text: resolves, or the error is a FloodgateError with a clean, bounded message. */
async function loadChecked(c: TextCase): Promise<'accepted' | 'refused'> {
  const outcome = await loadScenarioText(c.text, c.file).then(
    () => 'accepted' as const,
    (e: unknown) => {
      if (!(e instanceof FloodgateError))
        throw new Error(`loadScenarioText threw ${(e as Error)?.stack ?? String(e)}\n${describeCase(c)}`);
      checkMessage(e.message, c);
      return 'refused' as const;
    },
  );
  const proto = Object.prototype as Record<string, unknown>;
  if ('polluted' in proto) {
    delete proto['polluted'];
    throw new Error(`Object.prototype was polluted by\n${describeCase(c)}`);
  }
  return outcome;
}

function checkMessage(message: string, c: TextCase): void {
  for (const line of message.split('\n')) {
    if (line.length > MAX_PROBLEM_LINE)
      throw new Error(
        `a problem line of ${line.length} characters: ${line.slice(0, 300)}...\n${describeCase(c)}`,
      );
    if (RAW_CONTROL.test(line))
      throw new Error(
        `a raw control character in: ${JSON.stringify(line.slice(0, 300))}\n${describeCase(c)}`,
      );
  }
}

describe('fuzzed scenario text', () => {
  it('loads or is refused with a clean FloodgateError', async () => {
    const counts = { accepted: 0, refused: 0 };
    // Reported on a long hunt, never asserted.
    const slowest = { ms: 0, applied: '' };
    await fc.assert(
      fc.asyncProperty(mutatedScenarioText(3), async (c) => {
        const started = performance.now();
        counts[await loadChecked(c)]++;
        const ms = performance.now() - started;
        if (ms > slowest.ms) Object.assign(slowest, { ms, applied: `${c.file} ${c.applied.join(', ')}` });
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    if (process.env['FUZZ_RUNS'])
      console.log(`fuzz-text: ${RUNS} runs, seed ${SEED}`, counts, 'slowest', slowest);
    // Some mutations (comments, a merge of an unused key, a BOM) leave the scenario loadable.
    expect(counts.accepted).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(RUNS / 4);
  }, 120_000);

  it.each(Object.keys(TEXT_MUTATIONS))('%s on every bundled scenario', async (name) => {
    // Each mutation once per file, at a different place and variant in each.
    for (const [n, { file, text }] of SCENARIO_TEXTS.entries()) {
      const [at, pick] = [n * 131 + 17, n * 13 + n];
      await loadChecked({
        file,
        text: TEXT_MUTATIONS[name]!(text, at, pick),
        applied: [`${name}@${at}/${pick}`],
      });
    }
  });
});

describe('crashes the text fuzz found', () => {
  it.each([
    [
      'an anchor aliased inside itself',
      'name: x\nlist: &a [1, *a]\n',
      's.yaml:2:14: list[1]: invalid YAML: an alias refers to a node that contains it (a cycle); write the values out instead',
    ],
    [
      'a section aliased under itself',
      'name: x\ngateway: &s\n  routing: { policy: random }\n  extra:\n    <<: *s\n',
      's.yaml:5:9: gateway.extra.<<: invalid YAML: an alias refers to a node that contains it (a cycle); write the values out instead',
    ],
    [
      // A BOM inside the indentation, then many lines the yaml parser nests one level each.
      'a BOM in the indentation before thousands of lines',
      ['a:', '  \ufeff  k: 1', ...Array.from({ length: 50_000 }, (_, i) => `    k${i}: 1`), 'b: 1'].join(
        '\n',
      ),
      's.yaml: (top level): invalid YAML: nested too deeply to parse; check the indentation',
    ],
    [
      'a second document',
      'name: a\n---\nname: b\n',
      "s.yaml:2:1: (top level): invalid YAML: a scenario is one YAML document, found more than one (remove the second '---' and what follows)",
    ],
  ])('%s is an FG_SCENARIO_INVALID error, not a crash', async (_, text, message) => {
    const error = await loadScenarioText(text, 's.yaml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FloodgateError);
    expect((error as FloodgateError).code).toBe('FG_SCENARIO_INVALID');
    expect((error as FloodgateError).message).toBe(message);
  });

  it('an invisible character in a value is printed escaped, so the two spellings look different', async () => {
    const mmc = SCENARIO_TEXTS.find((s) => s.file === 'scenarios/mmc.yaml')!;
    const text = mmc.text.replace('dist: exponential', 'dist: expo\u200bnential');
    const error = await loadScenarioText(text, mmc.file).catch((e: unknown) => e);
    expect((error as FloodgateError).message).toBe(
      "scenarios/mmc.yaml:14:22: providers[0].service.dist: expected 'dist' to be one of 'deterministic' | 'exponential' | 'uniform' | 'normal' | 'lognormal' | 'gamma' | 'empirical' (did you mean 'exponential'?), got 'expo\\u200bnential'",
    );
  });

  it('a long key in a problem path is cut, and the control character past the cut never printed', async () => {
    const mmc = SCENARIO_TEXTS.find((s) => s.file === 'scenarios/mmc.yaml')!;
    const text = mmc.text.replace('gateway:', `gateway:\n  fallbacks:\n    ${'k'.repeat(1000)}\u001b: 5`);
    const error = await loadScenarioText(text, mmc.file).catch((e: unknown) => e);
    expect((error as FloodgateError).message).toBe(
      `scenarios/mmc.yaml:21:1008: gateway.fallbacks.${'k'.repeat(102)}... (1019 characters): expected array, got 5`,
    );
  });

  it('a control character in a trace path is escaped in the error', async () => {
    const azure = SCENARIO_TEXTS.find((s) => s.file === 'scenarios/azure-trace.yaml')!;
    const error = await loadScenarioText(azure.text.replace('../data/', '../d\fata/'), azure.file).catch(
      (e: unknown) => e,
    );
    expect((error as FloodgateError).message).toBe(
      `scenarios/azure-trace.yaml: workload.arrivals.trace.file: cannot read trace '${resolve('d')}\\x0cata/azure-llm-2023-conv.csv': ENOENT`,
    );
  });

  it('deep flow nesting is reported as such, not as the stack overflow of the parser', async () => {
    const text = `name: x\nx: ${'['.repeat(50_000)}1${']'.repeat(50_000)}\n`;
    const error = await loadScenarioText(text, 's.yaml').catch((e: unknown) => e);
    expect((error as FloodgateError).code).toBe('FG_SCENARIO_INVALID');
    // The column is where the parser's stack ran out, which depends on the stack in use (and the
    // parser may report what follows from there as further problems).
    expect((error as FloodgateError).message.split('\n')[0]).toMatch(
      /^s\.yaml:2:\d+: \(top level\): invalid YAML: nested too deeply to parse; check the indentation$/,
    );
  });
});
