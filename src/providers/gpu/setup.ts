/**
 * Turns a validated `kind: gpu` config into what the pool needs: the model and GPU profiles
 * (catalog names resolved, inline profiles completed) and the iteration time model.
 */
import type { GpuProviderConfig } from '../../scenario/schema.ts';
import { GPUS, type GpuProfile, MODELS, type ModelProfile } from './catalog.ts';
import type { DisaggregatedSetup } from './disaggregated-pool.ts';
import fitted from './fitted-coefficients.json' with { type: 'json' };
import type { GpuPoolSetup } from './gpu-pool.ts';
import {
  type FittedCoefficients,
  fittedModel,
  type IterationTimeModel,
  rooflineModel,
} from './time-model.ts';

/** Built-in fits, keyed `model/gpu/tpN` (written by `npm run calibrate -- --write`). */
export const FITTED_COEFFICIENTS: Readonly<Record<string, FittedCoefficients>> = fitted;

export function resolveGpuSetup(config: GpuProviderConfig): GpuPoolSetup {
  const model: ModelProfile =
    typeof config.model === 'string'
      ? MODELS[config.model]!
      : { ...config.model, totalParamsB: config.model.totalParamsB ?? config.model.activeParamsB };
  const gpu: GpuProfile = typeof config.gpu === 'string' ? GPUS[config.gpu]! : config.gpu;
  return { config, model, gpu, timeModel: timeModelFor(config, model, gpu) };
}

/** A disaggregated pool's setup: the pool's own as the decode pool; the prefill pool's GPU, TP and time model. */
export function resolveDisaggregatedSetup(config: GpuProviderConfig): DisaggregatedSetup {
  const decode = resolveGpuSetup(config);
  const p = config.disaggregation!.prefill;
  const prefillConfig = {
    ...config,
    gpu: p.gpu ?? config.gpu,
    tensorParallel: p.tensorParallel ?? config.tensorParallel,
  };
  const gpu: GpuProfile =
    typeof prefillConfig.gpu === 'string' ? GPUS[prefillConfig.gpu]! : prefillConfig.gpu;
  return {
    decode,
    prefill: {
      gpu,
      tensorParallel: prefillConfig.tensorParallel,
      timeModel: timeModelFor(prefillConfig, decode.model, gpu),
    },
  };
}

/** The fit key for a catalog model and GPU, e.g. `llama-2-70b/h100-80gb/tp4`. */
export function fitKey(config: GpuProviderConfig): string | undefined {
  if (typeof config.model !== 'string' || typeof config.gpu !== 'string') return undefined;
  return `${config.model}/${config.gpu}/tp${config.tensorParallel}`;
}

function timeModelFor(config: GpuProviderConfig, model: ModelProfile, gpu: GpuProfile): IterationTimeModel {
  const t = config.timing;
  const key = fitKey(config);
  if (t === 'auto') {
    const k = key ? FITTED_COEFFICIENTS[key] : undefined;
    return k ? fittedModel(k) : rooflineModel(model, gpu, config.tensorParallel);
  }
  if (t.model === 'roofline') {
    const { model: _kind, ...options } = t;
    return rooflineModel(
      model,
      gpu,
      config.tensorParallel,
      Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    );
  }
  if (t.coefficients) return fittedModel(t.coefficients);
  const from = t.from ?? key;
  const k = from ? FITTED_COEFFICIENTS[from] : undefined;
  if (!k) {
    throw new Error(`no fitted coefficients '${from}' (have ${Object.keys(FITTED_COEFFICIENTS).join(', ')})`);
  }
  return fittedModel(k);
}
