/**
 * The GPU timing models against data/splitwise-perf-model.csv (splitwise-sim's measurements of
 * Llama-2-70B and BLOOM-176B on A100-80GB and H100-80GB): every row, multi-prompt prefill
 * included. Each test prints its errors (console.table) and asserts the bounds of issue 16's
 * "done means" where the data allows them, else the figure reached (see docs/concepts/gpu-timing.md
 * for why):
 * - the shipped fit: every Llama-2-70B row, median within 3% (pooled; 4.0% for A100 TP 2 decode),
 *   worst row 28%. 15% was asked, and no model can reach it: the repeats of one setting (H100 TP 8,
 *   one prompt of 512) span 50.9 to 74.1 ms, so whatever one setting predicts, a repeat is at least
 *   18.5% off. The bound is judged on the median of each setting's repeats instead: every
 *   setting within 15% (12.6% the worst; the fit weighs a setting more while it is over 15%: A100
 *   TP 8 16 x 512 was 18.3% off, its cost per token above its neighbours' on both sides);
 * - a fit carried from A100 to H100 and back: prefill as an efficiency relative to the roofline
 *   (whose all-reduces now move every token over the interconnect), decode by coefficients
 *   scaled with HBM bandwidth: median within 15% pooled and per TP;
 * - BLOOM-176B, never fitted, described by its architecture alone: roofline median within 15%
 *   for prefill and decode on both GPUs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FloodgateError } from '../../../src/errors.ts';
import {
  CALIBRATED,
  type CalibrationGroup,
  calibrate,
  engineSeqOverheadMs,
  transferCoefficients,
} from '../../../src/providers/gpu/calibration.ts';
import { GPUS, MODELS, type ModelProfile } from '../../../src/providers/gpu/catalog.ts';
import {
  decodeWork,
  fitTimingModel,
  type Measurement,
  type Observation,
  observations,
  parseMeasurements,
  prefillWork,
  SETTING_CAP,
} from '../../../src/providers/gpu/fit.ts';
import { FITTED_COEFFICIENTS } from '../../../src/providers/gpu/setup.ts';
import {
  allReduceMsPerToken,
  fittedModel,
  type IterationWork,
  rooflineModel,
} from '../../../src/providers/gpu/time-model.ts';

const CSV = readFileSync(new URL('../../../data/splitwise-perf-model.csv', import.meta.url), 'utf8');
const ROWS = parseMeasurements(CSV);
const HARDWARE = ['a100-80gb', 'h100-80gb'] as const;
const TPS = [2, 4, 8] as const;

/** BLOOM-176B by its published architecture (BigScience model card and config.json). */
const BLOOM: ModelProfile = {
  activeParamsB: 176.2,
  totalParamsB: 176.2,
  layers: 70,
  hiddenSize: 14336,
  kvHeads: 112,
  headDim: 128,
  bytesPerWeight: 2,
  contextWindow: 2048,
};

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
const medianAbs = (xs: readonly number[]) => median(xs.map(Math.abs));
const worstAbs = (xs: readonly number[]) => xs.reduce((w, x) => (Math.abs(x) > Math.abs(w) ? x : w), 0);

/** Errors of the rows the fit used, per phase, from groups calibrate() returned. */
function errors(
  groups: readonly CalibrationGroup[],
  kind: 'prefill' | 'decode',
  which: 'fitted' | 'roofline',
) {
  return groups.flatMap((g) =>
    g.rows
      .filter((r) => r.kind === kind && !r.excluded)
      .map((r) => (which === 'fitted' ? r.fittedError : r.rooflineError!)),
  );
}

function table(groups: readonly CalibrationGroup[], which: 'fitted' | 'roofline') {
  return groups.map((g) => {
    const p = errors([g], 'prefill', which);
    const d = errors([g], 'decode', which);
    return {
      group: g.key,
      'fitted on': g.fittedOn,
      rows: p.length,
      'prefill median': pct(medianAbs(p)),
      'prefill worst': pct(worstAbs(p)),
      'decode median': pct(medianAbs(d)),
      'decode worst': pct(worstAbs(d)),
    };
  });
}

