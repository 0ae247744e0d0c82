/**
 * A bounded open-loop load driver: it sends each planned request at its time (never waiting for
 * answers), streams the answer and records time to the first content token and to the end. It
 * only talks to the loopback URL it is given, sends at most `maxRequests`, and aborts whatever is
 * still open at `deadlineMs` after the start, so it always stops.
 */
import seedrandom from 'seedrandom';

export interface PlannedRequest {
  atMs: number;
  className: string;
  outputTokens: number;
}

export interface Measured {
  className: string;
  atMs: number;
  status: number;
  /** ms from sending to the first content token; NaN without one. */
  ttftMs: number;
  /** ms from sending to the end of the stream; NaN when it failed. */
  e2eMs: number;
  ok: boolean;
  /**
   * What Portkey says it did, from its response headers (NaN without them): the index of the
   * target that answered among its siblings (`x-portkey-last-used-option-index`, e.g.
   * `config.targets[1]`; in a fallback, 0 is the first target) and the retries it made on that
   * target (`x-portkey-retry-attempt-count`).
   */
  optionIndex: number;
  retryCount: number;
  /** The emulator provider that answered (its `x-floodgate-provider` header, passed on by the gateway). */
  provider: string | undefined;
}

/**
 * Poisson arrivals at `ratePerS` (times `multiplier(tMs)` when given: a spike) for `durationMs`,
 * from a seeded stream, by thinning.
 */
export function poissonPlan(o: {
  ratePerS: number;
  durationMs: number;
  seed: string;
  className: string;
  outputTokens: number;
  multiplier?: (tMs: number) => number;
  maxMultiplier?: number;
}): PlannedRequest[] {
  const rng = seedrandom.alea(o.seed);
  const peak = o.ratePerS * (o.maxMultiplier ?? 1);
  const plan: PlannedRequest[] = [];
  for (
    let t = -Math.log(1 - rng()) * (1000 / peak);
    t < o.durationMs;
    t += -Math.log(1 - rng()) * (1000 / peak)
  ) {
    const keep = (o.ratePerS * (o.multiplier?.(t) ?? 1)) / peak;
    if (rng() < keep) plan.push({ atMs: t, className: o.className, outputTokens: o.outputTokens });
  }
  return plan;
}

export async function drive(o: {
  url: string;
  headers: Record<string, string>;
  model: string;
  plan: readonly PlannedRequest[];
  maxRequests: number;
  deadlineMs: number;
}): Promise<Measured[]> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(o.url))
    throw new Error(`the driver only talks to loopback, got ${o.url}`);
  const plan = o.plan.slice(0, o.maxRequests);
  const stopAll = new AbortController();
  const start = performance.now();
  const deadline = setTimeout(() => stopAll.abort(), o.deadlineMs);
  const one = async (p: PlannedRequest): Promise<Measured> => {
    const wait = p.atMs - (performance.now() - start);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return {
      className: p.className,
      atMs: p.atMs,
      ...(await streamCall({
        url: o.url,
        headers: o.headers,
        body: {
          model: o.model,
          messages: [{ role: 'user', content: 'hello' }],
          max_tokens: p.outputTokens,
          stream: true,
        },
        signal: stopAll.signal,
      })),
    };
  };
  try {
    return await Promise.all(plan.map(one));
  } finally {
    clearTimeout(deadline);
  }
}

/** One streamed call's outcome. */
export interface CallOutcome {
  status: number;
  /** ms from sending to the first content token; NaN without one. */
  ttftMs: number;
  /** ms from sending to the end of the stream; NaN when it failed. */
  e2eMs: number;
  ok: boolean;
  /** `usage.prompt_tokens` of the stream's usage chunk, when it sent one (NaN otherwise). */
  promptTokens: number;
  /** Its `prompt_tokens_details.cached_tokens` (NaN without one). */
  cachedTokens: number;
  /**
   * What Portkey says it did, from its response headers (NaN without them): the index of the
   * target that answered among its siblings (`x-portkey-last-used-option-index`, e.g.
   * `config.targets[1]`; in a fallback, 0 is the first target) and the retries it made on that
   * target (`x-portkey-retry-attempt-count`).
   */
  optionIndex: number;
  retryCount: number;
  /** The emulator provider that answered (its `x-floodgate-provider` header, passed on by the gateway). */
  provider: string | undefined;
  /**
   * The top-level target Portkey's load balancing picked: the first index of its
   * `x-portkey-last-used-option-index` path (`config.targets[0].targets[1]` is branch 0 however
   * it fell back within it); NaN without the header.
   */
  branch: number;
}

/** How much of a stream's text is kept between reads: more than a usage chunk and `[DONE]`. */
const TAIL_CHARS = 2048;

/** Sends one streamed chat completion and times it; never throws (a failure is `ok: false`). */
export async function streamCall(o: {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  signal: AbortSignal;
}): Promise<CallOutcome> {
  const sent = performance.now();
  const m: CallOutcome = {
    status: 0,
    ttftMs: Number.NaN,
    e2eMs: Number.NaN,
    ok: false,
    promptTokens: Number.NaN,
    cachedTokens: Number.NaN,
    optionIndex: Number.NaN,
    retryCount: Number.NaN,
    provider: undefined,
    branch: Number.NaN,
  };
  try {
    const res = await fetch(o.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...o.headers },
      body: JSON.stringify(o.body),
      signal: o.signal,
    });
    m.status = res.status;
    m.optionIndex = headerNumber(res.headers, 'x-portkey-last-used-option-index');
    m.retryCount = headerNumber(res.headers, 'x-portkey-retry-attempt-count');
    m.provider = res.headers.get('x-floodgate-provider') ?? undefined;
    const path = /targets\[(\d+)\]/.exec(res.headers.get('x-portkey-last-used-option-index') ?? '');
    if (path) m.branch = Number(path[1]);
    if (!res.ok || !res.body) {
      await res.text();
      return m;
    }
    const decoder = new TextDecoder();
    // Only the stream's latest text is searched (a long stream read whole on every chunk costs
    // the driver quadratic time, which delays every other stream it times).
    let text = '';
    let failed = false;
    const reader = res.body.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      text = text.slice(-TAIL_CHARS) + decoder.decode(r.value, { stream: true });
      if (Number.isNaN(m.ttftMs) && /"content":"[^"]/.test(text)) m.ttftMs = performance.now() - sent;
      if (text.includes('"error"')) failed = true;
    }
    m.ok = !failed && text.includes('[DONE]') && !Number.isNaN(m.ttftMs);
    if (m.ok) m.e2eMs = performance.now() - sent;
    const usage = /"prompt_tokens":(\d+)/.exec(text);
    if (usage) m.promptTokens = Number(usage[1]);
    const cached = /"cached_tokens":(\d+)/.exec(text);
    if (cached) m.cachedTokens = Number(cached[1]);
  } catch {
    // aborted at the deadline, or the connection failed: not ok
  }
  return m;
}

/** A header's whole number, alone or as the last index (`config.targets[1]`); NaN without one. */
function headerNumber(headers: Headers, name: string): number {
  const match = /(?:^|\[)(\d+)\]?$/.exec(headers.get(name)?.trim() ?? '');
  return match ? Number(match[1]) : Number.NaN;
}

/** The q-quantile (0..1) of the values, by the nearest-rank method. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
