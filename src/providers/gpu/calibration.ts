/**
 * Calibration of the GPU timing models against measurements: for each (model, hardware, TP)
 * group, fit the coefficients on every row and report, for every row, the fitted and the roofline
 * model's error, with the median and worst per phase.
 *
 * A fit transfers to other hardware (`fitOn`) by phase. Prefill: the fit's time over the
 * roofline's on the GPU it was fitted on is an efficiency for that iteration's shape (tokens,
 * prompts, TP), applied to the other GPU's roofline. Decode: the coefficients carried
 * (transferCoefficients): memory-bound terms scale with HBM bandwidth, compute-bound ones with the
 * prefill FLOP/s the roofline expects (peak x mfuPrefill), the all-reduce share of the cost per
 * prefill token with the interconnect. Without a model profile, prefill is carried that way too.
 */
import { GPUS, type GpuProfile, MODELS, type ModelProfile } from './catalog.ts';
import { type Fit, fitTimingModel, type Measurement, type Observation, observations } from './fit.ts';
import {
  allReduceMsPerToken,
  type FittedCoefficients,
  fittedModel,
  fittedPrefillMs,
  type IterationTimeModel,
  physicalFloorMs,
  rooflineModel,
} from './time-model.ts';

export interface CalibrationRow {
  group: string;
  /** CSV line of the measurement. */
  line: number;
  kind: 'prefill' | 'decode';
  point: string;
  measuredMs: number;
  fittedMs: number;
  fittedError: number;
  /** Null when there is no profile for the model or hardware. */
  rooflineMs: number | null;
  rooflineError: number | null;
  /** Why the fit left this row out (it is still reported), if it did. */
  excluded?: string;
}

export interface ErrorSummary {
  /** Median of |error|. */
  median: number;
  /** The largest |error|, signed, and its CSV line. */
  worst: number;
  worstLine: number;
}

export interface PhaseSummary {
  kind: 'prefill' | 'decode';
  rows: number;
  excluded: number;
  fitted: ErrorSummary;
  roofline: ErrorSummary | null;
}

export interface CalibrationGroup {
  key: string;
  model: string;
  hardware: string;
  tensorParallel: number;
  /** The hardware the coefficients were fitted on (= hardware unless transferred). */
  fittedOn: string;
  /**
   * Transferred only: how prefill was carried: 'roofline' (the fit's efficiency relative to the
   * roofline, per iteration; needs a model profile) or 'coefficients' (scaled as decode is).
   */
  prefillCarried?: 'roofline' | 'coefficients';
  coefficients: FittedCoefficients;
  /** With `engineFrom`: the roofline's cost per decoding sequence per step, ms, and its source. */
  engineSeqOverhead?: { ms: number; from: string };
  warnings: string[];
  rows: CalibrationRow[];
  /** Over the rows the fit used (excluded rows are listed, not summarized). */
  summary: PhaseSummary[];
}

export interface CalibrateOptions {
  /** Fit on this hardware's rows and check on `hardware`'s (the coefficients transferred). */
  fitOn?: string;
  /** Profile of the measured model when the catalog has none (a model described inline). */
  modelProfile?: ModelProfile;
  /**
   * Another model measured by the same engine on the same hardware (in the catalog): its decode
   * rows set the roofline's cost per decoding sequence (engineSeqOverheadMs), carried to this one.
   */
  engineFrom?: string;
}

/** The catalog profile of a model as a measurement file names it (`llama2-70b` is `llama-2-70b`). */
export function catalogModel(name: string): ModelProfile | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9.]/g, '');
  const key = Object.keys(MODELS).find((k) => squash(k) === squash(name));
  return key ? MODELS[key] : undefined;
}

function catalogModelName(name: string): string {
  const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9.]/g, '');
  return Object.keys(MODELS).find((k) => squash(k) === squash(name)) ?? name;
}

/**
 * Coefficients fitted on one GPU, carried to another through the roofline: memory-bound terms
 * scale with bandwidth, compute-bound ones with the FLOP/s the roofline expects in prefill (peak x
 * mfuPrefill, the catalog's efficiency of each GPU).
 */