describe('the measurement file', () => {
  it('holds Llama-2-70B on H100 and A100 at TP 2, 4 and 8 with prompts of 128 to 8192 tokens alone and batches of 2 to 64 prompts of 512', () => {
    for (const hardware of HARDWARE) {
      for (const tp of TPS) {
        const rows = ROWS.filter(
          (r) => r.model === 'llama2-70b' && r.hardware === hardware && r.tensorParallel === tp,
        );
        expect(rows).toHaveLength(105);
        const alone = [...new Set(rows.filter((r) => r.batchSize === 1).map((r) => r.promptSize))];
        expect(alone.sort((a, b) => a - b)).toEqual([128, 256, 512, 1024, 2048, 4096, 8192]);
        const batches = [...new Set(rows.filter((r) => r.promptSize === 512).map((r) => r.batchSize))];
        expect(batches.sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16, 32, 64]);
      }
    }
  });

  it('reads the same rows under other common column spellings (a file of medians per setting too)', () => {
    const renamed = CSV.replace(
      /^.*$/m,
      'Model,GPU,Prompt_Tokens,Batch,Output_Tokens,peak_power,average_power,median_prefill_ms,median_tpot_ms,e2e_time,TP',
    );
    expect(parseMeasurements(renamed)).toEqual(ROWS);
  });

  it('names the missing column, and the line and column of a bad value', () => {
    expect(() => parseMeasurements('model,hardware\nx,y\n')).toThrow(
      /missing columns tensorparallel.*line 1/,
    );
    const bad = CSV.replace(/\n(llama2-70b,a100-80gb,)512,/, '\n$1big,');
    expect(() => parseMeasurements(bad)).toThrow(
      /line 2: column prompt_size expected a positive whole number, got 'big'/,
    );
  });
});

/** Each setting's repeats: the rows of one group with the same work (prompt times). */
function settingsOf(rows: readonly Measurement[]) {
  const map = new Map<string, { hardware: string; tp: number; point: string; times: number[] }>();
  for (const r of rows) {
    if (r.model !== 'llama2-70b' || !(HARDWARE as readonly string[]).includes(r.hardware)) continue;
    const point = `batch ${r.batchSize} prompt ${r.promptSize}`;
    const key = `${r.hardware}/tp${r.tensorParallel} ${point}`;
    const s = map.get(key) ?? { hardware: r.hardware, tp: r.tensorParallel, point, times: [] };
    s.times.push(r.promptMs);
    map.set(key, s);
  }
  return [...map.values()];
}

/**
 * The least worst relative error any one prediction p can have over measurements lo..hi: p/lo - 1
 * = 1 - p/hi at p = 2 lo hi / (lo + hi), the harmonic mean, where it is (hi - lo) / (hi + lo).
 */
const leastWorst = (times: readonly number[]) => {
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  return (hi - lo) / (hi + lo);
};

describe('repeats of one setting', () => {
  const settings = settingsOf(ROWS);

  it('differ so much that no model puts every prefill row within 15%: H100 TP 8, one prompt of 512, spans 50.9 to 74.1 ms (whatever is predicted, a repeat is 18.5% off)', () => {
    const spread = settings
      .map((s) => ({
        setting: `${s.hardware}/tp${s.tp} ${s.point}`,
        repeats: s.times.length,
        min: Number(Math.min(...s.times).toFixed(1)),
        median: Number(median(s.times).toFixed(1)),
        max: Number(Math.max(...s.times).toFixed(1)),
        'max / min': Number((Math.max(...s.times) / Math.min(...s.times)).toFixed(3)),
        'least worst error': pct(leastWorst(s.times)),
      }))
      .sort((x, y) => y['max / min'] - x['max / min']);
    console.table(spread.slice(0, 12));
    // Every repeat within 15% of one prediction needs max / min <= 1.15 / 0.85 = 1.353.
    const infeasible = spread.filter((s) => s['max / min'] > 1.15 / 0.85).map((s) => s.setting);
    expect(infeasible).toEqual(['h100-80gb/tp8 batch 1 prompt 512']);
    const worst = settings.find(
      (s) => s.hardware === 'h100-80gb' && s.tp === 8 && s.point === 'batch 1 prompt 512',
    )!;
    expect(worst.times).toHaveLength(45);
    expect(leastWorst(worst.times)).toBeGreaterThan(0.18);
  });
});

