import seedrandom from 'seedrandom';

/** A uniform random source on [0, 1). */
export type Random = () => number;

/**
 * RngStreams: independent seeded streams, one per named purpose (`workload/arrivals`,
 * `provider/gpt-4o/latency`, `policy/routing`...). Each stream is seeded from (run seed, name),
 * so adding draws in one place never shifts another: swapping a policy leaves the offered
 * traffic identical (common random numbers, FG-3). Alea is seedrandom's fastest generator
 * (about 10 ns a draw here).
 */
/** The streams that draw the offered traffic: arrivals, sizes, sessions, difficulties. */
const TRAFFIC_PREFIX = 'workload/';

export class RngStreams {
  private readonly streams = new Map<string, Random>();
  readonly seed: number;
  /** Seed of the traffic's streams (every `workload/` name): `seed` unless given apart. */
  readonly trafficSeed: number;
  constructor(seed: number, trafficSeed = seed) {
    this.seed = seed;
    this.trafficSeed = trafficSeed;
  }

  get(name: string): Random {
    let stream = this.streams.get(name);
    if (!stream) {
      const seed = name.startsWith(TRAFFIC_PREFIX) ? this.trafficSeed : this.seed;
      stream = seedrandom.alea(`floodgate:${seed}:${name}`) as Random;
      this.streams.set(name, stream);
    }
    return stream;
  }
}
