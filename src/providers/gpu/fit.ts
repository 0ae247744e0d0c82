/**
 * Fits the coefficients of the fitted iteration-time model to measurements: a CSV shaped like
 * splitwise-sim's perf_model.csv (model, hardware, tensor_parallel, prompt_size, batch_size,
 * token_size, prompt_time and token_time in ms; common other spellings accepted, see COLUMNS).
 *
 * Every row counts twice: its prompt time is one prefill iteration of `batch` prompts of
 * `prompt` tokens (total tokens batch x prompt, attention batch x prompt^2 / 2), its token time
 * one decode step of `batch` sequences at the mean context prompt + output / 2. Least squares on
 * relative error, so a 50 ms decode step weighs as much as a 3 s prefill; coefficients are kept
 * non-negative (a negative cost per token has no physical meaning) by dropping a term that fits
 * negative and fitting again. Decode (a, c, d) is fitted first; prefill (f, g, b, e, s, h) then
 * fits what the decode base a leaves, trying each split of the prompts into "on the floor" (the
 * smallest batches) and "linear", and each knee, keeping the least relative error. A setting
 * (the repeats of one batch and prompt size) whose median that leaves more than SETTING_CAP off
 * weighs double in the next round, until every setting is within it (or the fit warns).
 */
import { FloodgateError } from '../../errors.ts';
import { type FittedCoefficients, fittedPrefillMs, type IterationWork } from './time-model.ts';

export interface Measurement {
  model: string;
  hardware: string;
  tensorParallel: number;
  promptSize: number;
  batchSize: number;
  tokenSize: number;
  promptMs: number;
  tokenMs: number;
  /** Line in the CSV (1 = header). */
  line: number;
}

/** One observation for the fit: the work of an iteration and its measured time. */
export interface Observation {
  kind: 'prefill' | 'decode';
  label: string;
  work: IterationWork;
  measuredMs: number;
  line: number;
  /** Why the fit leaves this observation out (it is still reported), if it does. */
  excluded?: string;
}

/**
 * Accepted spellings of each column, compared after lower-casing and dropping everything but
 * letters and digits, and a leading or trailing median/mean/p50 (a file of medians per setting
 * reads like one of raw rows).
 */
const COLUMNS: Record<keyof Omit<Measurement, 'line'>, readonly string[]> = {
  model: ['model', 'modelname', 'llm'],
  hardware: ['hardware', 'gpu', 'hardwarename', 'gpuname', 'device', 'accelerator'],
  tensorParallel: ['tensorparallel', 'tp', 'tpsize', 'tensorparallelsize', 'tensorparallelism'],
  promptSize: [
    'promptsize',
    'prompttokens',
    'prompt',
    'promptlen',
    'promptlength',
    'inputtokens',
    'inputlen',
    'inputlength',
    'inputsize',
    'contexttokens',
    'isl',
  ],
  batchSize: ['batchsize', 'batch', 'bs', 'numprompts', 'concurrency'],
  tokenSize: [
    'tokensize',
    'outputtokens',
    'outputlen',
    'outputlength',
    'outputsize',
    'generatedtokens',
    'newtokens',
    'osl',
  ],
  promptMs: [
    'prompttime',
    'prompttimems',
    'prefilltime',
    'prefilltimems',
    'prefillms',
    'promptms',
    'ttft',
    'ttftms',
  ],
  tokenMs: [
    'tokentime',
    'tokentimems',
    'decodetime',
    'decodetimems',
    'decodems',
    'tokenms',
    'tpot',
    'tpotms',
    'itl',
    'itlms',
    'tbt',
    'tbtms',
  ],
};

function normalizeColumn(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .replace(/^(median|mean|p50|avg)/, '')
    .replace(/(median|mean|p50|avg)$/, '');
}