describe('the shipped fit, on every Llama-2-70B row', () => {
  const groups = HARDWARE.flatMap((hw) => calibrate(ROWS, 'llama2-70b', hw, TPS));

  it('is a fresh fit of the measurement file (npm run calibrate -- --write reproduces it)', () => {
    const fresh = Object.fromEntries(
      CALIBRATED.flatMap((c) => calibrate(ROWS, c.model, c.hardware, c.tensorParallels)).map((g) => [
        g.key,
        g.coefficients,
      ]),
    );
    expect(FITTED_COEFFICIENTS).toEqual(fresh);
    for (const g of groups) expect(g.coefficients).toEqual(FITTED_COEFFICIENTS[g.key]);
  });

  it('leaves out only the rows faster than physics allows: 64 prompts of 512 at TP 2 (under 0.8 s where 4 prompts take 0.3 s and the compute floor is 2.3 s)', () => {
    const left = groups.flatMap((g) => g.rows.filter((r) => r.excluded && r.kind === 'prefill'));
    expect(left).toHaveLength(10);
    for (const r of left) {
      expect(r.group).toMatch(/tp2$/);
      expect(r.point).toBe('batch 64 prompt 512');
    }
  });

  it('bounds a variant of a catalog GPU by it: the power-capped H100 rows leave out the same impossible batch, with no roofline column', () => {
    const [g] = calibrate(ROWS, 'llama2-70b', 'h100-80gb-pcap', [2]);
    expect(g!.rows.filter((r) => r.excluded && r.kind === 'prefill').map((r) => r.point)).toEqual(
      new Array(5).fill('batch 64 prompt 512'),
    );
    expect(g!.summary.map((s) => s.roofline)).toEqual([null, null]);
  });

  it('fits every row: pooled median error within 3% per phase, each group within 4.5%', () => {
    console.table(table(groups, 'fitted'));
    const prefill = errors(groups, 'prefill', 'fitted');
    const decode = errors(groups, 'decode', 'fitted');
    console.log(
      `every Llama-2-70B row (${prefill.length} per phase): prefill median ${pct(medianAbs(prefill))} worst ${pct(worstAbs(prefill))}; decode median ${pct(medianAbs(decode))} worst ${pct(worstAbs(decode))}`,
    );
    expect(medianAbs(prefill)).toBeLessThanOrEqual(0.03);
    expect(medianAbs(decode)).toBeLessThanOrEqual(0.03);
    for (const g of groups) {
      for (const kind of ['prefill', 'decode'] as const) {
        // A100 TP 2 decode: 4.0% (its batch-1 rows step from 55 to 60 ms between 128 and 256 output
        // tokens, at nearly the same context: no term explains it).
        expect(medianAbs(errors([g], kind, 'fitted')), `${g.key} ${kind}`).toBeLessThanOrEqual(0.045);
      }
    }
  });

  it('judged on the median of each setting (its repeats one measurement): median within 3%, every setting within 15%', () => {
    const bySetting = groups.flatMap((g) =>
      (['prefill', 'decode'] as const).flatMap((kind) => {
        const m = new Map<string, { measured: number[]; fitted: number }>();
        for (const r of g.rows.filter((x) => x.kind === kind && !x.excluded)) {
          const e = m.get(r.point) ?? { measured: [], fitted: r.fittedMs };
          e.measured.push(r.measuredMs);
          m.set(r.point, e);
        }
        return [...m].map(([point, e]) => ({
          setting: `${g.key} ${kind} ${point}`,
          kind,
          error: e.fitted / median(e.measured) - 1,
        }));
      }),
    );
    const worst = [...bySetting].sort((x, y) => Math.abs(y.error) - Math.abs(x.error));
    console.table(worst.slice(0, 8).map((w) => ({ setting: w.setting, 'fitted vs median': pct(w.error) })));
    for (const kind of ['prefill', 'decode'] as const) {
      const es = bySetting.filter((b) => b.kind === kind).map((b) => b.error);
      console.log(`${kind}: ${es.length} settings, median ${pct(medianAbs(es))}, worst ${pct(worstAbs(es))}`);
      expect(medianAbs(es)).toBeLessThanOrEqual(0.03);
    }
    for (const w of worst) expect(Math.abs(w.error), w.setting).toBeLessThanOrEqual(SETTING_CAP);
    // 16 prompts of 512 on A100 TP 8 (2084 ms: 0.254 ms a token where 8 x 512 take 0.187, 32 x
    // 512 0.215, 64 x 512 0.231 and one prompt of 8192 0.189) is no longer the worst.
    expect(worst[0]!.setting).toBe('llama-2-70b/a100-80gb/tp4 decode batch 64 prompt 512 out 128');
  });

  it('has no row off by more than 28% (the worst: repeats of one setting 20% apart, and the setting above)', () => {
    for (const g of groups) {
      for (const r of g.rows.filter((x) => !x.excluded)) {
        expect(Math.abs(r.fittedError), `${g.key} line ${r.line}`).toBeLessThanOrEqual(0.28);
      }
    }
  });

  it('prices a batch of prompts by its total tokens: 16 prompts of 512 on A100 TP 8 measured 2084 ms (the old batch-1 fit said 883, -58%; now within 15%)', () => {
    const model = fittedModel(FITTED_COEFFICIENTS['llama-2-70b/a100-80gb/tp8']!);
    const measured = median(
      ROWS.filter(
        (r) =>
          r.model === 'llama2-70b' &&
          r.hardware === 'a100-80gb' &&
          r.tensorParallel === 8 &&
          r.batchSize === 16,
      ).map((r) => r.promptMs),
    );
    const predicted = model.iterationMs(prefillWork(16, 512));
    console.log(
      `16 x 512 on A100 TP8: measured ${measured.toFixed(0)} ms, fitted ${predicted.toFixed(0)} ms`,
    );
    expect(Math.abs(predicted / measured - 1)).toBeLessThanOrEqual(0.15);
  });
});

