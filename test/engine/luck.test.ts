/**
 * Per-request luck's parts (src/engine/luck.ts): the traffic key (one safe integer per
 * class/ordinal/send, its strict header form), the attempt seed and the counter-based generator
 * (the same key gives the same draws; distinct keys give independent-looking uniforms), and the
 * bounded attempt counter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttemptCounter,
  attemptSeed,
  CounterRandom,
  formatTrafficKey,
  hashString,
  MAX_KEY_CLASS,
  MAX_KEY_ORDINAL,
  MAX_KEY_SEND,
  parseTrafficKey,
  RequestLuck,
  trafficKey,
} from '../../src/engine/luck.ts';

const part = (max: number) => fc.integer({ min: 0, max });
const keyParts = fc.tuple(part(MAX_KEY_CLASS), part(MAX_KEY_ORDINAL), part(MAX_KEY_SEND));

describe('the traffic key', () => {
  it('is one safe integer per (class, ordinal, send), distinct for distinct parts', () => {
    fc.assert(
      fc.property(keyParts, keyParts, ([c, o, s], [c2, o2, s2]) => {
        const k = trafficKey(c, o, s);
        expect(Number.isSafeInteger(k) && k >= 0).toBe(true);
        if (c !== c2 || o !== o2 || s !== s2) expect(k).not.toBe(trafficKey(c2, o2, s2));
      }),
    );
    expect(trafficKey(MAX_KEY_CLASS, MAX_KEY_ORDINAL, MAX_KEY_SEND)).toBeLessThanOrEqual(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('round-trips through its header form', () => {
    fc.assert(
      fc.property(keyParts, ([c, o, s]) => {
        expect(parseTrafficKey(formatTrafficKey(c, o, s))).toBe(trafficKey(c, o, s));
      }),
    );
  });

  it.each([
    '',
    '1.2',
    '1.2.3.4',
    '01.2.3',
    '1.02.3',
    '-1.2.3',
    '1.2.3 ',
    '+1.2.3',
    '1.2.4096',
    '1024.0.0',
    '0.2147483648.0',
    '1e2.0.0',
    '1.2,3',
  ])('refuses %j', (text) => {
    expect(parseTrafficKey(text)).toBeUndefined();
  });

  it('a send past its bound shares the last key (the attempt count tells them apart)', () => {
    expect(trafficKey(1, 2, MAX_KEY_SEND + 5)).toBe(trafficKey(1, 2, MAX_KEY_SEND));
  });
});

describe('the counter-based generator', () => {
  it('the same seed gives the same draws, after any reset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (a, b) => {
          const g = new CounterRandom();
          const first = [g.reset(a)(), g.next(), g.next()];
          g.reset(b)();
          expect([g.reset(a)(), g.next(), g.next()]).toEqual(first);
        },
      ),
    );
  });

  it('draws uniforms on [0, 1)', () => {
    const g = new CounterRandom();
    g.reset(12345);
    let sum = 0;
    const bins = new Array<number>(10).fill(0);
    const n = 100_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = g.next();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      bins[Math.floor(u * 10)]!++;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
    // Chi-square with 9 degrees of freedom: 27.9 is its 99.9th percentile.
    const chi = bins.reduce((a, b) => a + (b - n / 10) ** 2 / (n / 10), 0);
    expect(chi).toBeLessThan(27.9);
  });

  it('distinct keys (neighbouring ordinals, attempts) give independent-looking first draws', () => {
    const base = hashString('floodgate-luck:1:primary');
    const g = new CounterRandom();
    const xs: number[] = [];
    const ys: number[] = [];
    for (let o = 0; o < 20_000; o++) {
      xs.push(g.reset(attemptSeed(base, trafficKey(0, o, 0), 0))());
      ys.push(g.reset(attemptSeed(base, trafficKey(0, o, 0), 1))());
    }
    // Neighbouring ordinals and a key's two attempts: correlations within noise (|r| < 4 / sqrt(n)).
    const corr = (a: number[], b: number[]) => {
      const n = a.length;
      const ma = a.reduce((s, x) => s + x, 0) / n;
      const mb = b.reduce((s, x) => s + x, 0) / n;
      let sab = 0;
      let saa = 0;
      let sbb = 0;
      for (let i = 0; i < n; i++) {
        sab += (a[i]! - ma) * (b[i]! - mb);
        saa += (a[i]! - ma) ** 2;
        sbb += (b[i]! - mb) ** 2;
      }
      return sab / Math.sqrt(saa * sbb);
    };
    const limit = 4 / Math.sqrt(xs.length);
    expect(Math.abs(corr(xs.slice(1), xs.slice(0, -1)))).toBeLessThan(limit);
    expect(Math.abs(corr(xs, ys))).toBeLessThan(limit);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.01);
  });

  it('distinct keys almost never share a seed (fast-check)', () => {
    const base = hashString('floodgate-luck:1:primary');
    fc.assert(
      fc.property(keyParts, keyParts, part(8), ([c, o, s], [c2, o2, s2], n) => {
        fc.pre(c !== c2 || o !== o2 || s !== s2);
        expect(attemptSeed(base, trafficKey(c, o, s), n)).not.toBe(
          attemptSeed(base, trafficKey(c2, o2, s2), n),
        );
      }),
    );
  });
});

describe('the attempt counter and a provider’s request luck', () => {
  it('counts each key’s attempts from 0', () => {
    const c = new AttemptCounter();
    expect([c.next(5, 0), c.next(7, 1), c.next(5, 2), c.next(5, 3), c.next(7, 4)]).toEqual([0, 0, 1, 2, 1]);
  });

  it('keeps a key at least 10 minutes after its last attempt, and forgets older ones (bounded)', () => {
    const c = new AttemptCounter();
    c.next(1, 0);
    expect(c.next(1, 599_000)).toBe(1);
    expect(c.next(1, 1_100_000)).toBe(2); // 8.4 min after its last attempt: still there
    for (let t = 1_200_000; t < 3_600_000; t += 60_000) c.next(t, t);
    expect(c.next(1, 3_700_000)).toBe(0);
    expect(c.size).toBeLessThan(30);
  });

  it('the same key on two providers of the same run seed: independent luck; on two runs: the same', () => {
    const draws = (seed: number, provider: string) => {
      const luck = new RequestLuck(seed, provider);
      const s = luck.begin(trafficKey(0, 3, 0), 0);
      return [luck.latency(s)(), luck.faults(s)()];
    };
    expect(draws(1, 'primary')).toEqual(draws(1, 'primary'));
    expect(draws(1, 'primary')).not.toEqual(draws(1, 'secondary'));
    expect(draws(1, 'primary')).not.toEqual(draws(2, 'primary'));
    const [latency, faults] = draws(1, 'primary');
    expect(latency).not.toBe(faults);
  });

  it('a request without a key gets no seed (the provider’s own stream)', () => {
    expect(new RequestLuck(1, 'p').begin(-1, 0)).toBe(-1);
  });
});