/** Parses measurements; throws FG_TRACE_INVALID naming the line and column of the first bad field. */
export function parseMeasurements(csv: string): Measurement[] {
  const lines = csv
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r?\n/);
  const names = (lines[0] ?? '').split(',').map((h) => h.trim());
  const header = names.map(normalizeColumn);
  const index = {} as Record<keyof typeof COLUMNS, number>;
  const missing: string[] = [];
  for (const [field, names] of Object.entries(COLUMNS) as [keyof typeof COLUMNS, readonly string[]][]) {
    const i = header.findIndex((h) => names.includes(h));
    if (i < 0) missing.push(`${names[0]} (or ${names.slice(1, 4).join(', ')}, ...)`);
    index[field] = i;
  }
  if (missing.length > 0) {
    throw new FloodgateError(
      'FG_TRACE_INVALID',
      `measurement CSV: missing column${missing.length > 1 ? 's' : ''} ${missing.join('; ')} in the header (line 1)`,
    );
  }
  const out: Measurement[] = [];
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const f = line.split(',').map((x) => x.trim());
    const num = (field: keyof typeof COLUMNS, positive: boolean, integer: boolean) => {
      const raw = f[index[field]] ?? '';
      const v = Number(raw);
      if (
        raw === '' ||
        !Number.isFinite(v) ||
        v < 0 ||
        (positive && v === 0) ||
        (integer && !Number.isInteger(v))
      ) {
        throw new FloodgateError(
          'FG_TRACE_INVALID',
          `measurement CSV line ${n + 1}: column ${names[index[field]]!.slice(0, 40)} expected a ${positive ? 'positive' : 'non-negative'} ${integer ? 'whole number' : 'number'}, got '${raw.slice(0, 40)}'`,
        );
      }
      return v;
    };
    out.push({
      model: f[index.model] ?? '',
      hardware: f[index.hardware] ?? '',
      tensorParallel: num('tensorParallel', true, true),
      promptSize: num('promptSize', true, true),
      batchSize: num('batchSize', true, true),
      tokenSize: num('tokenSize', false, true),
      promptMs: num('promptMs', true, false),
      tokenMs: num('tokenMs', true, false),
      line: n + 1,
    });
  }
  if (out.length === 0)
    throw new FloodgateError('FG_TRACE_INVALID', 'measurement CSV: no rows after the header');
  return out;
}

/** The work of one prefill iteration of `batch` prompts of `prompt` tokens. */
export function prefillWork(batch: number, prompt: number): IterationWork {
  return {
    prefillTokens: batch * prompt,
    prefillAttention: (batch * prompt * prompt) / 2,
    prefillSeqs: batch,
    decodeSeqs: 0,
    decodeContext: 0,
  };
}

/** The work of one decode step of `batch` sequences at context prompt + output / 2. */
export function decodeWork(batch: number, prompt: number, output: number): IterationWork {
  return {
    prefillTokens: 0,
    prefillAttention: 0,
    prefillSeqs: 0,
    decodeSeqs: batch,
    decodeContext: batch * (prompt + output / 2),
  };
}

/** Every row of one (model, hardware, TP) as a prefill and a decode observation, in file order. */
export function observations(
  rows: readonly Measurement[],
  model: string,
  hardware: string,
  tensorParallel: number,
): Observation[] {
  const out: Observation[] = [];
  for (const r of rows) {
    if (r.model !== model || r.hardware !== hardware || r.tensorParallel !== tensorParallel) continue;
    const setting = `batch ${r.batchSize} prompt ${r.promptSize}`;
    out.push({
      kind: 'prefill',
      label: setting,
      work: prefillWork(r.batchSize, r.promptSize),
      measuredMs: r.promptMs,
      line: r.line,
    });
    out.push({
      kind: 'decode',
      label: `${setting} out ${r.tokenSize}`,
      work: decodeWork(r.batchSize, r.promptSize, r.tokenSize),
      measuredMs: r.tokenMs,
      line: r.line,
    });
  }
  return out;
}

export interface Fit {
  coefficients: FittedCoefficients;
  /** What the data could not pin down, and what the fit did about it. */
  warnings: string[];
}

const distinct = (xs: readonly number[]) => new Set(xs).size;

/**
 * Fits the model to the observations not excluded. Throws FG_TRACE_INVALID when the data cannot
 * tell the terms apart (e.g. every decode measurement at batch size 1: the per-sequence cost and
 * the per-iteration cost are then the same number, and any split of it is made up).
 */
