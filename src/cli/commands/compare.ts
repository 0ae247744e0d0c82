import { isAbsolute, resolve } from 'node:path';
import { Command } from 'commander';
import {
  assembleCompare,
  type CompareResult,
  compareJobs,
  defaultJobs,
  OBJECTIVES,
  type Objective,
  planCompare,
  runJobs,
} from '../../compare/compare.ts';
import { fmtVerdictCounts } from '../../compare/job.ts';
import { type PolicyEntry, parsePolicyList } from '../../compare/policy-spec.ts';
import { checkUniqueLabels, parseSettingsEntry } from '../../compare/settings-entry.ts';
import type { LuckMode } from '../../engine/luck.ts';
import { FloodgateError, UsageError } from '../../errors.ts';
import { renderCompareReport } from '../../report/index.ts';
import type { WorkLimits } from '../../scenario/budget.ts';
import { loadScenarioFile } from '../../scenario/load.ts';
import { parseOverride } from '../../scenario/overrides.ts';
import { runShard } from '../../shard/run.ts';
import { isPolicyPath } from '../../simulator/policy-loader.ts';
import { escapeLines, quoted, shorten } from '../../text/quote.ts';
import { collect, LUCK_HELP, parseLuck, positiveInt, setOption, workLimitOption } from '../options.ts';
import { checkOutputs, fmtEstimate, fmtMs, inputFilesOf, table, writeFileAtomic } from '../output.ts';
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
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ms = (x: number) => fmtMs(x).replace(' ', '');

const verdicts = (e: CompareResult['entries'][number]) => fmtVerdictCounts(e.seeds);

export function formatComparison(r: CompareResult, wallMs?: number): string {
  const classes = Object.keys(r.entries[0]?.classes ?? {});
  const recovery = r.entries.some((e) => e.seeds.some((s) => s.recovery));
  const quality = r.frontier !== undefined;
  const hitRate = r.entries.some((e) => e.tokenHitRate);
  const fleet = r.entries.some((e) => e.summary.fleetCostUsd);
  const header = [
    'rank',
    settingsEntries(r) ? 'entry' : 'policy',
    'goodput',
    'shed',
    'errors',
    'ttft p50',
    'ttft p99',
    ...classes.map((c) => `${c} p99`),
    'amp',
    'cost $',
    ...(hitRate ? ['hit rate'] : []),
    ...(quality ? ['acceptable', '$/acceptable', 'frontier'] : []),
    ...(fleet ? ['fleet $'] : []),
    'SLOs',
    ...(recovery ? ['recovered', 'recovery'] : []),
  ];
  const rows = r.entries.map((e) => [
    `${e.rank}${e.vsLeader && !e.vsLeader.significant ? ' ~' : ''}`,
    e.label,
    pm(e.summary.goodputShare, pct),
    pm(e.summary.shedShare, pct),
    pm(e.summary.errorShare, pct),
    pm(e.summary.ttftP50, ms),
    pm(e.summary.ttftP99, ms),
    ...classes.map((c) => pm(e.classes[c]!.ttftP99, ms)),
    pm(e.summary.amplification, (x) => x.toFixed(2)),
    pm(e.summary.costUsd, (x) => x.toFixed(2)),
    ...(hitRate ? [e.tokenHitRate ? pm(e.tokenHitRate, pct) : '-'] : []),
    ...(quality ? qualityCells(r, e) : []),
    ...(fleet ? [e.summary.fleetCostUsd ? pm(e.summary.fleetCostUsd, (x) => x.toFixed(2)) : '-'] : []),
    `${e.seeds.reduce((a, s) => a + s.slosPassed, 0)}/${e.slosTotal * e.seeds.length}`,
    ...(recovery
      ? [
          `${e.seeds.filter((s) => s.recovery?.pass).length}/${e.seeds.length}`,
          Number.isNaN(e.summary.recoveredAfterMs.mean)
            ? verdicts(e)
            : `${pm(e.summary.recoveredAfterMs, ms)} ${verdicts(e)}`,
        ]
      : []),
  ]);
  const seeds =
    r.seeds.length > 1 ? `seeds ${r.seeds[0]}..${r.seeds[r.seeds.length - 1]}` : `seed ${r.seeds[0]}`;
  return escapeLines(
    [
      `${shorten(r.scenario, 120)}: ${r.entries.length} ${settingsEntries(r) ? 'entries' : 'policies'} x ${r.seeds.length} seeds (${seeds}), ranked by ${r.objective}${wallMs ? `, ${(wallMs / 1000).toFixed(1)} s` : ''}`,
      '',
      table([header, ...rows]),
      '',
      'Values are means ± 95% confidence half-widths over seeds. "~": not significantly different from',
      `rank 1 on ${r.objective} (paired t-test over the same seeds, 5%).`,
      ...(hitRate
        ? ['"hit rate": prompt tokens served by the pools\' prefix caches over prompt tokens admitted.']
        : []),
      ...(r.frontier ? ['', ...frontierLines(r.frontier)] : []),
      ...(r.cheapestPassing !== undefined
        ? [
            '',
            r.cheapestPassing === null
              ? 'No entry passed every SLO on every seed.'
              : `Cheapest that passed every SLO on every seed: ${r.cheapestPassing}`,
          ]
        : []),
    ].join('\n'),
  );
}

