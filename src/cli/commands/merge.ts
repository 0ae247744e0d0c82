import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { CapacityStudy } from '../../compare/capacity.ts';
import type { CompareStudy } from '../../compare/compare.ts';
import { fileSha256 } from '../../compare/study.ts';
import type { SweepStudy } from '../../compare/sweep.ts';
import { UsageError } from '../../errors.ts';
import {
  renderCapacityReport,
  renderCompareReport,
  renderPlanReport,
  renderSweepReport,
} from '../../report/index.ts';
import { loadScenarioFile } from '../../scenario/load.ts';
import { mergeInputs } from '../../shard/merge.ts';
import { decodeJson, encodeJson } from '../../shard/part.ts';
import { asWaveState } from '../../shard/run.ts';
import { escapeLine, shorten } from '../../text/quote.ts';
import { EXIT } from '../exit-codes.ts';
import { checkOutputs, writeFileAtomic } from '../output.ts';
import { formatCapacity } from './capacity.ts';
import { formatComparison } from './compare.ts';
import { shardStatus } from './shard-flags.ts';
import { formatSweep } from './sweep.ts';

/** Largest input merge reads (a part holds figures, not samples: far below this). */
const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/** Files named on the command line; a folder stands for its part-*.json files. */
function expandInputs(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      throw new UsageError(
        `${shorten(p)}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    if (!isDir) return [p];
    const parts = readdirSync(p)
      .filter((f) => /^part-.*\.json$/.test(f))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .map((f) => join(p, f));
    if (parts.length === 0) throw new UsageError(`${shorten(p)}: a folder without part-*.json files`);
    return parts;
  });
}

function readJson(file: string): unknown {
  let text: string;
  try {
    if (statSync(file).size > MAX_INPUT_BYTES)
      throw new UsageError(`${shorten(file)}: larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB: not a part`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(
      `${shorten(file)}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    return decodeJson(text);
  } catch {
    throw new UsageError(
      `${shorten(file)}: not JSON: expected a part (compare, sweep or capacity with --shard) or a k6 runner summary`,
    );
  }
}

/** The wave folder's next wave: 1 + the wave of DIR/state.json, or 1. */
function waveParts(dir: string): string[] {
  const stateFile = join(dir, 'state.json');
  const wave = existsSync(stateFile) ? asWaveState(readJson(stateFile), stateFile).wave + 1 : 1;
  return expandInputs([join(dir, `wave-${wave}`)]);
}