describe('a fit carried to other hardware through the roofline', () => {
  const toH100 = calibrate(ROWS, 'llama2-70b', 'h100-80gb', TPS, { fitOn: 'a100-80gb' });
  const toA100 = calibrate(ROWS, 'llama2-70b', 'a100-80gb', TPS, { fitOn: 'h100-80gb' });

  it.each([
    ['A100 to H100', toH100],
    ['H100 to A100', toA100],
  ])('%s: median error within 15% per phase, pooled and for each TP', (_, groups) => {
    console.table(table(groups, 'fitted'));
    const prefill = errors(groups, 'prefill', 'fitted');
    const decode = errors(groups, 'decode', 'fitted');
    console.log(
      `${_}: prefill median ${pct(medianAbs(prefill))} worst ${pct(worstAbs(prefill))}; decode median ${pct(medianAbs(decode))} worst ${pct(worstAbs(decode))}`,
    );
    expect(medianAbs(prefill)).toBeLessThanOrEqual(0.15);
    expect(medianAbs(decode)).toBeLessThanOrEqual(0.15);
    for (const g of groups) {
      expect(medianAbs(errors([g], 'prefill', 'fitted')), g.key).toBeLessThanOrEqual(0.15);
      expect(medianAbs(errors([g], 'decode', 'fitted')), g.key).toBeLessThanOrEqual(0.15);
    }
  });

  it('moves the all-reduce share of the cost per prefill token with the interconnect (NVLink 300 GB/s each way on A100, 450 on H100), the rest with the FLOP/s', () => {
    const llama = MODELS['llama-2-70b']!;
    const a100 = GPUS['a100-80gb']!;
    const h100 = GPUS['h100-80gb']!;
    // 2 all-reduces x 80 layers x 8192 x 2 bytes, 2 x 7/8 of it sent by each GPU: 4.59 MB a token.
    expect(allReduceMsPerToken(llama, a100, 8)).toBeCloseTo(4.59e6 / 300e6, 3);
    expect(allReduceMsPerToken(llama, a100, 1)).toBe(0);
    const k = FITTED_COEFFICIENTS['llama-2-70b/a100-80gb/tp8']!;
    const flopsOnly = transferCoefficients(k, a100, h100);
    const withLink = transferCoefficients(k, a100, h100, { model: llama, tensorParallel: 8 });
    const link = allReduceMsPerToken(llama, a100, 8);
    const flops = (a100.bf16Tflops * a100.mfuPrefill) / (h100.bf16Tflops * h100.mfuPrefill);
    expect(flopsOnly.b).toBeCloseTo(k.b * flops, 12);
    expect(withLink.b).toBeCloseTo((k.b - link) * flops + allReduceMsPerToken(llama, h100, 8), 12);
    expect({ ...withLink, b: 0 }).toEqual({ ...flopsOnly, b: 0 });
  });

  it('carries prefill as an efficiency relative to the roofline (for each iteration shape), closer than any scaling of the coefficients: A100 to H100 TP 8 prefill median 16.3% by FLOP/s, 12.1% with the link share, 6.2% through the roofline', () => {
    const llama = MODELS['llama-2-70b']!;
    const a100 = GPUS['a100-80gb']!;
    const h100 = GPUS['h100-80gb']!;
    const k = FITTED_COEFFICIENTS['llama-2-70b/a100-80gb/tp8']!;
    const prefill = observations(ROWS, 'llama2-70b', 'h100-80gb', 8).filter((o) => o.kind === 'prefill');
    const medianError = (model: { iterationMs(w: IterationWork): number }) =>
      medianAbs(prefill.map((o) => model.iterationMs(o.work) / o.measuredMs - 1));
    const byFlops = medianError(fittedModel(transferCoefficients(k, a100, h100)));
    const withLink = medianError(
      fittedModel(transferCoefficients(k, a100, h100, { model: llama, tensorParallel: 8 })),
    );
    const [tp8] = calibrate(ROWS, 'llama2-70b', 'h100-80gb', [8], { fitOn: 'a100-80gb' });
    const throughRoofline = medianAbs(errors([tp8!], 'prefill', 'fitted'));
    console.log(
      `A100 to H100, TP 8 prefill median: ${pct(byFlops)} coefficients by FLOP/s, ${pct(withLink)} with the all-reduce share on the link, ${pct(throughRoofline)} through the roofline`,
    );
    expect(byFlops).toBeGreaterThan(0.15);
    expect(withLink).toBeLessThan(byFlops);
    expect(withLink).toBeLessThanOrEqual(0.15);
    expect(throughRoofline).toBeLessThan(withLink);
    expect(throughRoofline).toBeLessThanOrEqual(0.07);
    // A pure decode step uses the carried coefficients, as transferCoefficients gives them.
    const decode = decodeWork(16, 512, 128);
    expect(
      tp8!.rows.find((r) => r.kind === 'decode' && r.point === 'batch 16 prompt 512 out 128')!.fittedMs,
    ).toBeCloseTo(fittedModel(tp8!.coefficients).iterationMs(decode), 9);
    expect(tp8!.coefficients).toEqual(
      transferCoefficients(k, a100, h100, { model: llama, tensorParallel: 8 }),
    );
    expect(tp8!.prefillCarried).toBe('roofline');
    // A model with no profile has no roofline: its prefill is carried by the coefficients.
    const [bloom] = calibrate(ROWS, 'bloom-176b', 'h100-80gb', [8], { fitOn: 'a100-80gb' });
    expect(bloom!.prefillCarried).toBe('coefficients');
    const bloomRow = bloom!.rows.find((r) => r.kind === 'prefill')!;
    const bloomWork = observations(ROWS, 'bloom-176b', 'h100-80gb', 8).find(
      (o) => o.line === bloomRow.line,
    )!.work;
    expect(bloomRow.fittedMs).toBeCloseTo(fittedModel(bloom!.coefficients).iterationMs(bloomWork), 9);
  });
});

