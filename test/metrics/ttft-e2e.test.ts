/**
 * TtftE2e: E2E kept in the TTFT histogram while the two are equal must read exactly as if every
 * E2E had been recorded on its own: counts, total, min, max and quantiles, whenever it is read.
 */
import { describe, expect, it } from 'vitest';
import { highWord, LogHistogram, summarize } from '../../src/engine/histogram.ts';
import { TtftE2e } from '../../src/metrics/ttft-e2e.ts';

/** Everything a histogram tells, to compare two exactly. */
function facts(h: LogHistogram) {
  return {
    ...summarize(h),
    total: h.total,
    min: h.min,
    max: h.max,
    p10: h.quantile(0.1),
    p75: h.quantile(0.75),
  };
}

function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

describe('TtftE2e', () => {
  for (const subBits of [4, 7]) {
    it(`reads as separate histograms at subBits ${subBits}: whole answers, then streamed ones, read midway, reset`, () => {
      const random = lcg(subBits);
      const pair = new TtftE2e(subBits);
      const ttft = new LogHistogram(subBits);
      const e2e = new LogHistogram(subBits);
      const add = (t: number, e: number) => {
        pair.record(t, highWord(t), e, highWord(e));
        ttft.record(t);
        e2e.record(e);
      };
      // Whole answers only: E2E is still the TTFT histogram's values.
      for (let i = 0; i < 500; i++) {
        const v = -1000 * Math.log(random());
        add(v, v);
      }
      expect(facts(pair.e2e)).toEqual(facts(e2e));
      expect(facts(pair.ttft)).toEqual(facts(ttft));
      // Read once, then streamed answers (E2E after TTFT) mixed with whole ones.
      for (let i = 0; i < 500; i++) {
        const t = -300 * Math.log(random());
        add(t, i % 3 === 0 ? t : t + -2000 * Math.log(random()));
      }
      expect(facts(pair.e2e)).toEqual(facts(e2e));
      expect(facts(pair.ttft)).toEqual(facts(ttft));
      // After a reset: empty, then equal again until the first streamed answer (not read before it).
      pair.reset();
      ttft.reset();
      e2e.reset();
      expect(pair.e2e.count).toBe(0);
      pair.reset();
      for (let i = 0; i < 300; i++) {
        const t = 1 + 50 * random();
        add(t, i < 200 ? t : t + 100 * random());
      }
      expect(facts(pair.e2e)).toEqual(facts(e2e));
      expect(facts(pair.ttft)).toEqual(facts(ttft));
    });
  }

  it('an empty pair reads empty histograms', () => {
    const pair = new TtftE2e();
    expect(pair.e2e.count).toBe(0);
    expect(pair.ttft.count).toBe(0);
    expect(Number.isNaN(pair.e2e.quantile(0.5))).toBe(true);
  });
});
