/**
 * Calibration of the GPU timing models against measurements: for each (model, hardware, TP)
 * group, fit the coefficients and compare both timing models with the measured medians at the
 * points that matter (prompt time at batch 1 for each prompt size; time per output token at
 * batch 1, 16 and 64).
 */
import { GPUS, MODELS } from './catalog.ts';
import { fitCoefficients, type Measurement, observations } from './fit.ts';
import { type FittedCoefficients, fittedModel, rooflineModel } from './time-model.ts';

export interface CalibrationRow {
  group: string;
  point: string;
  measuredMs: number;
  fittedMs: number;
  fittedError: number;
  /** Null when the catalog has no profile for the model or hardware. */
  rooflineMs: number | null;
  rooflineError: number | null;
}

export interface CalibrationGroup {
  key: string;
  model: string;
  hardware: string;
  tensorParallel: number;
  coefficients: FittedCoefficients;
  rows: CalibrationRow[];
}

/** Catalog names for the measurement file's names. */
const MODEL_NAMES: Record<string, string> = { 'llama2-70b': 'llama-2-70b' };

export function calibrate(
  rows: readonly Measurement[],
  model: string,
  hardware: string,
  tensorParallels: readonly number[],
): CalibrationGroup[] {
  return tensorParallels.map((tp) => {
    const obs = observations(rows, model, hardware, tp);
    const coefficients = fitCoefficients(obs);
    const fitted = fittedModel(coefficients);
    const profile = MODELS[MODEL_NAMES[model] ?? model];
    const gpu = GPUS[hardware];
    const roofline = profile && gpu ? rooflineModel(profile, gpu, tp) : undefined;
    const key = `${MODEL_NAMES[model] ?? model}/${hardware}/tp${tp}`;
    const targets = obs.filter(
      (o) =>
        o.kind === 'prefill' || (/prompt 512 out 128$/.test(o.label) && /batch (1|16|64) /.test(o.label)),
    );
    return {
      key,
      model,
      hardware,
      tensorParallel: tp,
      coefficients,
      rows: targets.map((o) => {
        const f = fitted.iterationMs(o.work);
        const r = roofline ? roofline.iterationMs(o.work) : null;
        return {
          group: key,
          point: o.label.replace(' prompt 512 out 128', ''),
          measuredMs: o.measuredMs,
          fittedMs: f,
          fittedError: (f - o.measuredMs) / o.measuredMs,
          rooflineMs: r,
          rooflineError: r === null ? null : (r - o.measuredMs) / o.measuredMs,
        };
      }),
    };
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