describe('the roofline on every Llama-2-70B row', () => {
  it('follows TP 8 prefill once each token also crosses the interconnect: median error from 20.5% (A100) and 21.3% (H100) to within 12%', () => {
    const withLink = HARDWARE.flatMap((hw) => calibrate(ROWS, 'llama2-70b', hw, [8]));
    console.table(table(withLink, 'roofline'));
    const without = (hw: (typeof HARDWARE)[number]) => {
      const model = rooflineModel(MODELS['llama-2-70b']!, { ...GPUS[hw]!, interconnectGBps: undefined }, 8);
      return observations(ROWS, 'llama2-70b', hw, 8)
        .filter((o) => o.kind === 'prefill')
        .map((o) => model.iterationMs(o.work) / o.measuredMs - 1);
    };
    for (const [i, hw] of HARDWARE.entries()) {
      const linked = medianAbs(errors([withLink[i]!], 'prefill', 'roofline'));
      console.log(
        `${hw} TP 8 prefill roofline median: ${pct(medianAbs(without(hw)))} without the link term, ${pct(linked)} with`,
      );
      expect(medianAbs(without(hw))).toBeGreaterThan(0.2);
      expect(linked).toBeLessThanOrEqual(0.12);
    }
  });
});

describe('a model never fitted, described by its architecture alone (BLOOM-176B at TP 8)', () => {
  const groups = HARDWARE.flatMap((hw) => calibrate(ROWS, 'bloom-176b', hw, [8], { modelProfile: BLOOM }));

  it('is within 15% median on the roofline, prefill and decode, on both GPUs', () => {
    console.table(table(groups, 'roofline'));
    for (const g of groups) {
      expect(medianAbs(errors([g], 'prefill', 'roofline')), `${g.key} prefill`).toBeLessThanOrEqual(0.15);
      expect(medianAbs(errors([g], 'decode', 'roofline')), `${g.key} decode`).toBeLessThanOrEqual(0.15);
    }
  });

  it("takes the A100's prefill efficiency (0.55 of peak) from Llama-2-70B rows only: it is the best of 0.30 to 0.80 there", () => {
    const llama = ROWS.filter(
      (r) => r.model === 'llama2-70b' && r.hardware === 'a100-80gb' && r.batchSize * r.promptSize < 32768,
    );
    const score = (mfu: number) =>
      medianAbs(
        llama.map((r) => {
          const m = rooflineModel(
            MODELS['llama-2-70b']!,
            { ...GPUS['a100-80gb']!, mfuPrefill: mfu },
            r.tensorParallel,
          );
          return m.iterationMs(prefillWork(r.batchSize, r.promptSize)) / r.promptMs - 1;
        }),
      );
    const grid = Array.from({ length: 11 }, (_, i) => Math.round((0.3 + 0.05 * i) * 100) / 100);
    const best = grid.reduce((b, x) => (score(x) < score(b) ? x : b));
    expect(best).toBe(GPUS['a100-80gb']!.mfuPrefill);
  });
});

