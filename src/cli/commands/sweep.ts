import { basename, extname } from 'node:path';
import { Command } from 'commander';
import { defaultJobs, runJobs } from '../../compare/compare.ts';
import {
  assembleSweep,
  describeRegions,
  planSweep,
  type SweepResult,
  sweepJobs,
  sweepValues,
} from '../../compare/sweep.ts';
import { UsageError } from '../../errors.ts';
import { renderSweepReport } from '../../report/index.ts';
import type { WorkLimits } from '../../scenario/budget.ts';
import { loadScenarioFile } from '../../scenario/load.ts';
import { parseOverride } from '../../scenario/overrides.ts';
import { runShard } from '../../shard/run.ts';
import { escapeLines, shorten } from '../../text/quote.ts';
import { positiveInt, setOption, workLimitOption } from '../options.ts';
import { checkOutputs, fmtEstimate, fmtMs, fmtPct, table, writeFileAtomic } from '../output.ts';
import { jobProgress } from '../progress.ts';
import {
  partPath,
  type ShardFlags,
  shardOfFlags,
  shardOptions,
  shardProgress,
  studyFlags,
  writeK8s,
  writePart,
} from './shard-flags.ts';

const pm = fmtEstimate;

/** A quality-only sweep (no recovery block): the cost-quality curve as a table. */
function formatQualitySweep(r: SweepResult): string {
  const rows = r.points.map((p) => [
    p.text,
    p.quality ? pm(p.quality.acceptableShare, fmtPct) : '-',
    p.quality ? pm(p.quality.costUsd, (x) => x.toFixed(2)) : '-',
    p.quality ? pm(p.quality.costPerAcceptableUsd, (x) => x.toPrecision(3)) : '-',
    pm(p.goodputShare, fmtPct),
  ]);
  return escapeLines(
    [
      `${shorten(r.scenario, 120)}: ${r.path} over ${r.points.length} values x ${r.seeds.length} seeds (no recovery block: the cost-quality curve)`,
      '',
      table([[r.path, 'acceptable', 'cost $', '$/acceptable', 'goodput'], ...rows]),
      '',
      'Values are means ± 95% confidence half-widths over seeds. "acceptable": share of offered requests',
      'answered acceptably; "$/acceptable": token cost per acceptable answer.',
    ].join('\n'),
  );
}

export function formatSweep(r: SweepResult): string {
  if (r.recovery === false) return formatQualitySweep(r);
  const quality = r.points.every((p) => p.quality);
  const rows = r.points.map((p) => [
    p.text,
    p.region,
    Object.entries(p.verdicts)
      .map(([v, n]) => `${v} ${n}`)
      .join(', '),
    pm(p.goodputShare, fmtPct),
    pm(p.endGoodputShare, fmtPct),
    pm(p.endAmplification, (x) => x.toFixed(2)),
    pm(p.recoveredAfterMs, fmtMs),
    ...(quality
      ? [pm(p.quality!.acceptableShare, fmtPct), pm(p.quality!.costPerAcceptableUsd, (x) => x.toPrecision(3))]
      : []),
  ]);
  return escapeLines(
    [
      `${shorten(r.scenario, 120)}: ${r.path} over ${r.points.length} values x ${r.seeds.length} seeds`,
      '',
      table([
        [
          r.path,
          'region',
          'verdicts',
          'goodput',
          'settled goodput',
          'settled amp',
          'recovered after',
          ...(quality ? ['acceptable', '$/acceptable'] : []),
        ],
        ...rows,
      ]),
      '',
      `Regions: ${describeRegions(r.points)}.`,
      'stable: recovers from the trigger; vulnerable: healthy before it, failed after it; metastable: failed',
      'even before it; inconclusive: no baseline or too little run to tell. "settled": the last window',
      'after the trigger, before the next one or the end of arrivals.',
    ].join('\n'),
  );
}