/** Whether some entry changes scenario settings (an `--entry`), not only gateway policies. */
function settingsEntries(r: CompareResult): boolean {
  return r.entries.some((e) => e.overrides.some((o) => !o.path.startsWith('gateway.')));
}

/** Acceptable share, cost per acceptable answer, and whether the entry is on the frontier. */
function qualityCells(r: CompareResult, e: CompareResult['entries'][number]): string[] {
  const q = e.quality!;
  const onFrontier = r.frontier!.entries.find((f) => f.label === e.label)?.onFrontier;
  return [
    pm(q.acceptableShare, pct),
    Number.isFinite(q.costPerAcceptableUsd.mean) ? pm(q.costPerAcceptableUsd, (x) => x.toPrecision(3)) : '-',
    onFrontier ? 'yes' : 'no',
  ];
}

/** The frontier in words: who is on it, and who dominates the others. */
export function frontierLines(f: NonNullable<CompareResult['frontier']>): string[] {
  const on = f.entries.filter((e) => e.onFrontier).map((e) => e.label);
  const off = f.entries.filter((e) => !e.onFrontier);
  return [
    `Frontier (no other policy does better on cost, acceptable share or p99 TTFT without doing worse on another; means over seeds): ${on.join(', ')}`,
    ...off.map((e) => `  ${e.label}: dominated by ${e.dominatedBy.join(', ')}`),
    `Cost-quality frontier, cheapest first: ${f.costQuality.join(' -> ')}`,
  ];
}