describe("decode at large batches: the measuring engine's cost per sequence", () => {
  const batch64 = (groups: readonly CalibrationGroup[]) =>
    median(
      groups.flatMap((g) =>
        g.rows
          .filter((r) => r.kind === 'decode' && !r.excluded && r.point.startsWith('batch 64 '))
          .map((r) => r.rooflineError!),
      ),
    );

  it('grows by 0.23-0.31 ms per sequence beyond the roofline on Llama-2-70B (median over TPs and batches; vLLM V1 costs BLIS 0.004)', () => {
    const a100 = engineSeqOverheadMs(ROWS, 'llama2-70b', 'a100-80gb')!;
    const h100 = engineSeqOverheadMs(ROWS, 'llama2-70b', 'h100-80gb')!;
    console.log(`engine cost per decoding sequence: A100 ${a100.toFixed(3)} ms, H100 ${h100.toFixed(3)} ms`);
    expect(a100).toBeGreaterThan(0.2);
    expect(a100).toBeLessThan(0.35);
    expect(h100).toBeGreaterThan(0.2);
    expect(h100).toBeLessThan(0.35);
    // By TP alone (printed; noisy): a term that followed the GPUs' bandwidth or FLOP/s would be 4x
    // smaller at TP 8 than at TP 2.
    for (const hw of HARDWARE) {
      const byTp = TPS.map(
        (tp) =>
          engineSeqOverheadMs(
            ROWS.filter((r) => r.tensorParallel === tp),
            'llama2-70b',
            hw,
          )!,
      );
      console.log(`${hw} by TP 2 / 4 / 8: ${byTp.map((x) => x.toFixed(3)).join(' / ')} ms`);
      for (const x of byTp) expect(x).toBeGreaterThan(0.1);
    }
    expect(engineSeqOverheadMs(ROWS, 'bloom-176b', 'a100-80gb')).toBeUndefined(); // no catalog profile
  });

  it("brings BLOOM-176B's roofline decode at batch 64 within 15% (from -23% and -27%) with that cost read off Llama-2-70B's rows, and keeps both phases' median within 15%", () => {
    for (const hw of HARDWARE) {
      const plain = calibrate(ROWS, 'bloom-176b', hw, [8], { modelProfile: BLOOM });
      const engine = calibrate(ROWS, 'bloom-176b', hw, [8], {
        modelProfile: BLOOM,
        engineFrom: 'llama2-70b',
      });
      const before = batch64(plain);
      const after = batch64(engine);
      console.log(
        `BLOOM-176B ${hw} TP 8 roofline decode, batch 64 median: ${pct(before)} -> ${pct(after)}; every decode row median ${pct(medianAbs(errors(plain, 'decode', 'roofline')))} -> ${pct(medianAbs(errors(engine, 'decode', 'roofline')))}, worst ${pct(worstAbs(errors(plain, 'decode', 'roofline')))} -> ${pct(worstAbs(errors(engine, 'decode', 'roofline')))}`,
      );
      expect(before).toBeLessThan(-0.2);
      expect(Math.abs(after)).toBeLessThanOrEqual(0.15);
      expect(engine[0]!.engineSeqOverhead!.from).toBe('llama2-70b');
      expect(medianAbs(errors(engine, 'decode', 'roofline'))).toBeLessThanOrEqual(0.15);
      expect(medianAbs(errors(engine, 'prefill', 'roofline'))).toBeLessThanOrEqual(0.15);
      // The fitted columns do not depend on it.
      expect(engine[0]!.rows.map((r) => r.fittedMs)).toEqual(plain[0]!.rows.map((r) => r.fittedMs));
    }
  });
});

