/**
 * FinishHeap pops entries by (finish iteration, admission), whatever order they came in and
 * however pushes and pops interleave (slots of popped entries are reused), and lists every entry
 * it holds through itemAt.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FinishHeap } from '../../../src/providers/gpu/finish-heap.ts';

describe('FinishHeap', () => {
  it('pops by finish, then admission, through interleaved pushes and pops', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant(-1)), { maxLength: 300 }),
        (ops) => {
          const heap = new FinishHeap<{ finish: number; admitted: number }>();
          const reference: { finish: number; admitted: number }[] = [];
          let admitted = 0;
          for (const op of ops) {
            if (op >= 0) {
              const item = { finish: op, admitted: admitted++ };
              heap.push(item, item.finish, item.admitted);
              reference.push(item);
              reference.sort((x, y) => x.finish - y.finish || x.admitted - y.admitted);
            } else {
              expect(heap.peekFinish()).toBe(reference[0]?.finish ?? Number.POSITIVE_INFINITY);
              expect(heap.pop()).toBe(reference.shift());
            }
            expect(heap.size).toBe(reference.length);
            const held = Array.from({ length: heap.size }, (_, i) => heap.itemAt(i));
            expect(new Set(held)).toEqual(new Set(reference));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is empty after clear and takes new entries', () => {
    const heap = new FinishHeap<string>();
    for (let i = 0; i < 100; i++) heap.push(`s${i}`, 100 - i, i);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
    heap.push('a', 3, 1);
    heap.push('b', 2, 2);
    expect(heap.pop()).toBe('b');
    expect(heap.pop()).toBe('a');
  });
});
