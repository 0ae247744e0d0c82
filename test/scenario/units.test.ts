import { describe, expect, it } from 'vitest';
import {
  parseCount,
  parseDuration,
  parseMultiplier,
  parseRate,
  parseShare,
  parseTokenRate,
} from '../../src/scenario/units.ts';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['10us', 0.01],
    [90, 90],
    ['90', 90],
    ['277778s', 277_778_000],
  ])('parses %s as %d ms', (input, ms) => {
    expect(parseDuration(input)).toEqual({ value: ms });
  });
  it.each(['fast', '5 parsecs', '1h30', '', 'ms', true])('rejects %s with what it expected', (input) => {
    const r = parseDuration(input);
    expect(r).toHaveProperty('expected');
    expect((r as { expected: string }).expected).toMatch(/duration like '250ms'/);
  });
});

describe('parseRate', () => {
  it.each([
    ['7.2/s', 7.2],
    ['3k/min', 50],
    ['500/h', 500 / 3600],
    ['10 rps', 10],
    ['300 rpm', 5],
    ['1.5k/s', 1500],
    [12, 12],
    ['12', 12],
  ])('parses %s as %d per second', (input, perSec) => {
    expect((parseRate(input) as { value: number }).value).toBeCloseTo(perSec, 12);
  });
  it.each(['7.2/q', 'fast', '3k/fortnight'])('rejects %s', (input) => {
    expect(parseRate(input)).toHaveProperty('expected');
  });
});

describe('other units', () => {
  it('parses counts with SI suffixes', () => {
    expect(parseCount('128k')).toEqual({ value: 128_000 });
    expect(parseCount('2M')).toEqual({ value: 2_000_000 });
    expect(parseCount('1.5k')).toEqual({ value: 1500 });
    expect(parseCount('lots')).toHaveProperty('expected');
  });
  it('parses shares as fractions', () => {
    expect(parseShare('1%')).toEqual({ value: 0.01 });
    expect(parseShare(0.25)).toEqual({ value: 0.25 });
    expect(parseShare('half')).toHaveProperty('expected');
  });
  it('parses multipliers and token rates', () => {
    expect(parseMultiplier('3x')).toEqual({ value: 3 });
    expect(parseMultiplier(0.5)).toEqual({ value: 0.5 });
    expect(parseTokenRate('140 tok/s')).toEqual({ value: 140 });
    expect(parseTokenRate('8.4k/min')).toEqual({ value: 140 });
  });
});
