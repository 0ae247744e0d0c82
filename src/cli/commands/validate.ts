import { Command } from 'commander';
import type { WorkLimits } from '../../scenario/budget.ts';
import { loadScenarioFile } from '../../scenario/load.ts';
import { parseOverride } from '../../scenario/overrides.ts';
import { formatDuration } from '../../scenario/units.ts';
import { resolvePolicies } from '../../simulator/simulate.ts';
import { collect, workLimitOption } from '../options.ts';

export function validateCommand(): Command {
  return new Command('validate')
    .description(
      'Check a scenario (schema, references, traces, policies and their params) without running it.',
    )
    .argument('<scenario...>', 'scenario YAML files')
    .option('--set <path=value>', 'override a scenario value, VALUE parsed as YAML (repeatable)', collect, [])
    .addOption(workLimitOption())
    .action(async (files: string[], opts: { set: string[]; max?: Partial<WorkLimits> }) => {
      const overrides = opts.set.map(parseOverride);
      for (const file of files) {
        const loaded = await loadScenarioFile(file, { overrides, limits: opts.max });
        await resolvePolicies(loaded);
        const s = loaded.scenario;
        process.stdout.write(
          `${file}: ok (${s.name}: ${formatDuration(s.duration)}, ${s.providers.length} provider(s), ${s.workload.classes.length} class(es), ${s.faults.length} fault(s), ${s.slos.length} SLO(s))\n`,
        );
      }
    });
}