export function mergeCommand(): Command {
  return new Command('merge')
    .description(
      "Combine the parts of a sharded compare, sweep or capacity run into the result an unsharded run writes (byte for byte), or the runners' summaries of a k6-operator TestRun into one.",
    )
    .argument('[parts...]', 'part files (or folders of part-*.json), or k6 runner summaries')
    .option('--out <file>', 'write the merged result (or the next wave state of a capacity search) here')
    .option('--json', 'print the merged JSON instead of the table')
    .option(
      '--report <file>',
      'also write the HTML report of a compare, sweep or finished capacity search (needs the scenario file)',
    )
    .option(
      '--status <dir>',
      'print the progress of the shards writing parts into DIR (their progress-*.json), and stop',
    )
    .option(
      '--wave-dir <dir>',
      'capacity in a wave folder: merge DIR/wave-W/ into DIR/state.json, or the result into --out',
    )
    .addHelpText(
      'after',
      `
Examples:
  floodgate merge parts/part-*.json --out result.json
  floodgate merge parts/ --out result.json --report cmp.html
  floodgate merge parts/part-w2-*.json --out state.json    (a capacity wave: the result when the search is done,
                                                           else the state the next wave reads with --wave-in)
  floodgate merge runner-*.json --out k6-summary.json       (k6-operator runners' summaries, one per runner)
  floodgate merge --status parts/                           (progress of the shards still running)

Parts must come from the same scenario file and flags, and every shard must be there once.
Exit codes: 0 merged, 3 a capacity search found no passing value, 1 bad input, 2 bad usage, 70 a bug.`,
    )
    .action(
      async (
        paths: string[],
        opts: { out?: string; json?: boolean; report?: string; waveDir?: string; status?: string },
      ) => {
        if (opts.status !== undefined) {
          process.stdout.write(`${shardStatus(opts.status)}\n`);
          return;
        }
        if (paths.length === 0 && opts.waveDir === undefined)
          throw new UsageError('merge: expected part files (or a folder of them), or --wave-dir DIR');
        if (paths.length > 0 && opts.waveDir !== undefined)
          throw new UsageError('merge: --wave-dir finds its parts itself: pass no part files with it');
        const files = opts.waveDir !== undefined ? waveParts(opts.waveDir) : expandInputs(paths);
        const out = opts.out;
        checkOutputs(files, [
          out !== undefined ? { flag: '--out', file: out } : undefined,
          opts.report !== undefined ? { flag: '--report', file: opts.report } : undefined,
        ]);
        const merged = mergeInputs(files.map((file) => ({ file, json: readJson(file) })));
        if (opts.report !== undefined && (merged.kind === 'wave' || merged.kind === 'k6'))
          throw new UsageError(
            merged.kind === 'wave'
              ? '--report: these parts are a capacity wave and the search needs another: pass --report to the merge that finishes it'
              : '--report: k6 runner summaries have no HTML report (compare them with `floodgate observe`)',
          );
        // Built before anything is written: a report that cannot be made leaves no merged file.
        const html = opts.report !== undefined ? await mergedReport(merged, files[0]!) : undefined;
        const written = (file: string) => `result written to ${escapeLine(shorten(file))}\n`;
        switch (merged.kind) {
          case 'compare':
          case 'sweep': {
            const json = `${JSON.stringify(merged.result, null, 2)}\n`;
            if (out) await writeFileAtomic(out, json);
            if (html !== undefined) await writeFileAtomic(opts.report!, html);
            process.stdout.write(
              opts.json
                ? json
                : `${merged.kind === 'compare' ? formatComparison(merged.result) : formatSweep(merged.result)}\n`,
            );
            if (out && !opts.json) process.stdout.write(written(out));
            return;
          }
          case 'capacity': {
            const json = `${JSON.stringify(merged.result, null, 2)}\n`;
            const target =
              out ?? (opts.waveDir !== undefined ? join(opts.waveDir, 'result.json') : undefined);
            if (target) await writeFileAtomic(target, json);
            if (html !== undefined) await writeFileAtomic(opts.report!, html);
            process.stdout.write(opts.json ? json : `${formatCapacity(merged.result)}\n`);
            if (target && !opts.json)
              process.stdout.write(`search done after ${merged.waves} wave(s)\n${written(target)}`);
            const r = merged.result;
            if (r.schema === 'floodgate/capacity-result@1' ? r.value === null : r.answer === null)
              process.exitCode = EXIT.sloFailed;
            return;
          }
          case 'wave': {
            const target = opts.waveDir !== undefined ? join(opts.waveDir, 'state.json') : out;
            if (target === undefined)
              throw new UsageError(
                'merge: these parts are a capacity wave and the search needs another: pass --out FILE for the state the next wave reads',
              );
            await writeFileAtomic(target, encodeJson(merged.state));
            process.stdout.write(
              `wave ${merged.state.wave} merged (${Object.keys(merged.state.probes).length} probes known); the search needs another wave.\n` +
                `state written to ${escapeLine(shorten(target))}: run the shards again with ${opts.waveDir !== undefined ? `--wave-dir ${escapeLine(shorten(opts.waveDir))}` : `--wave-in ${escapeLine(shorten(target))}`}\n`,
            );
            return;
          }
          case 'k6': {
            const json = `${JSON.stringify(merged.summary, null, 2)}\n`;
            if (out) await writeFileAtomic(out, json);
            process.stdout.write(
              opts.json
                ? json
                : `${files.length} runner summaries of ${escapeLine(merged.summary.scenario.name)} merged (${merged.summary.overall.requests} requests, thresholds ${merged.summary.pass ? 'passed' : 'failed'})\n${out ? `${written(out)}compare with: floodgate observe --predicted RESULT.json --observed ${escapeLine(shorten(out))}\n` : ''}`,
            );
            return;
          }
        }
      },
    );
}

type Merged = ReturnType<typeof mergeInputs>;

/**
 * The study's HTML report, as the unsharded command writes it. The scenario is read again from
 * the path the shards ran, and must be unchanged (its hash is in every part).
 */
async function mergedReport(merged: Merged, firstPart: string): Promise<string> {
  const s = (readJson(firstPart) as { study: CompareStudy | SweepStudy | CapacityStudy }).study;
  // Overrides from a part file never name code to load: policy modules come from the scenario
  // file itself, checked against its hash below.
  if (JSON.stringify(s.baseOverrides ?? []).match(/"[^"]*\.(?:[cm]?[jt]s|tsx?)"/))
    throw new UsageError(
      `--report: the shards set a policy module with --set: write the report with \`floodgate ${s.command} --report\` instead`,
    );
  if (!existsSync(s.scenario) || fileSha256(s.scenario) !== s.scenarioSha256)
    throw new UsageError(
      `--report: the report needs the scenario the shards ran, ${shorten(s.scenario)}, unchanged`,
    );
  const { scenario } = await loadScenarioFile(s.scenario, {
    overrides: s.baseOverrides,
    ...(s.limits ? { limits: s.limits } : {}),
  });
  // The shards' --set flags, as path=value (the value as JSON: the typed text is not kept).
  const overrides = (s.baseOverrides ?? []).map((o) => `${o.path}=${JSON.stringify(o.value)}`);
  switch (merged.kind) {
    case 'compare':
      return renderCompareReport(merged.result, scenario, { overrides });
    case 'sweep':
      return renderSweepReport(merged.result, scenario, { overrides });
    case 'capacity': {
      const search = (s as CapacityStudy).search;
      return merged.result.schema === 'floodgate/capacity-result@1'
        ? renderCapacityReport(merged.result, scenario, {
            ...(search.kind === 'bisect' ? { range: search.range } : {}),
            overrides,
          })
        : renderPlanReport(merged.result, scenario, { overrides });
    }
    default:
      throw new UsageError(`--report: ${merged.kind} parts have no report`);
  }
}
