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
  rooflineMs: number;
  rooflineError: number;
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
    if (!profile || !gpu) throw new Error(`no catalog entry for ${model} on ${hardware}`);
    const roofline = rooflineModel(profile, gpu, tp);
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
        const r = roofline.iterationMs(o.work);
        return {
          group: key,
          point: o.label.replace(' prompt 512 out 128', ''),
          measuredMs: o.measuredMs,
          fittedMs: f,
          fittedError: (f - o.measuredMs) / o.measuredMs,
          rooflineMs: r,
          rooflineError: (r - o.measuredMs) / o.measuredMs,
        };
      }),
    };
  });
}

/** The groups the shipped coefficients cover. */
export const CALIBRATED: readonly { model: string; hardware: string; tensorParallels: number[] }[] = [
  { model: 'llama2-70b', hardware: 'h100-80gb', tensorParallels: [2, 4, 8] },
  { model: 'llama2-70b', hardware: 'a100-80gb', tensorParallels: [2, 4, 8] },
];
