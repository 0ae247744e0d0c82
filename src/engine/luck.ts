/**
 * Per-request luck (SimulateOptions.luck `request`, `floodgate run|emulate --luck request`).
 *
 * By default (`arrival`) a provider draws each attempt's luck (TTFT, output speed, the fault
 * draws) from one stream in the order attempts reach it. Two runs of the same requests then meet
 * the same luck only if the provider sees their attempts in the same order: a gateway's retry
 * landing a millisecond before or after a fresh call swaps their draws. Under `request` each
 * attempt's draws come from a small counter-based generator seeded by a hash of (run seed,
 * provider, the request's traffic key, the n-th attempt of that key at that provider): the same
 * request meets the same draws whatever else the provider serves, and in whatever order.
 *
 * The traffic key names a request from the traffic seed alone, so the simulator and a load driver
 * compute the same one: (its class's index, that class's arrival ordinal, the send index within
 * its session; 0 for a plain request), one number (`trafficKey`), `class.ordinal.send` on the
 * wire (`X-Floodgate-Traffic-Key`).
 */
import type { Random } from './rng.ts';

export const LUCK_MODES = ['arrival', 'request'] as const;
export type LuckMode = (typeof LUCK_MODES)[number];

/** Bounds of a traffic key's parts (the key packs them into one safe integer). */
export const MAX_KEY_CLASS = 1023;
export const MAX_KEY_SEND = 4095;
export const MAX_KEY_ORDINAL = 2 ** 31 - 1;

/** No traffic key (a request the emulator got without the header): the provider's arrival-order stream. */
export const NO_TRAFFIC_KEY = -1;

/**
 * The traffic key of send `send` of the `ordinal`-th arrival of class `classIndex` (each part
 * clamped to its bound: a session's sends past MAX_KEY_SEND share a key, and the attempt count
 * tells them apart).
 */
export function trafficKey(classIndex: number, ordinal: number, send: number): number {
  const c = Math.min(classIndex, MAX_KEY_CLASS);
  const o = Math.min(ordinal, MAX_KEY_ORDINAL);
  const s = Math.min(send, MAX_KEY_SEND);
  return (o * (MAX_KEY_CLASS + 1) + c) * (MAX_KEY_SEND + 1) + s;
}

/** The header form of a traffic key: `class.ordinal.send`, three whole numbers. */
export function formatTrafficKey(classIndex: number, ordinal: number, send: number): string {
  return `${classIndex}.${ordinal}.${send}`;
}

/**
 * A header's traffic key, or undefined unless it is exactly `class.ordinal.send` with each part a
 * whole number within its bound (no sign, no spaces, no leading zeros beyond a lone 0).
 */
export function parseTrafficKey(text: string): number | undefined {
  const m = /^(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,9})\.(0|[1-9]\d{0,3})$/.exec(text);
  if (!m) return undefined;
  const c = Number(m[1]);
  const o = Number(m[2]);
  const s = Number(m[3]);
  if (c > MAX_KEY_CLASS || o > MAX_KEY_ORDINAL || s > MAX_KEY_SEND) return undefined;
  return trafficKey(c, o, s);
}

/** A 32-bit integer hash with good avalanche (lowbias32): every input bit moves every output bit. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A string's 32-bit hash (FNV-1a over its UTF-16 units, then mixed). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** The seed of attempt `n` (0-based) of traffic key `key` under `base` (run seed, provider). */
export function attemptSeed(base: number, key: number, n: number): number {
  const lo = key >>> 0;
  const hi = Math.floor(key / 2 ** 32) >>> 0;
  return mix32(base ^ mix32(lo ^ mix32(hi ^ mix32(n + 0x9e3779b9))));
}

/**
 * A counter-based uniform source: draw i of seed s is a hash of (s, i), so a seed's draws need no
 * state but the count, and a reseed costs nothing. `next` is a `Random` bound once (no closure per
 * reseed); uniforms on [0, 1) with 53 bits.
 */
export class CounterRandom {
  private seed = 0;
  private counter = 0;
  readonly next: Random = () => {
    const k = mix32(this.seed ^ Math.imul(++this.counter, 0x9e3779b9));
    const a = mix32(k ^ 0x6a09e667);
    const b = mix32(k + 0xbb67ae85);
    return (a * 2 ** 21 + (b >>> 11)) / 2 ** 53;
  };

  /** Starts seed `seed`'s draws from the first; returns `next`. */
  reset(seed: number): Random {
    this.seed = seed | 0;
    this.counter = 0;
    return this.next;
  }
}

/** How long a traffic key's attempt count is kept after its last attempt (model ms), at least. */
const KEEP_MS = 10 * 60_000;
/** Keys counted per generation before the older one is dropped early (bounds memory). */
const MAX_KEYS = 1 << 18;

/**
 * How many attempts each traffic key has made, in bounded memory: two generations of counts, the
 * older dropped once the newer is KEEP_MS old or holds MAX_KEYS keys. A key quiet for longer
 * starts again from 0 (its request long over, in any run this models).
 */
export class AttemptCounter {
  private current = new Map<number, number>();
  private previous = new Map<number, number>();
  private since = 0;

  /** The number (0-based) of this attempt of `key`, now at `nowMs`; counts it. */
  next(key: number, nowMs: number): number {
    if (nowMs - this.since >= KEEP_MS || this.current.size >= MAX_KEYS) {
      this.previous = this.current;
      this.current = new Map();
      this.since = nowMs;
    }
    const n = this.current.get(key) ?? this.previous.get(key) ?? 0;
    this.current.set(key, n + 1);
    return n;
  }

  /** Keys held (both generations; a key in both counts twice). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}

/**
 * One provider's per-request luck: counts each traffic key's attempts (`begin`, once per attempt,
 * where the attempt first reaches the provider), and gives the generator of an attempt's latency
 * draws and of its fault draws, independent of each other.
 */
export class RequestLuck {
  private readonly base: number;
  private readonly counts = new AttemptCounter();
  private readonly latencyRandom = new CounterRandom();
  private readonly faultRandom = new CounterRandom();

  constructor(runSeed: number, provider: string) {
    this.base = hashString(`floodgate-luck:${runSeed}:${provider}`);
  }

  /** The seed of this attempt of `key` (counted), or -1 for no key (the caller's own stream). */
  begin(key: number, nowMs: number): number {
    if (key < 0) return -1;
    return attemptSeed(this.base, key, this.counts.next(key, nowMs));
  }

  /** The attempt's latency draws (TTFT, then output speed). */
  latency(seed: number): Random {
    return this.latencyRandom.reset(mix32(seed ^ 0x1b873593));
  }

  /** The attempt's fault draws (error rate, then stream cut). */
  faults(seed: number): Random {
    return this.faultRandom.reset(mix32(seed ^ 0xcc9e2d51));
  }
}
