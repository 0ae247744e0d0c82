import { Command } from 'commander';
import { FloodgateError, UsageError } from '../../errors.ts';
import {
  type CalibrationGroup,
  type CalibrationRow,
  calibrate,
  type ErrorSummary,
  groupsIn,
} from '../../providers/gpu/calibration.ts';
import { GPUS, type ModelProfile } from '../../providers/gpu/catalog.ts';
import { type Measurement, parseMeasurements } from '../../providers/gpu/fit.ts';
import { MAX_TRACE_BYTES, readInputFile } from '../../scenario/read-input.ts';
import { escapeLines } from '../../text/quote.ts';

const pct = (x: number | null) =>
  x === null || Number.isNaN(x) ? '-' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
const abs = (x: number) => (Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)}%`);
const ms = (x: number | null) => (x === null ? '-' : x.toFixed(1));

function coefficientsLine(g: CalibrationGroup): string {
  const k = g.coefficients;
  const extra = [
    k.s ? ` + ${k.s.toFixed(3)} x (prompts - 1)` : '',
    k.h ? ` + ${k.h.toFixed(4)} x tokens beyond ${k.knee}` : '',
  ].join('');
  const on = g.fittedOn === g.hardware ? '' : ` (fitted on ${g.fittedOn}, carried over by the roofline)`;
  const line = `${g.key}${on}: t = ${k.a.toFixed(2)} + ${k.c.toFixed(4)} x seqs + ${k.d.toExponential(3)} x context + [prefill] max(${k.f.toFixed(2)}, ${k.g.toFixed(2)} + ${k.b.toFixed(4)} x tokens + ${k.e.toExponential(3)} x token pairs${extra})  (ms)`;
  return g.prefillCarried === 'roofline'
    ? `${line}\n  prefill rows: the fit's time on ${g.fittedOn} over its roofline's, times ${g.hardware}'s roofline (decode rows: the coefficients above)`
    : line;
}

const summaryText = (s: ErrorSummary) =>
  `median ${abs(s.median)}, worst ${pct(s.worst)} (line ${s.worstLine})`;

function rowLine(r: CalibrationRow): string {
  return `  ${String(r.line).padStart(5)} ${r.kind.padEnd(7)} ${r.point.padEnd(34)} ${ms(r.measuredMs).padStart(9)} ${ms(r.fittedMs).padStart(9)} ${pct(r.fittedError).padStart(7)} ${ms(r.rooflineMs).padStart(9)} ${pct(r.rooflineError).padStart(7)}${r.excluded ? '  (left out)' : ''}`;
}

/** Every row's error, then the median and worst per phase for each group and over all groups. */
export function formatCalibration(groups: readonly CalibrationGroup[], o: { rows?: boolean } = {}): string {
  const out: string[] = [];
  for (const g of groups) {
    out.push(coefficientsLine(g));
    if (o.rows !== false) {
      out.push(
        `  ${'line'.padStart(5)} ${'phase'.padEnd(7)} ${'point'.padEnd(34)} ${'measured'.padStart(9)} ${'fitted'.padStart(9)} ${'error'.padStart(7)} ${'roofline'.padStart(9)} ${'error'.padStart(7)}`,
      );
      for (const r of g.rows) out.push(rowLine(r));
    }
    for (const s of g.summary) {
      out.push(
        `  ${s.kind}: ${s.rows} rows${s.excluded ? ` (${s.excluded} left out)` : ''}: fitted ${summaryText(s.fitted)}; roofline ${s.roofline ? summaryText(s.roofline) : '- (no profile for this model or hardware)'}`,
      );
    }
    if (g.engineSeqOverhead)
      out.push(
        `  roofline: ${g.engineSeqOverhead.ms.toFixed(3)} ms per decoding sequence per step, the engine's cost read off ${g.engineSeqOverhead.from}'s rows on ${g.hardware}`,
      );
    for (const w of g.warnings) out.push(`  warning: ${w}`);
    const left = g.rows.filter((r) => r.excluded && r.kind === 'prefill');
    for (const r of left) out.push(`  left out: line ${r.line}: ${r.excluded}`);
    out.push('');
  }
  for (const kind of ['prefill', 'decode'] as const) {
    const rows = groups.flatMap((g) => g.rows.filter((r) => r.kind === kind && !r.excluded));
    if (rows.length === 0) continue;
    const errs = rows.map((r) => Math.abs(r.fittedError)).sort((a, b) => a - b);
    const worst = rows.reduce((w, r) => (Math.abs(r.fittedError) > Math.abs(w.fittedError) ? r : w));
    out.push(
      `${kind}, every row of every group (${rows.length}): fitted median ${abs(errs[errs.length >> 1]!)}, worst ${pct(worst.fittedError)} (${worst.group} line ${worst.line})`,
    );
  }
  return out.join('\n');
}

/** A model described inline: JSON with the catalog's fields (see `floodgate schema`, gpu model). */
function parseModelProfile(text: string): ModelProfile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new UsageError(
      `--model-profile: expected JSON such as '{"activeParamsB":176,"layers":70,"hiddenSize":14336,"kvHeads":112,"headDim":128}', got '${text.slice(0, 60)}'`,
    );
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const field = (name: string, fallback?: number) => {
    const x = o[name] ?? fallback;
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) {
      throw new UsageError(
        `--model-profile: field ${name} expected a positive number, got ${JSON.stringify(x) ?? 'nothing'}`,
      );
    }
    return x;
  };
  const active = field('activeParamsB');
  return {
    activeParamsB: active,
    totalParamsB: field('totalParamsB', active),
    layers: field('layers'),
    hiddenSize: field('hiddenSize'),
    kvHeads: field('kvHeads'),
    headDim: field('headDim'),
    bytesPerWeight: field('bytesPerWeight', 2),
    contextWindow: field('contextWindow', 131_072),
  };
}