export function sweepCommand(): Command {
  const command = new Command('sweep')
    .description(
      'Run a scenario over values of one parameter (e.g. the base load) and map where its trigger leaves the system: stable, vulnerable or metastable; with a quality section, draw the cost-quality curve (e.g. over a router threshold).',
    )
    .argument(
      '<scenario>',
      'scenario file (.yaml, or .ts with a default export) with a recovery block or a quality section',
    )
    .requiredOption('--vary <path>', 'scenario path to vary, e.g. workload.arrivals.rate')
    .option('--values <list>', 'comma-separated values, units kept, e.g. 20/s,25/s,30/s')
    .option('--range <lo..hi>', 'evenly spaced values from LO to HI (with --steps), e.g. 20/s..40/s')
    .option('--steps <n>', 'number of values in --range', positiveInt, 5)
    .option('--seeds <n>', 'seeds 1..N per value', positiveInt, 3)
    .option('--jobs <n>', 'parallel worker threads (default: cores)', positiveInt)
    .addOption(setOption('override a scenario value for every run, VALUE parsed as YAML (repeatable)'))
    .addOption(workLimitOption())
    .option('--json', 'print the sweep JSON to stdout instead of the table')
    .option('--out <file>', 'write the sweep (every value and seed) as JSON')
    .option(
      '--report <file>',
      'write a self-contained HTML report (regions and curves over the parameter; with quality, the cost-quality curve)',
    )
    .option('--quiet', 'no progress line on stderr');
  for (const o of shardOptions()) command.addOption(o);
  return command
    .addHelpText(
      'after',
      `
Examples:
  floodgate sweep scenarios/retry-storm.yaml --vary workload.arrivals.rate --range 20/s..34/s --steps 8
  floodgate sweep scenarios/retry-storm.yaml --vary workload.arrivals.rate --values 24/s,28/s \\
      --set 'gateway.retries.budget={kind: token-bucket}'
  floodgate sweep scenarios/retry-storm.yaml --vary workload.arrivals.rate --range 20/s..34/s --shard 1/4 --out parts/
      (one shard of four; then: floodgate merge parts/part-*.json --out sweep.json)
  floodgate sweep scenarios/model-routing.yaml --vary gateway.routing.params.threshold --values 0,0.25,0.5,0.75,1
      (a scenario with a quality section: the cost-quality curve of a router's threshold)

Exit codes: 0 done (the regions are the answer, not a pass/fail), 1 bad input, 2 bad usage, 70 a bug.`,
    )
    .action(
      async (
        file: string,
        opts: {
          vary: string;
          values?: string;
          range?: string;
          steps: number;
          seeds: number;
          jobs?: number;
          set?: string[];
          max?: Partial<WorkLimits>;
          json?: boolean;
          out?: string;
          report?: string;
          quiet?: boolean;
        } & ShardFlags,
      ) => {
        const overrides = (opts.set ?? []).map(parseOverride);
        parseOverride(`${opts.vary}=0`); // the path's syntax, before running anything
        const values = sweepValues(opts.values, opts.range, opts.steps);
        const shard = shardOfFlags(opts);
        checkOutputs(
          [file],
          [
            opts.out !== undefined && !shard ? { flag: '--out', file: opts.out } : undefined,
            opts.report !== undefined && !shard ? { flag: '--report', file: opts.report } : undefined,
          ],
        );
        const study = await planSweep({
          file,
          path: opts.vary,
          values,
          seeds: Array.from({ length: opts.seeds }, (_, i) => i + 1),
          baseOverrides: overrides,
          limits: opts.max,
        });
        if (opts.k8s !== undefined) {
          await writeK8s(opts, {
            command: 'sweep',
            name: basename(file, extname(file)),
            scenario: file,
            inputs: [file],
            studyArgs: [
              '--vary',
              opts.vary,
              '--values',
              values.join(','),
              '--seeds',
              String(opts.seeds),
              ...studyFlags(opts),
            ],
          });
          return;
        }
        if (shard) {
          if (opts.json)
            throw new UsageError('--shard: a shard writes a part: pass --json to `floodgate merge`');
          const out = partPath(opts.out, shard, [file]);
          const part = await runShard(
            study,
            sweepJobs(study),
            shard,
            opts.jobs ?? defaultJobs(),
            shardProgress(`sweep shard ${shard.index}/${shard.count}`, opts.quiet, out, shard),
          );
          await writePart(out, part, 'sweep');
          return;
        }
        const result = assembleSweep(
          study,
          await runJobs(sweepJobs(study), opts.jobs ?? defaultJobs(), jobProgress('sweep', opts.quiet)),
        );
        if (opts.out) await writeFileAtomic(opts.out, `${JSON.stringify(result, null, 2)}\n`);
        if (opts.report) {
          const { scenario } = await loadScenarioFile(file, { overrides, limits: opts.max });
          await writeFileAtomic(
            opts.report,
            renderSweepReport(result, scenario, { overrides: opts.set ?? [] }),
          );
        }
        process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatSweep(result)}\n`);
        if (opts.report && !opts.json) process.stdout.write(`\nreport written to ${shorten(opts.report)}\n`);
      },
    );
}