describe('prefill beyond 2048 tokens per iteration (efficiency that varies with tokens per iteration)', () => {
  /** Per setting beyond 2048 tokens: what the roofline misses per token past 2048, ms. */
  function excess(model: string, profile: ModelProfile, unit: 'link' | 'flops') {
    return HARDWARE.flatMap((hw) => {
      const gpu = GPUS[hw]!;
      const tp = 8;
      const roofline = rooflineModel(profile, gpu, tp);
      const per =
        unit === 'link'
          ? allReduceMsPerToken(profile, gpu, tp)
          : (2000 * profile.activeParamsB * 1e9) / (gpu.bf16Tflops * 1e12 * tp * gpu.mfuPrefill);
      const rows = ROWS.filter((r) => r.model === model && r.hardware === hw && r.tensorParallel === tp);
      const settings = [...new Set(rows.map((r) => `${r.batchSize}x${r.promptSize}`))];
      return settings.flatMap((k) => {
        const [b, p] = k.split('x').map(Number) as [number, number];
        if (b * p <= 2048) return [];
        const measured = median(
          rows.filter((r) => r.batchSize === b && r.promptSize === p).map((r) => r.promptMs),
        );
        return [(measured - roofline.iterationMs(prefillWork(b, p))) / (b * p - 2048) / per];
      });
    });
  }

  it("follows the model's all-reduce bytes per token better than its FLOPs per token at TP 8 (Llama-2-70B against BLOOM-176B)", () => {
    const llamaLink = median(excess('llama2-70b', MODELS['llama-2-70b']!, 'link'));
    const bloomLink = median(excess('bloom-176b', BLOOM, 'link'));
    const llamaFlops = median(excess('llama2-70b', MODELS['llama-2-70b']!, 'flops'));
    const bloomFlops = median(excess('bloom-176b', BLOOM, 'flops'));
    console.log(
      `a prefill token beyond 2048 at TP 8 costs, beyond the roofline: Llama-2-70B ${llamaLink.toFixed(1)}x its all-reduce time or ${llamaFlops.toFixed(2)}x its FLOP time; BLOOM-176B ${bloomLink.toFixed(1)}x or ${bloomFlops.toFixed(2)}x (medians over settings, both GPUs)`,
    );
    expect(llamaLink).toBeGreaterThan(0);
    expect(bloomLink).toBeGreaterThan(0);
    const spread = (x: number, y: number) => Math.max(x, y) / Math.min(x, y);
    expect(spread(llamaLink, bloomLink)).toBeLessThan(spread(llamaFlops, bloomFlops));
  });
});

