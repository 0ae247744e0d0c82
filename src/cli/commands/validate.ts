import { resolve } from 'node:path';
import { Command } from 'commander';
import { FloodgateError, USAGE_CODES } from '../../errors.ts';
import { plural } from '../../report/format.ts';
import type { WorkLimits } from '../../scenario/budget.ts';
import { type LoadedScenario, loadScenarioFile } from '../../scenario/load.ts';
import { type Override, parseOverride } from '../../scenario/overrides.ts';
import { typeCheckModules } from '../../scenario/type-check.ts';
import { formatDuration } from '../../scenario/units.ts';
import { isPolicyPath } from '../../simulator/policy-loader.ts';
import { resolvePolicies } from '../../simulator/simulate.ts';
import { shorten } from '../../text/quote.ts';
import { EXIT } from '../exit-codes.ts';
import { setOption, workLimitOption } from '../options.ts';
import { formatError } from '../output.ts';

export function validateCommand(): Command {
  return new Command('validate')
    .description(
      'Check a scenario (schema, references, traces, policies and their params, and the types of TypeScript policies and scenarios) without running it.',
    )
    .argument('<scenario...>', 'scenario files (.yaml, or .ts with a default export)')
    .addOption(setOption())
    .addOption(workLimitOption())
    .addHelpText(
      'after',
      '\nEach file is checked and reported (an ok line, or its errors).\nExit codes: 0 all ok, 1 some file has errors, 2 bad usage, 70 a bug.',
    )
    .action(async (files: string[], opts: { set?: string[]; max?: Partial<WorkLimits> }) => {
      const overrides = (opts.set ?? []).map(parseOverride);
      let exit: number = EXIT.ok;
      const notes = new Set<string>();
      for (const file of files) {
        try {
          const summary = await validateFile(file, overrides, notes, opts.max);
          process.stdout.write(`${shorten(file)}: ok (${summary})\n`);
        } catch (e) {
          if (!(e instanceof FloodgateError)) throw e;
          process.stderr.write(formatError(e));
          exit = Math.max(exit, USAGE_CODES.has(e.code) ? EXIT.usage : EXIT.error);
        }
      }
      for (const note of notes) process.stderr.write(`note: ${note}\n`);
      process.exitCode = exit;
    });
}

/** Loads and checks one scenario; throws its first error, or returns the ok line's summary. */
async function validateFile(
  file: string,
  overrides: Override[],
  notes: Set<string>,
  limits: Partial<WorkLimits> | undefined,
): Promise<string> {
  const loaded = await loadScenarioFile(file, { overrides, ...(limits ? { limits } : {}) });
  await resolvePolicies(loaded);
  await typeCheck(file, loaded, notes);
  const s = loaded.scenario;
  return `${shorten(s.name)}: ${formatDuration(s.duration)}, ${plural(s.providers.length, 'provider')}, ${plural(s.workload.classes.length, 'class', 'classes')}, ${plural(s.faults.length, 'fault')}, ${plural(s.slos.length, 'SLO')}`;
}

/** Type errors in a TS scenario or its TS policy modules fail validation, one line each. */
async function typeCheck(file: string, loaded: LoadedScenario, notes: Set<string>): Promise<void> {
  const g = loaded.scenario.gateway;
  const policies = [g.routing, g.admission, g.health]
    .filter((ref) => ref !== undefined && isPolicyPath(ref.policy))
    .map((ref) => resolve(loaded.baseDir, ref!.policy));
  const scenario = /\.m?ts$/.test(file) ? [resolve(file)] : [];
  const result = await typeCheckModules([...scenario, ...policies]);
  if (!result.checked) {
    notes.add(`TypeScript modules were not type-checked: ${result.reason}`);
    return;
  }
  if (result.problems.length === 0) return;
  const scenarioProblem = result.problems.some((p) => scenario.includes(p.file));
  const lines = result.problems.map((p) => {
    // Name the module as the user wrote it when it is the scenario itself.
    const name = scenario.includes(p.file) ? file : p.file;
    return `${name}:${p.line}:${p.column}: ${p.message}`;
  });
  throw new FloodgateError(
    scenarioProblem ? 'FG_SCENARIO_INVALID' : 'FG_POLICY_INVALID',
    lines.join('\n'),
    'modules run with their types stripped, so code with type errors may not do what it says: fix them',
  );
}
