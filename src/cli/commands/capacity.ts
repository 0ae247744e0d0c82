import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import {
  type CapacityResult,
  type CapacityStudy,
  capacityStudy,
  type Probe,
  parseTargets,
  probeOf,
  runCapacityStudy,
} from '../../compare/capacity.ts';
import { defaultJobs } from '../../compare/compare.ts';
import { fmtVerdictCounts, type SeedFigures } from '../../compare/job.ts';
import {
  type CapacityPlanResult,
  checkPlan,
  configLabels,
  type PlanProbe,
  parseParam,
} from '../../compare/plan.ts';
import { UsageError } from '../../errors.ts';
import { renderCapacityReport, renderPlanReport } from '../../report/index.ts';
import type { WorkLimits } from '../../scenario/budget.ts';
import { loadScenarioFile } from '../../scenario/load.ts';
import { parseOverride } from '../../scenario/overrides.ts';
import { decodeJson } from '../../shard/part.ts';
import { asWaveState, runCapacityShard, type WaveState } from '../../shard/run.ts';
import { escapeLine, quoted, shorten } from '../../text/quote.ts';
import { EXIT } from '../exit-codes.ts';
import { collect, positiveInt, setOption, workLimitOption } from '../options.ts';
import { checkOutputs, fmtMs, fmtUsd, writeFileAtomic } from '../output.ts';
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

function seedsSummary(seeds: readonly SeedFigures[]): { text: string; bar: string } {
  const p99 = seeds.map((s) => s.ttftP99 ?? Number.NaN).filter(Number.isFinite);
  const worst = p99.length ? Math.max(...p99) : Number.NaN;
  const goodput = seeds.reduce((a, s) => a + s.goodputShare, 0) / seeds.length;
  // With a recovery block a seed passes only if it also recovered: show the verdicts.
  const verdicts = fmtVerdictCounts(seeds);
  const recovery = verdicts ? `, recovery ${verdicts}` : '';
  return {
    text: `worst ttft p99 ${fmtMs(worst)}, goodput ${(100 * goodput).toFixed(1)}%${recovery}`,
    bar: verdicts ? 'the SLOs and recovery' : 'the SLOs',
  };
}

function describeProbe(path: string, p: Probe): string {
  const { text, bar } = seedsSummary(p.seeds);
  return `  ${path}=${p.text}: ${p.pass ? 'meets' : 'misses'} ${bar} on ${p.seedsPassed}/${p.seeds.length} seeds (${text}, cost ${fmtUsd(p.meanCostUsd)})`;
}

const configText = (config: Record<string, string>) =>
  escapeLine(
    Object.entries(config)
      .map(([k, v]) => (v.includes('=') ? v : `${k}=${v}`))
      .join(' '),
  );
const marginText = (m: number | null) => (m === null ? '-' : `${(100 * m).toFixed(1)}%`);

function describePlanProbe(p: PlanProbe): string {
  const { text, bar } = seedsSummary(p.seeds);
  return `  ${configText(p.config)}: ${p.pass ? 'meets' : 'misses'} ${bar} on ${p.seedsPassed}/${p.seeds.length} seeds (${text}, SLO margin ${marginText(p.sloMargin)}, cost ${fmtUsd(p.meanCostUsd)})`;
}

/** The lines after the probes: the answer (and a plan's frontier). */
export function formatCapacityAnswer(r: CapacityResult | CapacityPlanResult): string {
  if (r.schema === 'floodgate/capacity-result@1') {
    if (r.value === null) return `no value of ${escapeLine(r.path)} in the range meets the SLOs`;
    return `answer: ${escapeLine(r.path)}=${r.text} (cost ${fmtUsd(r.costUsd ?? 0)} per run, mean over seeds), ${r.probes.length} probes`;
  }
  const lines = [
    r.answer === null
      ? `no configuration of the ${r.gridSize} meets the SLOs`
      : `answer: ${configText(r.answer.config)} (cost ${fmtUsd(r.answer.costUsd)} per run, SLO margin ${marginText(r.answer.sloMargin)}), ${r.probed} of ${r.gridSize} configurations run`,
    'frontier (no other run is both cheaper and further inside its SLOs):',
    ...r.frontier.map(
      (f) =>
        `  ${fmtUsd(f.costUsd)}  margin ${marginText(f.sloMargin)}  ${f.pass ? 'pass' : 'fail'}  ${configText(f.config)}`,
    ),
  ];
  return lines.join('\n');
}

/** Every probe then the answer: what `floodgate merge` prints for a finished search. */
export function formatCapacity(r: CapacityResult | CapacityPlanResult): string {
  const probes =
    r.schema === 'floodgate/capacity-result@1'
      ? r.probes.map((p) => describeProbe(escapeLine(r.path), p))
      : r.probes.map(describePlanProbe);
  return [...probes, formatCapacityAnswer(r)].join('\n');
}

const answered = (r: CapacityResult | CapacityPlanResult) =>
  r.schema === 'floodgate/capacity-result@1' ? r.value !== null : r.answer !== null;