export function fitTimingModel(all: readonly Observation[], what = 'measurements'): Fit {
  const obs = all.filter((o) => !o.excluded);
  const decode = obs.filter((o) => o.kind === 'decode');
  const prefill = obs.filter((o) => o.kind === 'prefill');
  const warnings: string[] = [];
  if (decode.length === 0 || prefill.length === 0) {
    throw new FloodgateError(
      'FG_TRACE_INVALID',
      `${what}: need both prompt (prefill) and per-token (decode) times to fit, got ${prefill.length} and ${decode.length}`,
    );
  }
  if (distinct(decode.map((o) => o.work.decodeSeqs)) < 2) {
    throw new FloodgateError(
      'FG_TRACE_INVALID',
      `${what}: every decode measurement has batch size ${decode[0]!.work.decodeSeqs}, so the cost per sequence cannot be told from the cost per iteration; add measurements at two batch sizes or more`,
    );
  }
  if (distinct(prefill.map((o) => o.work.prefillTokens)) < 2) {
    throw new FloodgateError(
      'FG_TRACE_INVALID',
      `${what}: every prefill measurement has ${prefill[0]!.work.prefillTokens} tokens, so the cost per token cannot be fitted; add measurements at two prompt sizes or more`,
    );
  }
  // Decode: a + c x seqs + d x context.
  const decodeFeatures = (w: IterationWork) => [1, w.decodeSeqs, w.decodeContext];
  const contexts = distinct(decode.map((o) => o.work.decodeContext / o.work.decodeSeqs));
  if (contexts < 2)
    warnings.push(`${what}: one decode context length only: no cost per context token fitted (d = 0)`);
  const [a, c, d] = robustFit(
    decode.map((o) => ({ x: decodeFeatures(o.work), y: o.measuredMs, weight: 1 / o.measuredMs })),
    contexts < 2 ? [0, 1] : [0, 1, 2],
    3,
    [],
  );

  const multiPrompt = distinct(prefill.map((o) => o.work.prefillSeqs ?? 1)) >= 2;
  if (!multiPrompt) {
    warnings.push(
      `${what}: no prefill of several prompts together: a batch of prompts is priced by its total tokens alone (s = 0)`,
    );
  }
  const search = (boost: ReadonlyMap<string, number>) =>
    searchPrefill(prefill, { a: a!, c: c!, d: d! }, multiPrompt, (o) => boost.get(o.label) ?? 1);
  // Least relative error first; then, while a setting's median (its repeats as one measurement)
  // is more than SETTING_CAP off, its rows weigh double, as long as that brings every setting in.
  const boost = new Map<string, number>();
  const first = search(boost);
  let best = first;
  for (let round = 0; round < 8; round++) {
    const off = settingsOff(prefill, best);
    if (off.length === 0) return { coefficients: best, warnings };
    for (const o of off) boost.set(o.label, (boost.get(o.label) ?? 1) * 2);
    best = search(boost);
  }
  const off = settingsOff(prefill, best);
  if (off.length === 0) return { coefficients: best, warnings };
  for (const o of settingsOff(prefill, first)) {
    warnings.push(
      `${what}: prefill of ${o.label} stays ${(100 * o.error).toFixed(1)}% off the median of its repeats (no fit of this form brings it within ${100 * SETTING_CAP}%)`,
    );
  }
  return { coefficients: first, warnings };
}

/** The most a setting's median may be off before the fit weighs its rows more. */
export const SETTING_CAP = 0.15;