export function compareCommand(): Command {
  const command = new Command('compare')
    .description(
      'Run policies side by side on identical traffic (same seeds) and rank them, with confidence intervals.',
    )
    .argument('<scenario>', 'scenario file (.yaml, or .ts with a default export)')
    .option(
      '--policies <list>',
      "comma-separated entries, e.g. 'least-outstanding,power-of-two-choices+aimd(initial=50)'",
    )
    .option(
      '--entry <label: path=value; ...>',
      "an entry that changes scenario settings, e.g. 'min 4: providers[pool].autoscaling.min=4' (repeatable)",
      collect,
    )
    .option('--seeds <n>', 'seeds 1..N', positiveInt, 10)
    .option('--luck <mode>', LUCK_HELP, parseLuck)
    .option('--jobs <n>', 'parallel worker threads (default: cores)', positiveInt)
    .option('--objective <name>', `rank by: ${Object.keys(OBJECTIVES).join(', ')}`, 'goodput')
    .addOption(setOption('override a scenario value for every run, VALUE parsed as YAML (repeatable)'))
    .addOption(workLimitOption())
    .option('--out <file>', 'write the comparison JSON (every per-seed figure) here')
    .option('--report <file>', 'write a self-contained HTML report of the comparison here')
    .option('--json', 'print the comparison JSON instead of the table')
    .option('--quiet', 'no progress on stderr');
  for (const o of shardOptions()) command.addOption(o);
  return command
    .addHelpText(
      'after',
      `
An entry joins routing, admission and health policies with '+', parameters in parentheses:
  floodgate compare scenarios/quickstart.yaml --policies 'round-robin,least-outstanding,random' --seeds 10
  floodgate compare s.yaml --policies 'always-admit,aimd(initial=50),./mine.ts(limit=8)' --jobs 2
  floodgate compare scenarios/quickstart.yaml --policies 'round-robin,least-outstanding' --report reports/cmp.html
  floodgate compare scenarios/autoscale-spike.yaml --objective cost --seeds 3 \
    --entry 'min 2: providers[pool].autoscaling.min=2' --entry 'min 4: providers[pool].autoscaling.min=4' \
    --entry 'static 6: providers[pool].autoscaling.min=6; providers[pool].autoscaling.max=6'
      (autoscaler settings on identical traffic: fleet cost beside the SLOs, the cheapest passing one)
  floodgate compare s.yaml --policies 'round-robin,least-outstanding' --shard 2/4 --out parts/
      (one shard of four; then: floodgate merge parts/part-*.json --out result.json)
  floodgate compare s.yaml --policies 'round-robin,least-outstanding' --shards 8 --k8s k8s/
      (an Indexed Job of 8 shards, a merge Job and run.sh; see docs/guide/sharding.md)

Exit codes: 0 done (the ranking is the answer, not a pass/fail), 1 bad input, 2 bad usage, 70 a bug.`,
    )
    .action(
      async (
        file: string,
        opts: {
          policies?: string;
          entry?: string[];
          seeds: number;
          luck?: LuckMode;
          jobs?: number;
          objective: string;
          set?: string[];
          max?: Partial<WorkLimits>;
          out?: string;
          report?: string;
          json?: boolean;
          quiet?: boolean;
        } & ShardFlags,
      ) => {
        if (!(opts.objective in OBJECTIVES))
          throw new UsageError(
            `--objective: expected one of ${Object.keys(OBJECTIVES).join(', ')}, got ${quoted(opts.objective)}`,
          );
        if (opts.policies === undefined && opts.entry === undefined)
          throw new UsageError(
            "expected --policies LIST or --entry 'LABEL: PATH=VALUE' (or both): what to compare",
          );
        const entries = [
          ...(opts.policies !== undefined ? withPathsFromCwd(parsePolicyList(opts.policies)) : []),
          ...(opts.entry ?? []).map(parseSettingsEntry),
        ];
        checkUniqueLabels(entries);
        const baseOverrides = (opts.set ?? []).map(parseOverride);
        // Loaded up front for the report and the output checks (a bad scenario fails before any run).
        const loaded = await loadScenarioFile(file, { overrides: baseOverrides, limits: opts.max });
        // Each settings entry's scenario too: a bad path or value fails before any run.
        for (const e of entries)
          if (e.settings)
            await loadScenarioFile(file, {
              overrides: [...baseOverrides, ...e.settings],
              limits: opts.max,
            }).catch((err: unknown) => {
              // An override that does not apply names the entry it came from.
              if (err instanceof FloodgateError && err.code === 'FG_OVERRIDE_INVALID')
                throw new FloodgateError(
                  err.code,
                  `--entry ${quoted(e.label)}: ${err.message.replace(/^--set /, '')}`,
                );
              throw err;
            });
        const modules = entries.flatMap((e) => e.calls.map((c) => c.policy).filter(isPolicyPath));
        const shard = shardOfFlags(opts);
        checkOutputs(
          [...inputFilesOf(loaded), ...modules],
          [
            // A shard's --out may be a folder (partPath checks the part's path).
            opts.out !== undefined && !shard ? { flag: '--out', file: opts.out } : undefined,
            opts.report !== undefined ? { flag: '--report', file: opts.report } : undefined,
          ],
        );
        const seeds = Array.from({ length: opts.seeds }, (_, i) => i + 1);
        if (opts.k8s !== undefined) {
          await writeK8s(opts, {
            command: 'compare',
            name: loaded.scenario.name,
            scenario: file,
            inputs: [...inputFilesOf(loaded), ...modules],
            studyArgs: [
              ...(opts.policies !== undefined ? ['--policies', opts.policies] : []),
              ...(opts.entry ?? []).flatMap((e) => ['--entry', e]),
              '--seeds',
              String(opts.seeds),
              '--objective',
              opts.objective,
              ...(opts.luck !== undefined ? ['--luck', opts.luck] : []),
              ...studyFlags(opts),
            ],
          });
          return;
        }
        const study = await planCompare({
          file,
          entries,
          seeds,
          objective: opts.objective as Objective,
          baseOverrides,
          limits: opts.max,
          ...(opts.luck !== undefined ? { luck: opts.luck } : {}),
        });
        if (shard) {
          if (opts.report !== undefined || opts.json)
            throw new UsageError(
              '--shard: a shard writes a part, not a report: pass --report to `floodgate merge` instead',
            );
          const out = partPath(opts.out, shard, [...inputFilesOf(loaded), ...modules]);
          const part = await runShard(
            study,
            compareJobs(study),
            shard,
            opts.jobs ?? defaultJobs(),
            shardProgress(`compare shard ${shard.index}/${shard.count}`, opts.quiet, out, shard),
          );
          await writePart(out, part, 'compare');
          return;
        }
        const started = performance.now();
        const result = assembleCompare(
          study,
          await runJobs(compareJobs(study), opts.jobs ?? defaultJobs(), jobProgress('compare', opts.quiet)),
        );
        const wallMs = performance.now() - started;
        if (opts.out) await writeFileAtomic(opts.out, `${JSON.stringify(result, null, 2)}\n`);
        if (opts.report)
          await writeFileAtomic(
            opts.report,
            renderCompareReport(result, loaded.scenario, { overrides: opts.set ?? [] }),
          );
        process.stdout.write(
          opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatComparison(result, wallMs)}\n`,
        );
        if (opts.report && !opts.json) process.stdout.write(`\nreport written to ${shorten(opts.report)}\n`);
      },
    );
}

/**
 * Module paths typed on the command line are relative to the working directory, as a shell user
 * expects (paths inside the scenario stay relative to the scenario's folder).
 */
function withPathsFromCwd(entries: PolicyEntry[]): PolicyEntry[] {
  return entries.map((e) => ({
    ...e,
    calls: e.calls.map((c) =>
      isPolicyPath(c.policy) && !isAbsolute(c.policy) ? { ...c, policy: resolve(c.policy) } : c,
    ),
  }));
}
