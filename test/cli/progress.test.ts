/** The progress line of a long run: share done, speed, and the time left at the speed so far. */
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/progress.ts';

describe('progressLine', () => {
  it('estimates the time left from the speed so far', () => {
    // A quarter of 12 min simulated in 3 s: three quarters left take 9 s.
    expect(progressLine('quickstart', { simTimeMs: 180_000, endMs: 720_000, events: 300_000 }, 3000)).toBe(
      'quickstart: 25% (3.0 min of 12.0 min simulated, 3.0 s, 100,000 events/s, about 9.00 s left)',
    );
  });

  it('gives no estimate before any simulated time has passed, nor at the end', () => {
    expect(progressLine('x', { simTimeMs: 0, endMs: 1000, events: 0 }, 2500)).not.toContain('left');
    expect(progressLine('x', { simTimeMs: 1000, endMs: 1000, events: 10 }, 2500)).not.toContain('left');
  });
});