describe('fits the data cannot support', () => {
  const batchOne = (rows: readonly Measurement[]) =>
    observations(
      rows.filter((r) => r.batchSize === 1),
      'llama2-70b',
      'h100-80gb',
      4,
    );

  it('refuses a fit on batch-1 rows alone: the cost per sequence cannot be told from the cost per iteration', () => {
    expect(() => fitTimingModel(batchOne(ROWS), 'batch-1 rows')).toThrow(FloodgateError);
    expect(() => fitTimingModel(batchOne(ROWS), 'batch-1 rows')).toThrow(
      /batch-1 rows: every decode measurement has batch size 1, so the cost per sequence cannot be told from the cost per iteration; add measurements at two batch sizes or more/,
    );
  });

  it('warns when a setting cannot be brought within 15% of the median of its repeats, and keeps the least-error fit', () => {
    const obs = observations(ROWS, 'llama2-70b', 'h100-80gb', 4);
    const plain = fitTimingModel(obs, 'as measured');
    expect(plain.warnings).toEqual([]);
    // The same work measured twice as long under another name: no fit puts both within 15%.
    const twin: Observation[] = obs
      .filter((o) => o.kind === 'prefill' && o.label === 'batch 1 prompt 2048')
      .map((o) => ({ ...o, label: 'the same, slower', measuredMs: 2 * o.measuredMs }));
    const fit = fitTimingModel([...obs, ...twin], 'with a twin');
    expect(fit.warnings).toHaveLength(1);
    expect(fit.warnings[0]).toMatch(
      /^with a twin: prefill of the same, slower stays -[\d.]+% off the median of its repeats \(no fit of this form brings it within 15%\)$/,
    );
    // The fit kept is the least-error one: the real rows of that setting stay close.
    const real = obs.filter((o) => o.kind === 'prefill' && o.label === 'batch 1 prompt 2048');
    const predicted = fittedModel(fit.coefficients).iterationMs(real[0]!.work);
    expect(Math.abs(predicted / median(real.map((o) => o.measuredMs)) - 1)).toBeLessThanOrEqual(0.15);
  });

  it('warns when no prefill holds several prompts, and prices a batch by its tokens alone', () => {
    const obs = observations(ROWS, 'llama2-70b', 'h100-80gb', 4).filter(
      (o) => o.kind === 'decode' || o.work.prefillSeqs === 1,
    );
    const fit = fitTimingModel(obs, 'single prompts');
    expect(fit.warnings).toEqual([
      'single prompts: no prefill of several prompts together: a batch of prompts is priced by its total tokens alone (s = 0)',
    ]);
    expect(fit.coefficients.s).toBeUndefined();
    // Decode terms are still pinned down by the batched decode rows.
    expect(fittedModel(fit.coefficients).iterationMs(decodeWork(64, 512, 128))).toBeGreaterThan(40);
  });
});