interface CalibrateOpts {
  model?: string;
  hardware?: string;
  fitOn?: string;
  checkOn?: string;
  modelProfile?: string;
  engineFrom?: string;
  rows?: boolean;
  json?: boolean;
}

export function runCalibration(
  rows: readonly Measurement[],
  opts: CalibrateOpts,
  csv: string,
): CalibrationGroup[] {
  const modelProfile = opts.modelProfile === undefined ? undefined : parseModelProfile(opts.modelProfile);
  const models = [...new Set(rows.map((r) => r.model))];
  if (modelProfile && !opts.model && models.length > 1) {
    throw new UsageError(
      `--model-profile describes one model: name it with --model (the file has ${models.join(', ')})`,
    );
  }
  if ((opts.fitOn === undefined) !== (opts.checkOn === undefined)) {
    throw new UsageError(
      '--fit-on and --check-on go together: fit on one hardware, report the error on the other',
    );
  }
  const known = (name: string, flag: string) => {
    if (!rows.some((r) => r.hardware === name)) {
      const have = [...new Set(rows.map((r) => r.hardware))].join(', ');
      throw new UsageError(`${flag}: no measurements on '${name}' in ${csv} (it has ${have})`);
    }
    if (!GPUS[name]) {
      throw new UsageError(
        `${flag}: '${name}' is not in the GPU catalog (${Object.keys(GPUS).join(', ')}): a fit carries over through the catalog profiles of both GPUs`,
      );
    }
  };
  const picked = groupsIn(rows).filter(
    (g) =>
      (!opts.model || g.model === opts.model) &&
      (!opts.hardware || g.hardware === opts.hardware) &&
      (!opts.checkOn || g.hardware === opts.checkOn),
  );
  if (opts.engineFrom !== undefined && !models.includes(opts.engineFrom)) {
    throw new UsageError(
      `--engine-from: no measurements of '${opts.engineFrom}' in ${csv} (it has ${models.join(', ')})`,
    );
  }
  if (opts.fitOn !== undefined && opts.checkOn !== undefined) {
    known(opts.fitOn, '--fit-on');
    known(opts.checkOn, '--check-on');
  }
  const groups = picked.flatMap((g) => {
    const fitOn = opts.fitOn;
    const tps = fitOn
      ? g.tensorParallels.filter((tp) =>
          rows.some((r) => r.model === g.model && r.hardware === fitOn && r.tensorParallel === tp),
        )
      : g.tensorParallels;
    return calibrate(rows, g.model, g.hardware, tps, {
      ...(fitOn ? { fitOn } : {}),
      ...(modelProfile ? { modelProfile } : {}),
      ...(opts.engineFrom !== undefined ? { engineFrom: opts.engineFrom } : {}),
    });
  });
  if (groups.length === 0)
    throw new FloodgateError('FG_TRACE_INVALID', `${csv}: no measurements match the filters`);
  return groups;
}

export function calibrateCommand(): Command {
  return new Command('calibrate')
    .description(
      "Fit GPU iteration-time coefficients to measurements and print every row's error, the median and worst per phase (and the roofline model's).",
    )
    .argument(
      '[csv]',
      "measurements shaped like splitwise-sim's perf_model.csv (model, hardware, tensor_parallel, prompt_size, batch_size, token_size, prompt_time, token_time; common other spellings accepted)",
      'data/splitwise-perf-model.csv',
    )
    .option('--model <name>', 'only this model (as named in the CSV)')
    .option('--hardware <name>', 'only this hardware (as named in the CSV)')
    .option(
      '--fit-on <hardware>',
      'fit on this hardware, then report the error on --check-on (the fit carried over)',
    )
    .option('--check-on <hardware>', 'the hardware to report the error on, with --fit-on')
    .option(
      '--model-profile <json>',
      'the measured model\'s architecture when the catalog lacks it, for the roofline column, e.g. \'{"activeParamsB":176,"layers":70,"hiddenSize":14336,"kvHeads":112,"headDim":128}\'',
    )
    .option(
      '--engine-from <model>',
      "take the roofline's cost per decoding sequence (the measuring engine's, beyond the physics) from another model's decode rows on the same hardware",
    )
    .option('--no-rows', 'print the per-group summaries only, not every row')
    .option('--json', 'print the groups, coefficients, rows and summaries as JSON')
    .addHelpText(
      'after',
      '\nThe fitted coefficients go into a scenario as timing: { model: fitted, coefficients: {...} }.\nExit codes: 0 fitted, 1 bad input (or data that cannot pin the model down), 2 bad usage, 70 a bug.',
    )
    .action(async (csv: string, opts: CalibrateOpts) => {
      const text = await readInputFile(csv, {
        context: `${csv}: cannot read the measurements`,
        code: 'FG_TRACE_INVALID',
        maxBytes: MAX_TRACE_BYTES,
      });
      let rows: Measurement[];
      try {
        rows = parseMeasurements(text);
      } catch (e) {
        if (e instanceof FloodgateError) throw new FloodgateError(e.code, `${csv}: ${e.message}`);
        throw e;
      }
      const groups = runCalibration(rows, opts, csv);
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(groups, null, 2)}\n`
          : `${escapeLines(formatCalibration(groups, { rows: opts.rows !== false }))}\n`,
      );
    });
}