export function transferCoefficients(
  k: FittedCoefficients,
  from: GpuProfile,
  to: GpuProfile,
  allReduce?: { model: ModelProfile; tensorParallel: number },
): FittedCoefficients {
  const mem = from.bandwidthTBps / to.bandwidthTBps;
  const flops = (from.bf16Tflops * from.mfuPrefill) / (to.bf16Tflops * to.mfuPrefill);
  // The all-reduce share of the cost per prefill token follows the interconnect, the rest the
  // FLOP/s (when both GPUs give their interconnect bandwidth).
  const linkFrom = allReduce ? allReduceMsPerToken(allReduce.model, from, allReduce.tensorParallel) : 0;
  const linkTo = allReduce ? allReduceMsPerToken(allReduce.model, to, allReduce.tensorParallel) : 0;
  const link = linkFrom > 0 && linkTo > 0 ? Math.min(k.b, linkFrom) : 0;
  const out: FittedCoefficients = {
    a: k.a * mem,
    b: (k.b - link) * flops + (link > 0 ? (link * linkTo) / linkFrom : 0),
    c: k.c * mem,
    d: k.d * mem,
    e: k.e * flops,
    f: k.f * mem,
    g: k.g * mem,
  };
  if (k.h !== undefined) out.h = k.h * flops;
  if (k.knee !== undefined) out.knee = k.knee;
  if (k.s !== undefined) out.s = k.s * flops;
  return out;
}

/**
 * A fit carried to another GPU by phase. An iteration that prefills: the fit's time as a multiple
 * of the roofline's on the GPU it was fitted on (an efficiency for that iteration's own shape:
 * tokens, prompts, TP), times the other GPU's roofline; decoders in it add the carried
 * coefficients' cost. A decode step: the carried coefficients (the roofline's fixed step costs do
 * not change with the GPU, the measured ones do: H100 decodes 0.66x A100's time at every TP).
 */
export function transferredModel(
  fittedOn: FittedCoefficients,
  carried: FittedCoefficients,
  rooflineFrom: IterationTimeModel,
  rooflineTo: IterationTimeModel,
): IterationTimeModel {
  const decode = fittedModel(carried);
  return {
    kind: 'fitted',
    iterationMs(w) {
      if (w.prefillTokens <= 0) return decode.iterationMs(w);
      const prefillOnly = { ...w, decodeSeqs: 0, decodeContext: 0 };
      const efficiency = rooflineTo.iterationMs(prefillOnly) / rooflineFrom.iterationMs(prefillOnly);
      return (
        (fittedOn.a + fittedPrefillMs(fittedOn, w)) * efficiency +
        carried.c * w.decodeSeqs +
        carried.d * w.decodeContext
      );
    },
    decodeOnlyMs: (decodeSeqs, decodeContext) => decode.decodeOnlyMs(decodeSeqs, decodeContext),
    decodeRunMs: (decodeSeqs, baseSum, k0, count, out) =>
      decode.decodeRunMs(decodeSeqs, baseSum, k0, count, out),
  };
}

function summarize(errors: readonly { error: number; line: number }[]): ErrorSummary {
  const abs = errors.map((e) => Math.abs(e.error)).sort((x, y) => x - y);
  const m = abs.length >> 1;
  const median = abs.length === 0 ? Number.NaN : abs.length % 2 ? abs[m]! : (abs[m - 1]! + abs[m]!) / 2;
  let worst = errors[0] ?? { error: Number.NaN, line: 0 };
  for (const e of errors) if (Math.abs(e.error) > Math.abs(worst.error)) worst = e;
  return { median, worst: worst.error, worstLine: worst.line };
}

/**
 * Marks the rows (both observations) of which one is faster than physics allows: a failed
 * measurement (Splitwise's 64 prompts of 512 tokens at TP 2 "took" less than 4 prompts did), so
 * its run is suspect as a whole. The fit leaves them out; the report still lists them.
 */
function markImpossible(
  obs: Observation[],
  model: ModelProfile | undefined,
  gpu: GpuProfile | undefined,
  tp: number,
) {
  if (!model || !gpu) return;
  const bad = new Map<number, string>();
  for (const o of obs) {
    const floor = physicalFloorMs(model, gpu, tp, o.work);
    const least = Math.max(floor.memoryMs, floor.computeMs);
    if (o.measuredMs < least) {
      bad.set(
        o.line,
        `its ${o.kind} time ${o.measuredMs.toFixed(1)} ms is below what the hardware allows at full peak (${least.toFixed(1)} ms): left out of the fit`,
      );
    }
  }
  for (const o of obs) {
    const why = bad.get(o.line);
    if (why) o.excluded = why;
  }
}

