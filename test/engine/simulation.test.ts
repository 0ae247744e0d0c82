/**
 * Simulation's timers: `at`, `after` and `atFirst` hand back handles, and `cancel` unschedules a
 * pending event so it neither runs nor stays in the queue.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/engine/simulation.ts';

describe('Simulation timers', () => {
  it('does not run a cancelled event, and it leaves the queue at once', () => {
    const sim = new Simulation();
    const ran: string[] = [];
    const log = (s: string) => ran.push(`${s}@${sim.now()}`);
    sim.at(10, log, 'a');
    const timeout = sim.after(30_000, log, 'timeout');
    sim.atFirst(10, log, 'first');
    expect(sim.pending).toBe(3);
    expect(sim.cancel(timeout)).toBe(true);
    expect(sim.pending).toBe(2);
    sim.run(Number.POSITIVE_INFINITY);
    expect(ran).toEqual(['first@10', 'a@10']);
  });

  it('runs atEndOfInstant after every event of its instant, even ones scheduled for it later', () => {
    const sim = new Simulation();
    const ran: string[] = [];
    const log = (s: string) => ran.push(`${s}@${sim.now()}`);
    sim.at(
      5,
      () => {
        sim.atEndOfInstant(log, 'end');
        sim.at(5, log, 'later');
        sim.at(6, log, 'next');
      },
      undefined,
    );
    sim.run(Number.POSITIVE_INFINITY);
    expect(ran).toEqual(['later@5', 'end@5', 'next@6']);
  });

  it('treats cancelling twice, or cancelling an event that already ran, as a no-op', () => {
    const sim = new Simulation();
    let runs = 0;
    const h = sim.at(1, () => runs++, undefined);
    const later = sim.at(2, () => runs++, undefined);
    expect(sim.cancel(later)).toBe(true);
    expect(sim.cancel(later)).toBe(false);
    sim.run(Number.POSITIVE_INFINITY);
    expect(sim.cancel(h)).toBe(false);
    expect(runs).toBe(1);
  });

  it('lets an event cancel another due at the same instant', () => {
    const sim = new Simulation();
    const ran: string[] = [];
    let victim = 0;
    sim.at(5, () => sim.cancel(victim), undefined);
    victim = sim.at(5, () => ran.push('victim'), undefined);
    sim.at(5, () => ran.push('survivor'), undefined);
    sim.run(Number.POSITIVE_INFINITY);
    expect(ran).toEqual(['survivor']);
  });

  it('runs exactly the uncancelled events, in (time, priority, insertion) order, whatever events schedule and cancel', () => {
    // Each event, when it runs, may schedule one more (at, after or atFirst) and cancel the k-th
    // handle handed out so far; the model replays the same choices on a sorted list.
    const step = fc.record({
      kind: fc.constantFrom('at' as const, 'after' as const, 'atFirst' as const, 'none' as const),
      delay: fc.integer({ min: 0, max: 20 }),
      cancel: fc.option(fc.nat({ max: 500 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 30 }),
        fc.array(step, { maxLength: 200 }),
        (initial, steps) => {
          const sim = new Simulation();
          type Entry = { time: number; priority: number; id: number };
          let model: Entry[] = [];
          const handles: number[] = [];
          const ran: number[] = [];
          let stepIndex = 0;
          const before = (a: Entry, b: Entry) => a.time - b.time || a.priority - b.priority || a.id - b.id;
          const schedule = (kind: 'at' | 'after' | 'atFirst', delay: number) => {
            const id = handles.length;
            const time = sim.now() + delay;
            handles.push(
              kind === 'at'
                ? sim.at(time, handler, id)
                : kind === 'after'
                  ? sim.after(delay, handler, id)
                  : sim.atFirst(time, handler, id),
            );
            model.push({ time, priority: kind === 'atFirst' ? -1 : 0, id });
          };
          // The model's next event: the earliest by (time, priority, insertion).
          const modelNext = () => {
            model.sort(before);
            return model.shift();
          };
          const handler = (id: number) => {
            // The event running is the one the model says is next, at its time.
            const next = modelNext();
            expect(next?.id).toBe(id);
            expect(sim.now()).toBe(next?.time);
            ran.push(id);
            const s = steps[stepIndex++];
            if (!s) return;
            if (s.kind !== 'none') schedule(s.kind, s.delay);
            if (s.cancel !== undefined && handles.length > 0) {
              const target = s.cancel % handles.length;
              const pending = model.some((e) => e.id === target);
              expect(sim.cancel(handles[target]!)).toBe(pending);
              model = model.filter((e) => e.id !== target);
              expect(sim.pending).toBe(model.length);
            }
          };
          for (const t of initial) schedule('at', t);
          sim.run(Number.POSITIVE_INFINITY);
          expect(sim.pending).toBe(0);
          expect(model).toEqual([]);
          for (const h of handles) expect(sim.cancel(h)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('housekeeping events (afterDaemon)', () => {
  /** A periodic job that reschedules itself forever, as an autoscaler's sync does. */
  function periodic(sim: Simulation, everyMs: number, seen: number[]) {
    const tick = () => {
      seen.push(sim.now());
      sim.afterDaemon(everyMs, tick, undefined);
    };
    sim.afterDaemon(everyMs, tick, undefined);
  }

  it('do not keep run(Infinity) going: it returns after the last other event', () => {
    const sim = new Simulation();
    const seen: number[] = [];
    periodic(sim, 10, seen);
    sim.at(35, () => {}, undefined);
    sim.run(Number.POSITIVE_INFINITY);
    expect(sim.now()).toBe(35);
    expect(seen).toEqual([10, 20, 30]);
    expect(sim.pending).toBe(1); // the 40 ms tick, still there for a later run
  });

  it('run as any other event up to a finite end', () => {
    const sim = new Simulation();
    const seen: number[] = [];
    periodic(sim, 10, seen);
    sim.run(45);
    expect(seen).toEqual([10, 20, 30, 40]);
    expect(sim.now()).toBe(45);
  });

  it('run while ordinary work is pending, and what they schedule keeps the run going; a cancelled one counts no more', () => {
    const sim = new Simulation();
    const done: number[] = [];
    sim.afterDaemon(10, () => sim.after(5, () => done.push(sim.now()), undefined), undefined);
    const cancelled = sim.afterDaemon(20, () => done.push(-1), undefined);
    expect(sim.cancel(cancelled)).toBe(true);
    expect(sim.cancel(cancelled)).toBe(false);
    sim.at(12, () => done.push(sim.now()), undefined);
    sim.run(Number.POSITIVE_INFINITY);
    expect(done).toEqual([12, 15]);
    expect(sim.now()).toBe(15);
    expect(sim.pending).toBe(0);
  });
});
