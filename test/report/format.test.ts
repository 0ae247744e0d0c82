/** The shared formatters' words for edge values: nothing after, one of a thing. */
import { describe, expect, it } from 'vitest';
import { fmtAfter, fmtAxis, fmtFixed2, fmtInt, fmtMs, plural } from '../../src/report/format.ts';

describe('fmtAfter(ms)', () => {
  it('says "immediately" for no delay, not "after 0.00 ms"', () => {
    expect(fmtAfter(0)).toBe('immediately');
    expect(fmtAfter(0.4)).toBe('immediately');
  });

  it('says how long otherwise', () => {
    expect(fmtAfter(1)).toBe('after 1.0 ms');
    expect(fmtAfter(250)).toBe('after 250 ms');
    expect(fmtAfter(5000)).toBe('after 5s');
    expect(fmtAfter(90_000)).toBe('after 1m30s');
  });
});

describe('fmtMs(ms)', () => {
  it('prints an exact zero as "0 ms", not "0.00 ms" (a queue wait of an API without a queue)', () => {
    expect(fmtMs(0)).toBe('0 ms');
    expect(fmtMs(0.42)).toBe('0.42 ms');
    expect(fmtMs(1372)).toBe('1.37 s');
  });
});

describe('fmtAxis(unit, v)', () => {
  it('prints negative times in the same units as positive ones', () => {
    expect(fmtAxis('ms', -50_000)).toBe('-50 s');
    expect(fmtAxis('ms', 50_000)).toBe('50 s');
    expect(fmtAxis('ms', -120_000)).toBe('-2 min');
    expect(fmtAxis('ms', -250)).toBe('-250 ms');
  });
});

describe('plural(n, one, many)', () => {
  it('uses the singular for exactly one', () => {
    expect(plural(1, 'class', 'classes')).toBe('1 class');
    expect(plural(1, 'provider')).toBe('1 provider');
  });

  it('uses the plural for zero and more than one, with thousands separators', () => {
    expect(plural(0, 'request')).toBe('0 requests');
    expect(plural(2, 'class', 'classes')).toBe('2 classes');
    expect(plural(34_663, 'request')).toBe('34,663 requests');
  });
});

describe('fmtInt(n)', () => {
  it("prints what toLocaleString('en-US') prints for the rounded number, edge values included", () => {
    const values = [0, -0, 0.4, -0.4, 0.5, -0.5, 1, 12, 999, 1000, -1000, 1234.5, 999_999, 1_000_000];
    values.push(-123_456_789, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 60, 1e21, 1e300);
    values.push(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    for (let x = 1; x < 1e16; x = x * 7 + 3) values.push(x, -x, x + 0.5);
    for (const v of values) expect(fmtInt(v), String(v)).toBe(Math.round(v).toLocaleString('en-US'));
    expect(fmtInt(1_999_514)).toBe('1,999,514');
  });
});

describe('fmtFixed2(x)', () => {
  it("prints what toLocaleString('en-US') prints with two decimals, rounding and edge values included", () => {
    const intl = (v: number) =>
      v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    // ICU rounds the shortest decimal (1.005 -> 1.01), toFixed the exact binary value (1.00).
    const values = [
      0, 0.01, 0.004, 0.005, 0.015, 0.995, 1.005, 2.675, 999.995, 9.995, 99_999.995, 1234.5, 1e6,
    ];
    values.push(123_456_789.125, 2 ** 53, 2 ** 53 + 0.5, 1e20, 1e21, 1.5e300, 1e-7, -0, -1.005, -1234.5);
    values.push(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    for (let x = 0.001; x < 1e18; x = x * 3.7 + 0.011) values.push(x, x + 0.005, Math.round(x * 1000) / 1000);
    for (const v of values) expect(fmtFixed2(v), String(v)).toBe(intl(v));
  });
});