interface CapacityFlags extends ShardFlags {
  vary?: string;
  range?: string;
  param?: string[];
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
  waveIn?: string;
  waveDir?: string;
  waveSize?: number;
}

export function capacityCommand(): Command {
  const command = new Command('capacity')
    .description(
      'Find the smallest value of a parameter (or the largest, with --maximize) that meets the SLOs on every seed; with --param, the cheapest configuration of several parameters.',
    )
    .argument('<scenario>', 'scenario file (.yaml, or .ts with a default export)')
    .option('--vary <path>', 'scenario path to vary, e.g. providers[0].replicas or workload.arrivals.rate')
    .option('--range <lo..hi>', 'search range, e.g. 2..32 or 10/s..400/s (units kept)')
    .option(
      '--param <spec>',
      "a parameter of a plan (repeatable): PATH=LO..HI (more is never worse), PATH=A,B,C, or '[{PATH: V, PATH2: W}, ...]'",
      collect,
    )
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
    .option('--out <file>', 'write the search (every probe and seed) as JSON; with --shard, the part')
    .option(
      '--report <file>',
      'write a self-contained HTML report (every probe, the answer, its cost, the curves; with --param, every configuration run or pruned and the cost/SLO-margin frontier)',
    )
    .option('--quiet', 'do not print probes as they finish')
    .option('--wave-in <file>', 'with --shard: the state `floodgate merge` wrote after the previous wave')
    .option(
      '--wave-dir <dir>',
      'with --shard or --shards: read DIR/state.json if present, write the part to DIR/wave-W/ (the Kubernetes flow)',
    )
    .option(
      '--wave-size <n>',
      'probes per wave (default: enough for every shard to run one seed)',
      positiveInt,
    );
  for (const o of shardOptions()) command.addOption(o);
  return command
    .addHelpText(
      'after',
      `
Examples:
  floodgate capacity scenarios/gpu-pool.yaml --vary 'providers[0].replicas' --range 2..16
  floodgate capacity scenarios/quickstart.yaml --vary workload.arrivals.rate --range 10/s..200/s --maximize \\
      --target 'tab:ttft.p99<=1.5s,goodputShare>=85%'
  floodgate capacity scenarios/retry-storm.yaml --vary workload.arrivals.rate --range 6/s..36/s --maximize
      (with a recovery block, a value passes only where the run also recovers from its triggers)
  floodgate capacity scenarios/gpu-pool.yaml --param 'providers[0].replicas=4..12' \\
      --param '[{providers[0].gpu: a100-80gb, providers[0].costPerReplicaHour: 1.8}, {providers[0].gpu: h100-80gb}]'
      (the cheapest configuration of both that meets the SLOs, and the cost/SLO-margin frontier)
  floodgate capacity s.yaml --vary 'providers[0].replicas' --range 2..64 --shard 1/4 --out parts/   (wave 1, shard 1)
  floodgate merge parts/part-w1-*.json --out state.json      (the result, or the state of the next wave)
  floodgate capacity s.yaml --vary 'providers[0].replicas' --range 2..64 --shard 1/4 --wave-in state.json --out parts/

Exit codes: 0 found, 3 no value in the range meets the SLOs, 1 bad input, 2 bad usage, 70 a bug.`,
    )
    .action(async (file: string, opts: CapacityFlags) => {
      const overrides = (opts.set ?? []).map(parseOverride);
      if (opts.target) overrides.push({ path: 'slos', value: parseTargets(opts.target) });
      const plan = opts.param !== undefined;
      if (plan === (opts.vary !== undefined || opts.range !== undefined))
        throw new UsageError(
          'capacity: expected either --vary PATH --range LO..HI (one parameter) or --param (repeatable), not both',
        );
      if (!plan && (opts.vary === undefined || opts.range === undefined))
        throw new UsageError('capacity: --vary and --range go together');
      if (plan && opts.maximize)
        throw new UsageError('--maximize: a plan looks for the cheapest configuration; drop --maximize');
      if (!plan) parseOverride(`${opts.vary}=0`); // validate the path's syntax before running anything
      const params = (opts.param ?? []).map(parseParam);
      checkPlan(params);
      const tolerance = Number(opts.tolerance);
      if (!(tolerance > 0 && tolerance < 1))
        throw new UsageError(`--tolerance: expected a share between 0 and 1, got ${quoted(opts.tolerance)}`);
      const study = capacityStudy({
        file,
        seeds: Array.from({ length: opts.seeds }, (_, i) => i + 1),
        baseOverrides: overrides,
        ...(opts.max ? { limits: opts.max } : {}),
        search: plan
          ? { kind: 'plan', params }
          : {
              kind: 'bisect',
              path: opts.vary!,
              range: opts.range!,
              maximize: Boolean(opts.maximize),
              relativeTolerance: tolerance,
            },
      });
      if (opts.k8s !== undefined) {
        await writeK8s(opts, {
          command: 'capacity',
          name: study.scenario.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, ''),
          scenario: file,
          inputs: [file],
          studyArgs: [
            ...(plan
              ? (opts.param ?? []).flatMap((p) => ['--param', p])
              : ['--vary', opts.vary!, '--range', opts.range!, '--tolerance', opts.tolerance]),
            ...(opts.maximize ? ['--maximize'] : []),
            ...(opts.target ? ['--target', opts.target] : []),
            '--seeds',
            String(opts.seeds),
            ...(opts.waveSize !== undefined ? ['--wave-size', String(opts.waveSize)] : []),
            ...studyFlags({ ...opts, set: opts.set }),
          ],
        });
        return;
      }
      const shard = shardOfFlags(opts);
      if (shard) return runWave(file, study, shard, opts);
      if (opts.waveIn !== undefined || opts.waveDir !== undefined)
        throw new UsageError('--wave-in, --wave-dir: a wave is one shard of a search: pass --shard K/N too');
      checkOutputs(
        [file],
        [
          opts.out !== undefined ? { flag: '--out', file: opts.out } : undefined,
          opts.report !== undefined ? { flag: '--report', file: opts.report } : undefined,
        ],
      );
      process.stdout.write(
        plan
          ? `${escapeLine(shorten(file))}: the cheapest of ${params.reduce((a, p) => a * p.options.length, 1)} configurations (${params.map((p) => escapeLine(p.name)).join(' x ')}) meeting the SLOs on ${opts.seeds} seed(s)\n`
          : `${file}: ${opts.maximize ? 'largest' : 'smallest'} ${opts.vary} in ${opts.range} meeting the SLOs on ${opts.seeds} seed(s)\n`,
      );
      const result = await runCapacityStudy(
        study,
        opts.jobs ?? defaultJobs(),
        (c, d) => {
          if (opts.quiet) return;
          const line =
            study.search.kind === 'bisect'
              ? describeProbe(opts.vary!, probeOf(c, d))
              : describePlanProbe({
                  config: configLabels(study.search, c.key),
                  key: c.key,
                  pass: d.pass,
                  seedsPassed: d.seedsPassed,
                  meanCostUsd: d.meanCostUsd,
                  sloMargin: null,
                  seeds: d.seeds,
                }).replace(/, SLO margin -/, '');
          process.stdout.write(`${line}\n`);
        },
        jobProgress('capacity (runs, of the most the search may need)', opts.quiet),
      );
      if (opts.out) await writeFileAtomic(opts.out, `${JSON.stringify(result, null, 2)}\n`);
      if (opts.report) {
        const { scenario } = await loadScenarioFile(file, { overrides, limits: opts.max });
        const shown = [
          ...(opts.set ?? []).map((x) => `--set ${x}`),
          ...(opts.target ? [`--target ${opts.target}`] : []),
        ];
        await writeFileAtomic(
          opts.report,
          result.schema === 'floodgate/capacity-result@1'
            ? renderCapacityReport(result, scenario, { range: opts.range!, overrides: shown })
            : renderPlanReport(result, scenario, { overrides: shown }),
        );
      }
      process.stdout.write(
        !plan && !answered(result)
          ? `no value of ${opts.vary} in ${opts.range} meets the SLOs\n`
          : `${formatCapacityAnswer(result)}\n`,
      );
      if (opts.report) process.stdout.write(`report written to ${shorten(opts.report)}\n`);
      if (!answered(result)) process.exitCode = EXIT.sloFailed;
    });
}

