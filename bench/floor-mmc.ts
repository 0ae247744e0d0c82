/**
 * The reference the performance issue sets: a minimal hand-written event loop for the M/M/8 queue of
 * scenarios/mmc.yaml, with nothing a general simulator needs (no handlers, payloads, metrics or
 * scenario). A binary min-heap of event times in a Float64Array with the event kinds in a Uint8Array
 * at the same index, a seeded 32-bit PRNG (sfc32) and a FIFO ring buffer of arrival times.
 *
 * Exactly `arrivals` customers arrive; the loop ends when the last has left, so it dispatches
 * 2 * arrivals events. The mean queue wait is returned as a check on the model (Erlang C: 876.9 ms).
 *
 * It imports only its generator (sfc32.ts, bundled in), so as a process (`node floor.mjs
 * PARAMS_JSON`, what baseline-mmc.ts runs) it times Node's startup, the loop and exit: the
 * whole-process floor that `floodgate run` is held to.
 */

import { sfc32 } from './sfc32.ts';

const ARRIVAL = 0;
const DEPARTURE = 1;

export interface BaselineParams {
  arrivals: number;
  /** Arrivals per second. */
  rate: number;
  servers: number;
  /** Mean exponential service time, seconds. */
  meanServiceSec: number;
  seed: number;
}

export interface BaselineResult {
  arrivals: number;
  events: number;
  wallMs: number;
  eventsPerSec: number;
  simSec: number;
  meanWaitMs: number;
}

export function runBaseline(p: BaselineParams): BaselineResult {
  const rand = sfc32(p.seed);

  const meanInterMs = 1000 / p.rate;
  const meanServiceMs = p.meanServiceSec * 1000;

  // Heap: at most one pending arrival and `servers` departures.
  const cap = p.servers + 2;
  const times = new Float64Array(cap);
  const kinds = new Uint8Array(cap);
  let size = 0;
  const push = (time: number, kind: number): void => {
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt <= time) break;
      times[i] = pt;
      kinds[i] = kinds[parent]!;
      i = parent;
    }
    times[i] = time;
    kinds[i] = kind;
  };
  // Pops the root into popTime/popKind.
  let popTime = 0;
  let popKind = 0;
  const pop = (): void => {
    popTime = times[0]!;
    popKind = kinds[0]!;
    const last = --size;
    if (last === 0) return;
    const t = times[last]!;
    const k = kinds[last]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      if (child + 1 < last && times[child + 1]! < times[child]!) child++;
      const ct = times[child]!;
      if (t <= ct) break;
      times[i] = ct;
      kinds[i] = kinds[child]!;
      i = child;
    }
    times[i] = t;
    kinds[i] = k;
  };

  // FIFO ring buffer of the arrival times of waiting customers (grows by doubling).
  let ring = new Float64Array(1024);
  let mask = ring.length - 1;
  let head = 0;
  let queued = 0;

  let busy = 0;
  let arrived = 0;
  let served = 0;
  let waitSum = 0;
  let events = 0;
  let now = 0;

  const started = performance.now();
  push(-Math.log(rand()) * meanInterMs, ARRIVAL);
  arrived = 1;
  while (size > 0) {
    pop();
    now = popTime;
    events++;
    if (popKind === ARRIVAL) {
      if (arrived < p.arrivals) {
        push(now - Math.log(rand()) * meanInterMs, ARRIVAL);
        arrived++;
      }
      if (busy < p.servers) {
        busy++;
        served++;
        push(now - Math.log(rand()) * meanServiceMs, DEPARTURE);
      } else {
        if (queued === ring.length) {
          const bigger = new Float64Array(ring.length * 2);
          for (let i = 0; i < queued; i++) bigger[i] = ring[(head + i) & mask]!;
          ring = bigger;
          mask = ring.length - 1;
          head = 0;
        }
        ring[(head + queued) & mask] = now;
        queued++;
      }
    } else if (queued > 0) {
      // A server frees and takes the head of the queue at once.
      waitSum += now - ring[head]!;
      head = (head + 1) & mask;
      queued--;
      served++;
      push(now - Math.log(rand()) * meanServiceMs, DEPARTURE);
    } else {
      busy--;
    }
  }
  const wallMs = performance.now() - started;
  return {
    arrivals: arrived,
    events,
    wallMs,
    eventsPerSec: events / (wallMs / 1000),
    simSec: now / 1000,
    meanWaitMs: waitSum / served,
  };
}

// As a process: `node floor.mjs '{"arrivals":2000000,"rate":7.2,...}'` prints one run as JSON.
const paramsArg = process.argv[2];
if (paramsArg?.startsWith('{')) {
  process.stdout.write(JSON.stringify(runBaseline(JSON.parse(paramsArg) as BaselineParams)));
}
