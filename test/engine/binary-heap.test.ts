import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryHeap } from '../../src/engine/binary-heap.ts';

type Item = { key: number; id: number };
const before = (a: Item, b: Item) => a.key < b.key || (a.key === b.key && a.id < b.id);

describe('BinaryHeap', () => {
  it('is empty at first: size 0, peek and pop undefined', () => {
    const h = new BinaryHeap<Item>(before);
    expect(h.size).toBe(0);
    expect(h.peek()).toBeUndefined();
    expect(h.pop()).toBeUndefined();
  });

  it('pops any mix of pushes and pops in the order of its total order, like a sort', () => {
    const op = fc.oneof(
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 20 }) },
      { weight: 1, arbitrary: fc.constant('pop' as const) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const h = new BinaryHeap<Item>(before);
        let model: Item[] = [];
        let id = 0;
        for (const o of ops) {
          if (o === 'pop') {
            model.sort((a, b) => a.key - b.key || a.id - b.id);
            expect(h.pop()).toBe(model.shift());
          } else {
            const item = { key: o, id: id++ };
            h.push(item);
            model.push(item);
          }
          expect(h.size).toBe(model.length);
          model = [...model].sort((a, b) => a.key - b.key || a.id - b.id);
          expect(h.peek()).toBe(model[0]);
        }
        h.clear();
        expect(h.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