/** Prefill settings (rows with one label) whose median the coefficients miss by more than SETTING_CAP. */
function settingsOff(
  prefill: readonly Observation[],
  k: FittedCoefficients,
): { label: string; error: number }[] {
  const bySetting = new Map<string, { work: IterationWork; measured: number[] }>();
  for (const o of prefill) {
    const s = bySetting.get(o.label) ?? { work: o.work, measured: [] };
    s.measured.push(o.measuredMs);
    bySetting.set(o.label, s);
  }
  const out: { label: string; error: number }[] = [];
  for (const [label, s] of bySetting) {
    const error = (k.a + fittedPrefillMs(k, s.work)) / median(s.measured) - 1;
    if (Math.abs(error) > SETTING_CAP) out.push({ label, error });
  }
  return out;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The best prefill coefficients over every floor split and knee, rows weighted by `boost`. */
function searchPrefill(
  prefill: readonly Observation[],
  decode: { a: number; c: number; d: number },
  multiPrompt: boolean,
  boost: (o: Observation) => number,
): FittedCoefficients {
  const tokens = [...new Set(prefill.map((o) => o.work.prefillTokens))].sort((x, y) => x - y);
  const knees = [0, ...[1024, 2048, 4096, 8192].filter((k) => k > tokens[0]! && k < tokens.at(-1)!)];
  let best: { k: FittedCoefficients; score: number } | undefined;
  for (const floorUpTo of [0, ...tokens.slice(0, -2)]) {
    for (const knee of knees) {
      const k = fitPrefill(prefill, decode.a, floorUpTo, knee, multiPrompt, boost);
      const full: FittedCoefficients = { ...decode, ...k };
      const score = prefill.reduce((acc, o) => {
        const m = decode.a + fittedPrefillMs(full, o.work);
        return acc + boost(o) * Math.abs((m - o.measuredMs) / o.measuredMs);
      }, 0);
      if (!best || score < best.score - 1e-12) best = { k: full, score };
    }
  }
  return best!.k;
}

/** Prefill coefficients for one floor split and knee: features [f, g, b, e, s, h]. */
function fitPrefill(
  prefill: readonly Observation[],
  a: number,
  floorUpTo: number,
  knee: number,
  multiPrompt: boolean,
  boost: (o: Observation) => number,
): Omit<FittedCoefficients, 'a' | 'c' | 'd'> {
  const G = 1;
  const samples = prefill.map((o) => {
    const w = o.work;
    const onFloor = w.prefillTokens <= floorUpTo;
    const x = onFloor
      ? [1, 0, 0, 0, 0, 0]
      : [
          0,
          1,
          w.prefillTokens,
          w.prefillAttention,
          (w.prefillSeqs ?? 1) - 1,
          Math.max(0, w.prefillTokens - knee),
        ];
    return { x, y: o.measuredMs - a, weight: boost(o) / o.measuredMs };
  });
  const active = [0, 1, 2, 3];
  if (multiPrompt) active.push(4);
  if (knee > 0) active.push(5);
  if (floorUpTo === 0) active.splice(active.indexOf(0), 1);
  const [f, g, b, e, s, h] = robustFit(samples, active, 6, [G]);
  const k = { f: f!, g: g!, b: b!, e: e! } as Omit<FittedCoefficients, 'a' | 'c' | 'd'>;
  if (s! > 0) k.s = s!;
  if (h! > 0) {
    k.h = h!;
    k.knee = knee;
  }
  // Without observations on the floor, the floor is the least the linear part gives (never binds).
  if (floorUpTo === 0) k.f = 0;
  return k;
}

/**
 * Least absolute relative error (iteratively reweighted least squares): the typical row fits
 * closely and a few odd ones (a noisy repeat, a step no term explains) do not pull the rest.
 */
function robustFit(
  samples: readonly { x: readonly number[]; y: number; weight: number }[],
  active: readonly number[],
  n: number,
  free: readonly number[],
): number[] {
  let k = nonNegativeFit(samples, active, n, free);
  for (let iteration = 0; iteration < 15; iteration++) {
    const reweighted = samples.map((s) => {
      const predicted = s.x.reduce((acc, v, i) => acc + v * k[i]!, 0);
      const relative = Math.abs((predicted - s.y) * s.weight);
      return { ...s, weight: s.weight / Math.sqrt(Math.max(relative, 0.002)) };
    });
    k = nonNegativeFit(reweighted, active, n, free);
  }
  return k;
}

/**
 * Weighted least squares over the `active` features, every coefficient but those in `free`
 * kept >= 0 by dropping the most negative one and solving again. Returns all `n` coefficients
 * (0 for inactive ones).
 */
function nonNegativeFit(
  samples: readonly { x: readonly number[]; y: number; weight: number }[],
  activeAtStart: readonly number[],
  n: number,
  free: readonly number[],
): number[] {
  let active = [...activeAtStart];
  for (;;) {
    const x = solveWeighted(samples, active);
    const negative = active.filter((f, j) => !free.includes(f) && x[j]! < 0);
    const k = new Array<number>(n).fill(0);
    if (negative.length === 0) {
      active.forEach((f, j) => {
        k[f] = x[j]!;
      });
      return k;
    }
    let worst = -1;
    active.forEach((f, j) => {
      if (!free.includes(f) && (worst < 0 || x[j]! < x[worst]!)) worst = j;
    });
    active = active.filter((_, j) => j !== worst);
  }
}

function solveWeighted(
  samples: readonly { x: readonly number[]; y: number; weight: number }[],
  active: readonly number[],
): number[] {
  const n = active.length;
  // Columns scaled to unit size so tokens (10^4) and token pairs (10^8) condition alike.
  const scale = active.map((f) => Math.max(1e-300, ...samples.map((s) => Math.abs(s.x[f]!))));
  const ata = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const atb = new Array<number>(n).fill(0);
  for (const s of samples) {
    const row = active.map((f, j) => (s.x[f]! / scale[j]!) * s.weight);
    for (let i = 0; i < n; i++) {
      atb[i]! += row[i]! * s.y * s.weight;
      for (let j = 0; j < n; j++) ata[i]![j]! += row[i]! * row[j]!;
    }
  }
  return gaussianSolve(ata, atb).map((v, j) => v / scale[j]!);
}

/** Solves A x = b (A small and symmetric positive semi-definite) by Gaussian elimination with pivoting. */
function gaussianSolve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / p;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => (Math.abs(row[i]!) < 1e-12 ? 0 : row[n]! / row[i]!));
}
