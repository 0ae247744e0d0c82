import { Command, Option } from 'commander';
import { capacity, type Probe, parseTargets } from '../../compare/capacity.ts';
import { defaultJobs } from '../../compare/compare.ts';
import { fmtVerdictCounts } from '../../compare/job.ts';
import { UsageError } from '../../errors.ts';
import { renderCapacityReport } from '../../report/index.ts';
import type { WorkLimits } from '../../scenario/budget.ts';
import { loadScenarioFile } from '../../scenario/load.ts';
import { parseOverride } from '../../scenario/overrides.ts';
import { quoted, shorten } from '../../text/quote.ts';
import { EXIT } from '../exit-codes.ts';
import { positiveInt, setOption, workLimitOption } from '../options.ts';
import { checkOutputs, fmtMs, fmtUsd, writeFileAtomic } from '../output.ts';

function describeProbe(path: string, p: Probe): string {
  const p99 = p.seeds.map((s) => s.ttftP99 ?? Number.NaN).filter(Number.isFinite);
  const worst = p99.length ? Math.max(...p99) : Number.NaN;
  const goodput = p.seeds.reduce((a, s) => a + s.goodputShare, 0) / p.seeds.length;
  // With a recovery block a seed passes only if it also recovered: show the verdicts.
  const verdicts = fmtVerdictCounts(p.seeds);
  const recovery = verdicts ? `, recovery ${verdicts}` : '';
  const bar = verdicts ? 'the SLOs and recovery' : 'the SLOs';
  return `  ${path}=${p.text}: ${p.pass ? 'meets' : 'misses'} ${bar} on ${p.seedsPassed}/${p.seeds.length} seeds (worst ttft p99 ${fmtMs(worst)}, goodput ${(100 * goodput).toFixed(1)}%${recovery}, cost ${fmtUsd(p.meanCostUsd)})`;
}

export function capacityCommand(): Command {
  return new Command('capacity')
    .description(
      'Find the smallest value of a parameter (or the largest, with --maximize) that meets the SLOs on every seed.',
    )
    .argument('<scenario>', 'scenario file (.yaml, or .ts with a default export)')
    .requiredOption(
      '--vary <path>',
      'scenario path to vary, e.g. providers[0].replicas or workload.arrivals.rate',
    )
    .requiredOption('--range <lo..hi>', 'search range, e.g. 2..32 or 10/s..400/s (units kept)')
    .option(
      '--target <slos>',
      "SLOs to meet instead of the scenario's, e.g. 'tab:ttft.p99<=500ms,goodputShare>=95%'",
    )
    .option('--maximize', 'find the largest passing value (e.g. an arrival rate) instead of the smallest')
    .option('--seeds <n>', 'seeds 1..N that must all pass', positiveInt, 3)
    .option('--jobs <n>', 'parallel worker threads (default: cores)', positiveInt)
    .addOption(
      new Option(
        '--tolerance <share>',
        'stop a real-valued search when the bracket is this narrow (relative)',
      ).default('0.02', '0.02'),
    )
    .addOption(setOption('override a scenario value for every run, VALUE parsed as YAML (repeatable)'))
    .addOption(workLimitOption())
    .option('--out <file>', 'write the search (every probe and seed) as JSON')
    .option(
      '--report <file>',
      'write a self-contained HTML report (every probe, the answer, its cost, the curves)',
    )
    .option('--quiet', 'do not print probes as they finish')
    .addHelpText(
      'after',
      `
Examples:
  floodgate capacity scenarios/gpu-pool.yaml --vary 'providers[0].replicas' --range 2..16
  floodgate capacity scenarios/quickstart.yaml --vary workload.arrivals.rate --range 10/s..200/s --maximize \\
      --target 'tab:ttft.p99<=1.5s,goodputShare>=85%'
  floodgate capacity scenarios/retry-storm.yaml --vary workload.arrivals.rate --range 6/s..36/s --maximize
      (with a recovery block, a value passes only where the run also recovers from its triggers)

Exit codes: 0 found, 3 no value in the range meets the SLOs, 1 bad input, 2 bad usage, 70 a bug.`,
    )
    .action(
      async (
        file: string,
        opts: {
          vary: string;
          range: string;
          target?: string;
          maximize?: boolean;
          seeds: number;
          jobs?: number;
          tolerance: string;
          set?: string[];
          max?: Partial<WorkLimits>;
          out?: string;
          report?: string;
          quiet?: boolean;
        },
      ) => {
        const overrides = (opts.set ?? []).map(parseOverride);
        if (opts.target) overrides.push({ path: 'slos', value: parseTargets(opts.target) });
        parseOverride(`${opts.vary}=0`); // validate the path's syntax before running anything
        const tolerance = Number(opts.tolerance);
        if (!(tolerance > 0 && tolerance < 1))
          throw new UsageError(
            `--tolerance: expected a share between 0 and 1, got ${quoted(opts.tolerance)}`,
          );
        checkOutputs(
          [file],
          [
            opts.out !== undefined ? { flag: '--out', file: opts.out } : undefined,
            opts.report !== undefined ? { flag: '--report', file: opts.report } : undefined,
          ],
        );
        process.stdout.write(
          `${file}: ${opts.maximize ? 'largest' : 'smallest'} ${opts.vary} in ${opts.range} meeting the SLOs on ${opts.seeds} seed(s)\n`,
        );
        const result = await capacity({
          file,
          path: opts.vary,
          range: opts.range,
          maximize: Boolean(opts.maximize),
          seeds: Array.from({ length: opts.seeds }, (_, i) => i + 1),
          jobs: opts.jobs ?? defaultJobs(),
          baseOverrides: overrides,
          limits: opts.max,
          relativeTolerance: tolerance,
          onProbe: (p) => {
            if (!opts.quiet) process.stdout.write(`${describeProbe(opts.vary, p)}\n`);
          },
        });
        if (opts.out) await writeFileAtomic(opts.out, `${JSON.stringify(result, null, 2)}\n`);
        if (opts.report) {
          const { scenario } = await loadScenarioFile(file, { overrides, limits: opts.max });
          const shown = [
            ...(opts.set ?? []).map((x) => `--set ${x}`),
            ...(opts.target ? [`--target ${opts.target}`] : []),
          ];
          await writeFileAtomic(
            opts.report,
            renderCapacityReport(result, scenario, { range: opts.range, overrides: shown }),
          );
        }
        if (result.value === null) {
          process.stdout.write(`no value of ${opts.vary} in ${opts.range} meets the SLOs\n`);
          if (opts.report) process.stdout.write(`report written to ${shorten(opts.report)}\n`);
          process.exitCode = EXIT.sloFailed;
          return;
        }
        process.stdout.write(
          `answer: ${opts.vary}=${result.text} (cost ${fmtUsd(result.costUsd ?? 0)} per run, mean over seeds), ${result.probes.length} probes\n`,
        );
        if (opts.report) process.stdout.write(`report written to ${shorten(opts.report)}\n`);
      },
    );
}