/**
 * The catalog GPU whose limits bound `hardware`'s: itself, or a catalog name it extends
 * (`h100-80gb-pcap`, a power-capped H100, is no faster than `h100-80gb`). For the physical floor
 * only: a variant's efficiency is not the catalog GPU's.
 */
function boundingGpu(hardware: string): GpuProfile | undefined {
  if (GPUS[hardware]) return GPUS[hardware];
  const base = Object.keys(GPUS)
    .filter((name) => hardware.startsWith(`${name}-`))
    .sort((x, y) => y.length - x.length)[0];
  return base ? GPUS[base] : undefined;
}

/**
 * What the measuring engine spends per decoding sequence per step beyond the roofline (sampling,
 * bookkeeping, kernel launches per request), ms, read off `model`'s decode rows on `hardware`:
 * for every setting of more than one sequence with a one-sequence setting of the same prompt and
 * output, the measured growth from one sequence over the roofline's own growth (weights and KV
 * reads, FLOPs), per added sequence; the median over settings and TPs (at least 0). Rows faster
 * than the hardware allows are left out. Undefined without the model's profile or rows there.
 */
export function engineSeqOverheadMs(
  rows: readonly Measurement[],
  model: string,
  hardware: string,
): number | undefined {
  const profile = catalogModel(model);
  const gpu = GPUS[hardware];
  if (!profile || !gpu) return undefined;
  const tps = [
    ...new Set(rows.filter((r) => r.model === model && r.hardware === hardware).map((r) => r.tensorParallel)),
  ];
  const slopes: number[] = [];
  for (const tp of tps) {
    const obs = observations(rows, model, hardware, tp);
    markImpossible(obs, profile, gpu, tp);
    const roofline = rooflineModel(profile, gpu, tp, { seqOverheadMs: 0 });
    // Decode settings by prompt and output, then batch: the median of their repeats.
    const settings = new Map<string, Map<number, { work: Observation['work']; ms: number[] }>>();
    for (const o of obs) {
      if (o.kind !== 'decode' || o.excluded) continue;
      const seqs = o.work.decodeSeqs;
      const shape = `${o.work.decodeContext / seqs}`;
      const byBatch = settings.get(shape) ?? settings.set(shape, new Map()).get(shape)!;
      const s = byBatch.get(seqs) ?? byBatch.set(seqs, { work: o.work, ms: [] }).get(seqs)!;
      s.ms.push(o.measuredMs);
    }
    for (const byBatch of settings.values()) {
      const one = byBatch.get(1);
      if (!one) continue;
      const t1 = medianOf(one.ms);
      const r1 = roofline.iterationMs(one.work);
      for (const [b, s] of byBatch) {
        if (b === 1) continue;
        slopes.push((medianOf(s.ms) - t1 - (roofline.iterationMs(s.work) - r1)) / (b - 1));
      }
    }
  }
  return slopes.length === 0 ? undefined : Math.max(0, medianOf(slopes));
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function calibrate(
  rows: readonly Measurement[],
  model: string,
  hardware: string,
  tensorParallels: readonly number[],
  options: CalibrateOptions = {},
): CalibrationGroup[] {
  const profile = options.modelProfile ?? catalogModel(model);
  const fitOn = options.fitOn ?? hardware;
  const seqOverheadMs =
    options.engineFrom === undefined ? undefined : engineSeqOverheadMs(rows, options.engineFrom, hardware);
  const rooflineOptions = seqOverheadMs === undefined ? {} : { seqOverheadMs };
  return tensorParallels.map((tp) => {
    const key = `${catalogModelName(model)}/${hardware}/tp${tp}`;
    const gpu = GPUS[hardware];
    const fitGpu = GPUS[fitOn];
    const fitObs = observations(rows, model, fitOn, tp);
    markImpossible(fitObs, profile, boundingGpu(fitOn), tp);
    const fit: Fit = fitTimingModel(fitObs, `${catalogModelName(model)}/${fitOn}/tp${tp}`);
    let coefficients = fit.coefficients;
    const warnings = [...fit.warnings];
    if (options.engineFrom !== undefined && seqOverheadMs === undefined)
      warnings.push(
        `no decode rows of '${options.engineFrom}' (with its catalog profile) on ${hardware} to read the engine's cost per sequence from: the roofline keeps its default`,
      );
    if (fitOn !== hardware) {
      if (!fitGpu || !gpu) {
        throw new Error(`transfer needs catalog profiles of both GPUs (${fitOn}, ${hardware})`);
      }
      coefficients = transferCoefficients(
        coefficients,
        fitGpu,
        gpu,
        profile ? { model: profile, tensorParallel: tp } : undefined,
      );
    }
    const checkObs = fitOn === hardware ? fitObs : observations(rows, model, hardware, tp);
    if (fitOn !== hardware) markImpossible(checkObs, profile, boundingGpu(hardware), tp);
    // The roofline column; a carried fit goes through the plain rooflines (prefill efficiencies).
    const roofline = profile && gpu ? rooflineModel(profile, gpu, tp, rooflineOptions) : undefined;
    const throughRoofline = fitOn !== hardware && profile !== undefined && roofline !== undefined;
    const fitted =
      throughRoofline && profile && gpu
        ? transferredModel(
            fit.coefficients,
            coefficients,
            rooflineModel(profile, fitGpu!, tp),
            rooflineModel(profile, gpu, tp),
          )
        : fittedModel(coefficients);
    const out: CalibrationRow[] = checkObs.map((o) => {
      const f = fitted.iterationMs(o.work);
      const r = roofline ? roofline.iterationMs(o.work) : null;
      const row: CalibrationRow = {
        group: key,
        line: o.line,
        kind: o.kind,
        point: o.label,
        measuredMs: o.measuredMs,
        fittedMs: f,
        fittedError: (f - o.measuredMs) / o.measuredMs,
        rooflineMs: r,
        rooflineError: r === null ? null : (r - o.measuredMs) / o.measuredMs,
      };
      if (o.excluded) row.excluded = o.excluded;
      return row;
    });
    const summary = (['prefill', 'decode'] as const).map((kind): PhaseSummary => {
      const mine = out.filter((r) => r.kind === kind);
      const used = mine.filter((r) => !r.excluded);
      return {
        kind,
        rows: used.length,
        excluded: mine.length - used.length,
        fitted: summarize(used.map((r) => ({ error: r.fittedError, line: r.line }))),
        roofline: roofline ? summarize(used.map((r) => ({ error: r.rooflineError!, line: r.line }))) : null,
      };
    });
    const group: CalibrationGroup = {
      key,
      model,
      hardware,
      tensorParallel: tp,
      fittedOn: fitOn,
      coefficients,
      ...(seqOverheadMs !== undefined
        ? { engineSeqOverhead: { ms: seqOverheadMs, from: options.engineFrom! } }
        : {}),
      warnings,
      rows: out,
      summary,
    };
    if (fitOn !== hardware) group.prefillCarried = throughRoofline ? 'roofline' : 'coefficients';
    return group;
  });
}

/** Every (model, hardware, tensor parallelism) group in the measurements. */
export function groupsIn(
  rows: readonly Measurement[],
): { model: string; hardware: string; tensorParallels: number[] }[] {
  const map = new Map<string, Set<number>>();
  for (const r of rows) {
    const key = `${r.model}\u0000${r.hardware}`;
    map.set(key, (map.get(key) ?? new Set()).add(r.tensorParallel));
  }
  return [...map.entries()].map(([key, tps]) => {
    const [model, hardware] = key.split('\u0000') as [string, string];
    return { model, hardware, tensorParallels: [...tps].sort((a, b) => a - b) };
  });
}

/** The groups the shipped coefficients cover. */
export const CALIBRATED: readonly { model: string; hardware: string; tensorParallels: number[] }[] = [
  { model: 'llama2-70b', hardware: 'h100-80gb', tensorParallels: [2, 4, 8] },
  { model: 'llama2-70b', hardware: 'a100-80gb', tensorParallels: [2, 4, 8] },
];