/** One shard of one wave: its probes' runs into a part. */
async function runWave(
  file: string,
  study: CapacityStudy,
  shard: { index: number; count: number },
  opts: CapacityFlags,
) {
  if (opts.waveIn !== undefined && opts.waveDir !== undefined)
    throw new UsageError('--wave-in, --wave-dir: pass one (--wave-dir reads DIR/state.json itself)');
  const stateFile = opts.waveDir !== undefined ? join(opts.waveDir, 'state.json') : opts.waveIn;
  let state: WaveState | undefined;
  if (stateFile !== undefined) {
    let text: string | undefined;
    try {
      text = readFileSync(stateFile, 'utf8');
    } catch (e) {
      // In a wave folder, no state yet means the first wave.
      if (opts.waveDir === undefined || (e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new UsageError(
          `--wave-in ${shorten(stateFile)}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
    }
    if (text !== undefined) {
      let json: unknown;
      try {
        json = decodeJson(text);
      } catch {
        throw new UsageError(
          `${shorten(stateFile)}: not JSON: expected the wave state \`floodgate merge\` wrote`,
        );
      }
      state = asWaveState(json, stateFile);
    }
  }
  const wave = (state?.wave ?? 0) + 1;
  const out =
    opts.waveDir !== undefined
      ? partPath(`${join(opts.waveDir, `wave-${wave}`)}/`, shard, [file], wave)
      : partPath(opts.out, shard, [file], wave);
  const part = await runCapacityShard(study, shard, opts.jobs ?? defaultJobs(), {
    ...(state ? { state } : {}),
    ...(opts.waveSize !== undefined ? { waveSize: opts.waveSize } : {}),
    onProgress: shardProgress(
      `capacity wave ${wave} shard ${shard.index}/${shard.count}`,
      opts.quiet,
      out,
      shard,
      wave,
    ),
  });
  await writePart(out, part, `capacity wave ${wave}`);
}
