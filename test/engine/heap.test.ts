import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventHandler, EventQueue } from '../../src/engine/heap.ts';

const tag: EventHandler<unknown> = () => {};

/** Pops everything, returning [time, payload] pairs. */
function drain(q: EventQueue): [number, unknown][] {
  const out: [number, unknown][] = [];
  while (q.pop()) out.push([q.poppedTimeMs, q.poppedPayload]);
  return out;
}

describe('EventQueue', () => {
  it('pops the worked example of its doc comment in order c, d, a, b', () => {
    const q = new EventQueue();
    q.push(5, tag, 'a');
    q.push(5, tag, 'b');
    q.push(3, tag, 'c');
    q.push(5, tag, 'd', -1);
    expect(drain(q)).toEqual([
      [3, 'c'],
      [5, 'd'],
      [5, 'a'],
      [5, 'b'],
    ]);
  });

  it('is empty at first: size 0, peekTime Infinity, pop returns false', () => {
    const q = new EventQueue();
    expect(q.size).toBe(0);
    expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
    expect(q.pop()).toBe(false);
  });

  it('hands back the handler and payload of the popped event', () => {
    const q = new EventQueue();
    const calls: number[] = [];
    const h = (x: number) => calls.push(x);
    q.push(2, h, 42);
    expect(q.peekTime()).toBe(2);
    expect(q.pop()).toBe(true);
    q.poppedHandler(q.poppedPayload);
    expect(calls).toEqual([42]);
    expect(q.poppedTimeMs).toBe(2);
    expect(q.size).toBe(0);
  });

  it('a pop leaves the root to the next push: events pushed, popped, cancelled and peeked in turn stay in order', () => {
    // Each pop leaves a hole that the next push fills (sifting down) or that a peek, pop or
    // cancel fills first: every mix of them must still pop by (time, priority, insertion).
    const q = new EventQueue(2);
    const handles = [10, 30, 20, 40].map((t) => q.push(t, tag, t));
    expect(q.pop() && q.poppedPayload).toBe(10);
    q.push(25, tag, 25); // fills the hole, sifts down below 20
    expect(q.pop() && q.poppedPayload).toBe(20);
    expect(q.cancel(handles[1]!)).toBe(true); // 30, with the root empty
    expect(q.size).toBe(2);
    expect(q.peekTime()).toBe(25);
    expect(q.pop() && q.poppedPayload).toBe(25);
    expect(q.pop() && q.poppedPayload).toBe(40);
    expect(q.pop()).toBe(false); // empty, the hole filled by nothing
    q.push(5, tag, 5);
    q.push(1, tag, 1);
    expect(drain(q)).toEqual([
      [1, 1],
      [5, 5],
    ]);
  });

  it('grows past its initial capacity without losing or reordering events', () => {
    const q = new EventQueue(2);
    for (let i = 0; i < 1000; i++) q.push((i * 7919) % 101, tag, i);
    expect(q.size).toBe(1000);
    const popped = drain(q);
    expect(popped).toHaveLength(1000);
    const expected = Array.from({ length: 1000 }, (_, i) => [(i * 7919) % 101, i] as [number, number]).sort(
      (a, b) => a[0] - b[0] || a[1] - b[1],
    );
    expect(popped).toEqual(expected);
  });

  it('orders any mix of pushes and pops by (time, priority, insertion), like a stable sort', () => {
    // An operation is a push (time, priority) or a pop; the model is a sorted list.
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('push' as const),
        time: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
        priority: fc.integer({ min: -3, max: 3 }),
      }),
      fc.record({ kind: fc.constant('pop' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (ops, capacity) => {
        const q = new EventQueue(capacity);
        const model: { time: number; priority: number; seq: number }[] = [];
        let seq = 0;
        const before = (
          a: { time: number; priority: number; seq: number },
          b: { time: number; priority: number; seq: number },
        ) => a.time - b.time || a.priority - b.priority || a.seq - b.seq;
        for (const o of ops) {
          if (o.kind === 'push') {
            const e = { time: o.time, priority: o.priority, seq: seq++ };
            q.push(e.time, tag, e.seq, e.priority);
            model.push(e);
            model.sort(before);
          } else {
            const expected = model.shift();
            expect(q.pop()).toBe(expected !== undefined);
            if (expected) {
              expect(q.poppedTimeMs).toBe(expected.time);
              expect(q.poppedPayload).toBe(expected.seq);
            }
          }
          expect(q.size).toBe(model.length);
          expect(q.peekTime()).toBe(model[0]?.time ?? Number.POSITIVE_INFINITY);
        }
        expect(drain(q).map(([, p]) => p)).toEqual(model.map((e) => e.seq));
      }),
      { numRuns: 300 },
    );
  });

  it('cancels the worked example: without a, it pops c, d, b; the cancelled handle then does nothing', () => {
    const q = new EventQueue();
    const a = q.push(5, tag, 'a');
    q.push(5, tag, 'b');
    q.push(3, tag, 'c');
    q.push(5, tag, 'd', -1);
    expect(q.cancel(a)).toBe(true);
    expect(q.size).toBe(3);
    expect(q.cancel(a)).toBe(false);
    expect(drain(q)).toEqual([
      [3, 'c'],
      [5, 'd'],
      [5, 'b'],
    ]);
  });

  it('hands out positive integer handles, and ignores values that are not its handles', () => {
    const q = new EventQueue();
    const h = q.push(1, tag, 'x');
    expect(Number.isSafeInteger(h) && h > 0).toBe(true);
    for (const bogus of [0, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, h + 1, h - 1, h * 2 ** 10]) {
      expect(q.cancel(bogus)).toBe(false);
    }
    expect(q.size).toBe(1);
    expect(q.pop()).toBe(true);
    expect(q.cancel(h)).toBe(false); // fired
  });

  it('does not let a stale handle cancel the event that reuses its slot', () => {
    const q = new EventQueue(1);
    const first = q.push(1, tag, 'first');
    q.pop();
    const second = q.push(2, tag, 'second');
    expect(second).not.toBe(first);
    expect(q.cancel(first)).toBe(false);
    expect(drain(q)).toEqual([[2, 'second']]);
  });

  it('retires a slot whose generations run out, so an old handle never names a newer event', () => {
    // Three generations a slot: after three events the slot is not reused; a new one is.
    const q = new EventQueue(1, 3);
    const handles: number[] = [];
    for (let i = 0; i < 10; i++) {
      handles.push(q.push(i, tag, i));
      expect(q.pop()).toBe(true);
      expect(q.poppedPayload).toBe(i);
    }
    expect(new Set(handles).size).toBe(handles.length);
    // A handle is generation x 2^26 + slot: no generation passes the bound (handles stay exact).
    for (const h of handles) expect(Math.floor(h / 2 ** 26)).toBeLessThanOrEqual(3);
    const live = q.push(100, tag, 'live');
    for (const h of handles) expect(q.cancel(h)).toBe(false);
    expect(q.size).toBe(1);
    expect(q.cancel(live)).toBe(true);
  });

  it("lets go of a cancelled event's handler and payload at once, not when its time comes", () => {
    const q = new EventQueue();
    const payload = { big: new Array(1000).fill(0) };
    const handler = () => {};
    const h = q.push(1e9, handler, payload);
    q.push(1, tag, 'other');
    q.cancel(h);
    // White-box: no slot of the queue still holds them (so the garbage collector may take them).
    const held = q as unknown as { handlers: unknown[]; payloads: unknown[] };
    expect(held.payloads.includes(payload)).toBe(false);
    expect(held.handlers.includes(handler)).toBe(false);
  });

  it('pops exactly the uncancelled events in (time, priority, insertion) order under any interleaving of pushes, pops and cancels', () => {
    // An operation is a push (time, priority), a pop, or a cancel of the k-th handle handed out so
    // far (possibly one already popped or cancelled: then a no-op). The model is a sorted list.
    const op = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('push' as const),
          time: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
          priority: fc.integer({ min: -3, max: 3 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('pop' as const) }) },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat({ max: 1000 }) }),
      },
    );
    type Entry = { time: number; priority: number; seq: number };
    const before = (a: Entry, b: Entry) => a.time - b.time || a.priority - b.priority || a.seq - b.seq;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (ops, capacity) => {
        const q = new EventQueue(capacity);
        let model: Entry[] = [];
        const handles: number[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            const e = { time: o.time, priority: o.priority, seq: handles.length };
            handles.push(q.push(e.time, tag, e.seq, e.priority));
            model.push(e);
            model.sort(before);
          } else if (o.kind === 'pop') {
            const expected = model.shift();
            expect(q.pop()).toBe(expected !== undefined);
            if (expected) {
              expect(q.poppedTimeMs).toBe(expected.time);
              expect(q.poppedPayload).toBe(expected.seq);
            }
          } else if (handles.length > 0) {
            const seq = o.pick % handles.length;
            const pending = model.some((e) => e.seq === seq);
            expect(q.cancel(handles[seq]!)).toBe(pending);
            model = model.filter((e) => e.seq !== seq);
          }
          expect(q.size).toBe(model.length);
          expect(q.peekTime()).toBe(model[0]?.time ?? Number.POSITIVE_INFINITY);
        }
        expect(drain(q).map(([, p]) => p)).toEqual(model.map((e) => e.seq));
        // Every handle is spent now: cancelling any of them again changes nothing.
        for (const h of handles) expect(q.cancel(h)).toBe(false);
        expect(q.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
  it('reschedule leaves the queue as cancel then push would: the same pops, handles and slot reuse', () => {
    // Two queues run the same operations; where one moves an event, the other cancels it and
    // pushes it again. A small generation limit also takes the retiring path.
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), time: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('pop' as const) }),
      fc.record({
        kind: fc.constant('move' as const),
        pick: fc.nat(),
        time: fc.integer({ min: 0, max: 50 }),
      }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 2, max: 6 }), (ops, maxGen) => {
        const moved = new EventQueue(4, maxGen);
        const model = new EventQueue(4, maxGen);
        const handles: number[] = [];
        const payloads: number[] = [];
        let next = 0;
        let now = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            const t = now + o.time;
            const h = moved.push(t, tag, next);
            expect(model.push(t, tag, next)).toBe(h);
            handles.push(h);
            payloads.push(next++);
          } else if (o.kind === 'pop') {
            const popped = moved.pop();
            expect(model.pop()).toBe(popped);
            if (popped) {
              expect(model.poppedTimeMs).toBe(moved.poppedTimeMs);
              expect(model.poppedPayload).toBe(moved.poppedPayload);
              now = moved.poppedTimeMs;
            }
          } else if (handles.length > 0) {
            const i = o.pick % handles.length;
            const h = handles[i]!;
            if (o.kind === 'cancel') {
              expect(model.cancel(h)).toBe(moved.cancel(h));
              continue;
            }
            const t = now + o.time;
            const moves = model.cancel(h);
            const expected = moves ? model.push(t, tag, payloads[i]) : 0;
            const got = moved.reschedule(h, t);
            expect(got).toBe(expected);
            if (moves) handles[i] = got;
          }
          expect(moved.size).toBe(model.size);
        }
        expect(drain(moved)).toEqual(drain(model));
      }),
      { numRuns: 300 },
    );
  });
});
