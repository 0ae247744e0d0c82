import { describe, expect, it } from 'vitest';
import { runBaseline } from '../../bench/floor-mmc.ts';
import { runRung } from '../../bench/ladder-rungs.ts';

// The ladder's rungs must be the floor's model, or their times say nothing about the floor.
const params = { arrivals: 20_000, rate: 7.2, servers: 8, meanServiceSec: 1, seed: 3 };

describe('bench cost ladder', () => {
  it("runs the floor's very run on Floodgate's event queue: the same events and the same mean wait to the bit", () => {
    const floor = runBaseline(params);
    const queue = runRung({ rung: 'queue', ...params });
    expect(queue.events).toBe(floor.events);
    expect(queue.arrivals).toBe(floor.arrivals);
    expect(queue.meanWaitMs).toBe(floor.meanWaitMs);
  });

  it('records, in the statistics rung, the waits the streams rung sums (the same run with statistics)', () => {
    const streams = runRung({ rung: 'streams', ...params });
    const stats = runRung({ rung: 'statistics', ...params });
    expect(stats.events).toBe(streams.events);
    expect(stats.events).toBe(2 * params.arrivals);
    // Summed in another order (by service start, by departure): equal up to rounding.
    expect(Math.abs(stats.meanWaitMs - streams.meanWaitMs)).toBeLessThan(1e-9 * streams.meanWaitMs);
    expect(streams.meanWaitMs).toBeGreaterThan(0);
  });
});
