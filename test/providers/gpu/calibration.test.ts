/**
 * The shipped fitted timing model against the measurements it was fitted to
 * (data/splitwise-perf-model.csv: Llama-2-70B on A100-80GB and H100-80GB at tensor parallelism
 * 2, 4 and 8). The measured medians are recomputed here from the raw rows, independently of
 * fit.ts's grouping, and the shipped coefficients (what scenarios use) are evaluated on the
 * iteration each point stands for: one prefill of the whole prompt at batch 1, and one decode
 * step of `batch` sequences at the mean context of a 512-token prompt and 128 output tokens.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CALIBRATED, calibrate } from '../../../src/providers/gpu/calibration.ts';
import { type Measurement, parseMeasurements } from '../../../src/providers/gpu/fit.ts';
import { FITTED_COEFFICIENTS } from '../../../src/providers/gpu/setup.ts';
import { fittedModel } from '../../../src/providers/gpu/time-model.ts';

const CSV = readFileSync(new URL('../../../data/splitwise-perf-model.csv', import.meta.url), 'utf8');
const ROWS = parseMeasurements(CSV);
const TOLERANCE = 0.15;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function groupRows(hardware: string, tp: number): Measurement[] {
  return ROWS.filter((r) => r.model === 'llama2-70b' && r.hardware === hardware && r.tensorParallel === tp);
}

/** Every (hardware, TP) the CSV has for Llama-2-70B on the two calibrated GPUs. */
const GROUPS = ['a100-80gb', 'h100-80gb'].flatMap((hardware) =>
  [
    ...new Set(
      ROWS.filter((r) => r.model === 'llama2-70b' && r.hardware === hardware).map((r) => r.tensorParallel),
    ),
  ]
    .sort((a, b) => a - b)
    .map((tp) => ({ hardware, tp })),
);

describe('the measurement file', () => {
  it('holds Llama-2-70B on H100 and A100 at tensor parallelism 2, 4 and 8 with every prompt size from 128 to 8192', () => {
    expect(GROUPS).toEqual([
      { hardware: 'a100-80gb', tp: 2 },
      { hardware: 'a100-80gb', tp: 4 },
      { hardware: 'a100-80gb', tp: 8 },
      { hardware: 'h100-80gb', tp: 2 },
      { hardware: 'h100-80gb', tp: 4 },
      { hardware: 'h100-80gb', tp: 8 },
    ]);
    for (const { hardware, tp } of GROUPS) {
      const prompts = [
        ...new Set(
          groupRows(hardware, tp)
            .filter((r) => r.batchSize === 1)
            .map((r) => r.promptSize),
        ),
      ];
      expect(prompts.sort((a, b) => a - b)).toEqual([128, 256, 512, 1024, 2048, 4096, 8192]);
    }
  });
});

describe.each(GROUPS)('the shipped fit of llama-2-70b on $hardware at TP $tp', ({ hardware, tp }) => {
  const key = `llama-2-70b/${hardware}/tp${tp}`;
  const shipped = FITTED_COEFFICIENTS[key];
  const rows = groupRows(hardware, tp);

  it('exists under its catalog key', () => {
    expect(shipped).toBeDefined();
  });

  const model = fittedModel(shipped!);
  const prompts = [...new Set(rows.filter((r) => r.batchSize === 1).map((r) => r.promptSize))].sort(
    (a, b) => a - b,
  );

  it.each(prompts)(
    'predicts the batch-1 prompt time of a %i-token prompt within 15% of the measured median',
    (p) => {
      const measured = median(
        rows.filter((r) => r.batchSize === 1 && r.promptSize === p).map((r) => r.promptMs),
      );
      const predicted = model.iterationMs({
        prefillTokens: p,
        prefillAttention: (p * p) / 2,
        decodeSeqs: 0,
        decodeContext: 0,
      });
      expect(Math.abs(predicted - measured) / measured).toBeLessThanOrEqual(TOLERANCE);
    },
  );

  it.each([1, 16, 64])(
    'predicts the decode time per token at batch %i (prompt 512, 128 output tokens) within 15% of the measured median',
    (batch) => {
      const measured = median(
        rows
          .filter((r) => r.batchSize === batch && r.promptSize === 512 && r.tokenSize === 128)
          .map((r) => r.tokenMs),
      );
      const predicted = model.iterationMs({
        prefillTokens: 0,
        prefillAttention: 0,
        decodeSeqs: batch,
        decodeContext: batch * (512 + 128 / 2),
      });
      expect(Math.abs(predicted - measured) / measured).toBeLessThanOrEqual(TOLERANCE);
    },
  );

  it('is what calibrate() reports: the same measured medians, and every point within 15% of them', () => {
    const [group] = calibrate(ROWS, 'llama2-70b', hardware, [tp]);
    expect(group!.key).toBe(key);
    const expected = [
      ...prompts.map((p) => ({
        point: `prompt ${p}`,
        measuredMs: median(
          rows.filter((r) => r.batchSize === 1 && r.promptSize === p).map((r) => r.promptMs),
        ),
      })),
      ...[1, 16, 64].map((b) => ({
        point: `decode batch ${b}`,
        measuredMs: median(
          rows
            .filter((r) => r.batchSize === b && r.promptSize === 512 && r.tokenSize === 128)
            .map((r) => r.tokenMs),
        ),
      })),
    ];
    const byPoint = (x: { point: string }, y: { point: string }) => x.point.localeCompare(y.point);
    expect(group!.rows.map((r) => ({ point: r.point, measuredMs: r.measuredMs })).sort(byPoint)).toEqual(
      expected.sort(byPoint),
    );
    for (const r of group!.rows) {
      expect(Math.abs(r.fittedError), `${key} ${r.point}`).toBeLessThanOrEqual(TOLERANCE);
    }
  });
});

describe('fitted-coefficients.json', () => {
  it('equals a fresh fit of the measurement file, group for group (npm run calibrate -- --write reproduces it)', () => {
    const fresh = Object.fromEntries(
      CALIBRATED.flatMap((c) => calibrate(ROWS, c.model, c.hardware, c.tensorParallels)).map((g) => [
        g.key,
        g.coefficients,
      ]),
    );
    expect(FITTED_COEFFICIENTS).toEqual(fresh);
    expect(Object.keys(fresh).sort()).toEqual(
      GROUPS.map(({ hardware, tp }) => `llama-2-70b/${hardware}/tp${tp}`).sort(),
    );
  });

  it('keeps every coefficient but the compute-bound intercept g non-negative', () => {
    for (const [key, k] of Object.entries(FITTED_COEFFICIENTS)) {
      for (const name of ['a', 'b', 'c', 'd', 'e', 'f'] as const) {
        expect(k[name], `${key}.${name}`).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
