/**
 * Fits the coefficients of the fitted iteration-time model to measurements (a CSV shaped like
 * splitwise-sim's perf_model.csv: model, hardware, tensor_parallel, prompt_size, batch_size,
 * token_size, prompt_time, token_time in ms). Least squares on relative error, so a 50 ms decode
 * step weighs as much as a 3 s prefill; coefficients are kept non-negative (a negative cost per
 * token has no physical meaning) by dropping a term that fits negative and fitting again.
 */
import type { FittedCoefficients, IterationWork } from './time-model.ts';

export interface Measurement {
  model: string;
  hardware: string;
  tensorParallel: number;
  promptSize: number;
  batchSize: number;
  tokenSize: number;
  promptMs: number;
  tokenMs: number;
}

/** One observation for the fit: the work of an iteration and its measured time. */
export interface Observation {
  kind: 'prefill' | 'decode';
  label: string;
  work: IterationWork;
  measuredMs: number;
}

export function parseMeasurements(csv: string): Measurement[] {
  const lines = csv.trim().split(/\r?\n/);
  const header = lines[0]!.split(',');
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`measurement CSV: missing column ${name}`);
    return i;
  };
  const c = {
    model: col('model'),
    hardware: col('hardware'),
    tp: col('tensor_parallel'),
    prompt: col('prompt_size'),
    batch: col('batch_size'),
    tokens: col('token_size'),
    promptTime: col('prompt_time'),
    tokenTime: col('token_time'),
  };
  return lines.slice(1).map((line) => {
    const f = line.split(',');
    return {
      model: f[c.model]!,
      hardware: f[c.hardware]!,
      tensorParallel: Number(f[c.tp]),
      promptSize: Number(f[c.prompt]),
      batchSize: Number(f[c.batch]),
      tokenSize: Number(f[c.tokens]),
      promptMs: Number(f[c.promptTime]),
      tokenMs: Number(f[c.tokenTime]),
    };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Observations for one (model, hardware, TP): the median prompt time of each prompt size at
 * batch 1 (one prefill iteration), and the median per-token time of each (batch, prompt, output)
 * setting (a decode iteration over `batch` sequences at mean context prompt + output / 2).
 */
export function observations(
  rows: readonly Measurement[],
  model: string,
  hardware: string,
  tensorParallel: number,
): Observation[] {
  const mine = rows.filter(
    (r) => r.model === model && r.hardware === hardware && r.tensorParallel === tensorParallel,
  );
  const groups = new Map<string, Measurement[]>();
  for (const r of mine) {
    const key = `${r.promptSize}/${r.batchSize}/${r.tokenSize}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: Observation[] = [];
  const prefillSeen = new Set<number>();
  for (const rs of groups.values()) {
    const r = rs[0]!;
    if (r.batchSize === 1 && !prefillSeen.has(r.promptSize)) {
      prefillSeen.add(r.promptSize);
      const sameSize = mine.filter((x) => x.batchSize === 1 && x.promptSize === r.promptSize);
      out.push({
        kind: 'prefill',
        label: `prompt ${r.promptSize}`,
        work: {
          prefillTokens: r.promptSize,
          prefillAttention: (r.promptSize * r.promptSize) / 2,
          decodeSeqs: 0,
          decodeContext: 0,
        },
        measuredMs: median(sameSize.map((x) => x.promptMs)),
      });
    }
    out.push({
      kind: 'decode',
      label: `decode batch ${r.batchSize} prompt ${r.promptSize} out ${r.tokenSize}`,
      work: {
        prefillTokens: 0,
        prefillAttention: 0,
        decodeSeqs: r.batchSize,
        decodeContext: r.batchSize * (r.promptSize + r.tokenSize / 2),
      },
      measuredMs: median(rs.map((x) => x.tokenMs)),
    });
  }
  return out;
}

/**
 * Features of an observation for the linear least squares, given which prefill observations sit
 * on the floor (their prefill part is f, not b x tokens + e x attention).
 */
function features(o: Observation, onFloor: boolean): number[] {
  const w = o.work;
  if (w.prefillTokens === 0) return [1, 0, w.decodeSeqs, w.decodeContext, 0, 0, 0];
  return onFloor
    ? [1, 0, w.decodeSeqs, w.decodeContext, 0, 1, 0]
    : [1, w.prefillTokens, w.decodeSeqs, w.decodeContext, w.prefillAttention, 0, 1];
}

/**
 * Non-negative least squares on relative error. The max() in the model is handled by trying each
 * split of the prefill observations into "on the floor" (the shortest prompts) and "linear", and
 * keeping the split with the least squared relative error (prefill and decode groups weighted
 * equally).
 */
export function fitCoefficients(obs: readonly Observation[]): FittedCoefficients {
  const sizes = [...new Set(obs.filter((o) => o.kind === 'prefill').map((o) => o.work.prefillTokens))].sort(
    (a, b) => a - b,
  );
  let best: { k: FittedCoefficients; score: number } | undefined;
  for (const threshold of [0, ...sizes.slice(0, -2)]) {
    const k = fitWithFloor(obs, threshold);
    const model = (o: Observation) => {
      const w = o.work;
      const prefill =
        w.prefillTokens > 0 ? Math.max(k.f, k.g + k.b * w.prefillTokens + k.e * w.prefillAttention) : 0;
      return k.a + prefill + k.c * w.decodeSeqs + k.d * w.decodeContext;
    };
    // Prefill and decode observations weigh equally as groups (decode settings outnumber prompt sizes).
    const share = (kind: Observation['kind']) => 1 / Math.max(1, obs.filter((o) => o.kind === kind).length);
    const score = obs.reduce(
      (acc, o) => acc + share(o.kind) * ((model(o) - o.measuredMs) / o.measuredMs) ** 2,
      0,
    );
    if (!best || score < best.score) best = { k, score };
  }
  return best!.k;
}

function fitWithFloor(obs: readonly Observation[], floorUpTo: number): FittedCoefficients {
  // Every coefficient but g (the linear prefill part's intercept) must be >= 0.
  const G = 6;
  let active = [0, 1, 2, 3, 4, 5, G];
  for (;;) {
    const x = solveWeighted(obs, active, floorUpTo);
    const negative = active.filter((f, j) => f !== G && x[j]! < 0);
    if (negative.length === 0) {
      const k = [0, 0, 0, 0, 0, 0, 0];
      active.forEach((f, j) => {
        k[f] = x[j]!;
      });
      return { a: k[0]!, b: k[1]!, c: k[2]!, d: k[3]!, e: k[4]!, f: k[5]!, g: k[6]! };
    }
    // Drop the most negative constrained term and refit.
    let worst = -1;
    active.forEach((f, j) => {
      if (f !== G && (worst < 0 || x[j]! < x[worst]!)) worst = j;
    });
    active = active.filter((_, j) => j !== worst);
  }
}

function solveWeighted(obs: readonly Observation[], active: readonly number[], floorUpTo: number): number[] {
  const n = active.length;
  const ata = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const atb = new Array<number>(n).fill(0);
  for (const o of obs) {
    const w = 1 / o.measuredMs; // relative error
    const all = features(o, o.work.prefillTokens > 0 && o.work.prefillTokens <= floorUpTo);
    const row = active.map((f) => all[f]! * w);
    for (let i = 0; i < n; i++) {
      atb[i]! += row[i]! * o.measuredMs * w;
      for (let j = 0; j < n; j++) ata[i]![j]! += row[i]! * row[j]!;
    }
  }
  return gaussianSolve(ata, atb);
}
/** Solves A x = b (A small and symmetric positive definite) by Gaussian elimination with pivoting. */
function gaussianSolve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-300) continue;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / p;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => (Math.abs(row[i]!) < 1e-300 ? 0 : row[n]! / row[i]!));
}
