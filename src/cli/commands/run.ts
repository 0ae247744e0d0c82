import { Command } from 'commander';
import { renderRunReport } from '../../report/index.ts';
import type { WorkLimits } from '../../scenario/budget.ts';
import { loadScenarioFile } from '../../scenario/load.ts';
import { parseOverride } from '../../scenario/overrides.ts';
import { simulate } from '../../simulator/simulate.ts';
import { shorten } from '../../text/quote.ts';
import { EXIT } from '../exit-codes.ts';
import { parseSeed, setOption, workLimitOption } from '../options.ts';
import { checkOutputs, inputFilesOf, writeFileAtomic } from '../output.ts';
import { createProgress } from '../progress.ts';
import {
  addExportOptions,
  type ExportFlags,
  exportCollector,
  exportOutputs,
  writeExports,
} from '../run-exports.ts';
import { formatSummary } from '../summary.ts';

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('Simulate a scenario: print a summary and SLO verdicts, optionally write the result JSON.')
    .argument('<scenario>', 'scenario file (.yaml, or .ts with a default export)')
    .option('--seed <n>', 'random seed (default: the scenario seed)', parseSeed)
    .option('--out <file>', 'write the run-result JSON here (atomically)')
    .option('--report <file>', 'write a self-contained HTML report here (atomically)')
    .addOption(setOption())
    .addOption(workLimitOption())
    .option('--json', 'print the result JSON to stdout instead of the summary')
    .option('--quiet', 'no progress line on stderr');
  return addExportOptions(cmd)
    .addHelpText(
      'after',
      `
Examples:
  floodgate run scenarios/quickstart.yaml --out reports/quickstart.json
  floodgate run scenarios/quickstart.yaml --report reports/quickstart.html
  floodgate run scenarios/mmc.yaml --set providers[0].servers=4 --set workload.arrivals.rate=3/s
  floodgate run scenarios/mmc.yaml --set 'providers[0].service={dist: deterministic, value: 1s}'
  floodgate run scenarios/quickstart.yaml --openmetrics q.om --junit slos.xml --samples requests.csv

Exit codes: 0 all SLOs pass (and the run recovers from every trigger), 3 an SLO or a recovery verdict failed, 1 bad input, 2 bad usage, 70 a bug.`,
    )
    .action(
      async (
        file: string,
        opts: {
          seed?: number;
          out?: string;
          report?: string;
          set?: string[];
          max?: Partial<WorkLimits>;
          json?: boolean;
          quiet?: boolean;
        } & ExportFlags,
      ) => {
        const overrides = (opts.set ?? []).map(parseOverride);
        const loaded = await loadScenarioFile(file, { overrides, limits: opts.max });
        checkOutputs(inputFilesOf(loaded), [
          opts.out !== undefined ? { flag: '--out', file: opts.out } : undefined,
          opts.report !== undefined ? { flag: '--report', file: opts.report } : undefined,
          ...exportOutputs(opts),
        ]);
        const exports = exportCollector(opts);
        const progress = createProgress(loaded.scenario.name, !opts.quiet);
        const started = performance.now();
        const result = await simulate(loaded, {
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          onProgress: progress.update,
          ...exports.options,
        });
        const wallMs = performance.now() - started;
        progress.done();
        if (opts.out) await writeFileAtomic(opts.out, `${JSON.stringify(result, null, 2)}\n`);
        if (opts.report)
          await writeFileAtomic(
            opts.report,
            renderRunReport(result, loaded.scenario, { overrides: opts.set ?? [] }),
          );
        const exported = await writeExports(result, opts, exports.collected);
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          process.stdout.write(`${formatSummary(result, wallMs)}\n`);
          if (opts.out) process.stdout.write(`\nresult written to ${shorten(opts.out)}\n`);
          if (opts.report)
            process.stdout.write(`${opts.out ? '' : '\n'}report written to ${shorten(opts.report)}\n`);
          if (exported.length > 0)
            process.stdout.write(`${opts.out || opts.report ? '' : '\n'}${exported.join('\n')}\n`);
        }
        process.exitCode = result.pass ? EXIT.ok : EXIT.sloFailed;
      },
    );
}
