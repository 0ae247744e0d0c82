/**
 * Seeded random streams inside k6 (which has no seedrandom): the same Alea generator the
 * simulator's RngStreams uses, seeded from (seed, name). Each request draws from its own stream
 * `k6/<class>/<iteration>`, so its body depends only on the seed, its class and its iteration
 * number (exec.scenario.iterationInTest), never on which VU or load generator runs it.
 */
import alea from 'seedrandom/lib/alea.js';

/** A uniform random source on [0, 1). */
export type Random = () => number;

export function createStream(seed: number, name: string): Random {
  return alea(`floodgate:${seed}:${name}`);
}
