import { Command, InvalidArgumentError } from 'commander';
import type { LuckMode } from '../../engine/luck.ts';
import { type PredictionBlock, predictionScenario, TOPOLOGIES, type Topology } from '../../k6/predict.ts';
import { renderRunReport } from '../../report/index.ts';
import type { WorkLimits } from '../../scenario/budget.ts';
import { loadScenarioFile } from '../../scenario/load.ts';
import { parseOverride } from '../../scenario/overrides.ts';
import { simulate } from '../../simulator/simulate.ts';
import { escapeLine, quoted, shorten } from '../../text/quote.ts';
import { EXIT } from '../exit-codes.ts';
import {
  LUCK_HELP,
  parseLuck,
  parseSeed,
  positiveNumber,
  setOption,
  TIME_SCALE_HELP,
  timeScale,
  workLimitOption,
} from '../options.ts';

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

function parseTopology(value: string): Topology {
  if (!(TOPOLOGIES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected ${TOPOLOGIES.join(' or ')}, got ${quoted(value)}`);
  return value as Topology;
}

/** The line saying what run the result predicts (direct: where each class goes). */
function predictionLine(p: PredictionBlock): string {
  const routes = p.routes
    ? ` (${Object.entries(p.routes)
        .map(([c, to]) => `${escapeLine(c)} -> ${escapeLine(to)}`)
        .join(', ')})`
    : '';
  const notes = (p.notes ?? []).map((n) => `\n  not modelled: ${escapeLine(n)}`).join('');
  return `prediction of a k6 run: time x${p.timeScale}, rate x${p.rateScale}, topology ${p.topology}${routes}; iterations start evenly, as k6 starts them${notes}`;
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('Simulate a scenario: print a summary and SLO verdicts, optionally write the result JSON.')
    .argument('<scenario>', 'scenario file (.yaml, or .ts with a default export)')
    .option('--seed <n>', 'random seed (default: the scenario seed)', parseSeed)
    .option('--luck <mode>', LUCK_HELP, parseLuck)
    .option('--out <file>', 'write the run-result JSON here (atomically)')
    .option('--report <file>', 'write a self-contained HTML report here (atomically)')
    .addOption(setOption())
    .addOption(workLimitOption())
    .option('--time-scale <f>', `predict a k6 run made with this --time-scale: ${TIME_SCALE_HELP}`, timeScale)
    .option(
      '--rate-scale <f>',
      'predict a k6 run made with this --rate-scale (every arrival rate times F)',
      positiveNumber,
    )
    .option(
      '--topology <t>',
      'predict a k6 run: direct (k6 straight to floodgate emulate, each class on the provider the emulator picks) or gateway (through the scenario gateway)',
      parseTopology,
    )
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
  floodgate run scenarios/outage-failover.yaml --time-scale 0.1 --topology direct --out reports/of-k6.json
    (the prediction of: floodgate emulate ... --time-scale 0.1 and floodgate k6 ... --time-scale 0.1)
  floodgate run scenarios/outage-failover.yaml --time-scale 0.1 --luck request
    (each request meets its own luck, as floodgate emulate --luck request draws it by traffic key)

Exit codes: 0 all SLOs pass (and the run recovers from every trigger), 3 an SLO or a recovery verdict failed, 1 bad input, 2 bad usage, 70 a bug.`,
    )
    .action(
      async (
        file: string,
        opts: {
          seed?: number;
          luck?: LuckMode;
          out?: string;
          report?: string;
          set?: string[];
          max?: Partial<WorkLimits>;
          json?: boolean;
          quiet?: boolean;
        } & ExportFlags & {
            timeScale?: number;
            rateScale?: number;
            topology?: Topology;
          },
      ) => {
        const overrides = (opts.set ?? []).map(parseOverride);
        const file0 = await loadScenarioFile(file, { overrides, limits: opts.max });
        // Any of the three flags: the prediction of a k6 run (k6/predict.ts); none: the scenario as it is.
        const predicting =
          opts.timeScale !== undefined || opts.rateScale !== undefined || opts.topology !== undefined;
        const predicted = predicting
          ? predictionScenario(file0, {
              topology: opts.topology ?? 'gateway',
              ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
              ...(opts.rateScale !== undefined ? { rateScale: opts.rateScale } : {}),
            })
          : undefined;
        const loaded = predicted?.loaded ?? file0;
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
          ...(opts.luck !== undefined ? { luck: opts.luck } : {}),
          onProgress: progress.update,
          ...exports.options,
        });
        const wallMs = performance.now() - started;
        progress.done();
        // The prediction's assumptions go last in the JSON, so `observe` reads them; none without the flags.
        const output = predicted ? { ...result, prediction: predicted.prediction } : result;
        if (opts.out) await writeFileAtomic(opts.out, `${JSON.stringify(output, null, 2)}\n`);
        if (opts.report)
          await writeFileAtomic(
            opts.report,
            renderRunReport(result, loaded.scenario, { overrides: opts.set ?? [] }),
          );
        const exported = await writeExports(result, opts, exports.collected);
        if (opts.json) process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
        else {
          if (predicted) process.stdout.write(`${predictionLine(predicted.prediction)}\n`);
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
