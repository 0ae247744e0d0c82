/**
 * Label layout for the charts, without a browser: band labels take lanes so none covers another,
 * and long policy labels wrap at their natural breaks instead of being cut.
 */
import { describe, expect, it } from 'vitest';
import { labelLanes, spreadLabels } from '../../src/report/client/lanes.ts';
import { labelPieces, wrapLabel } from '../../src/report/client/wrap-label.ts';

const px = (s: string) => 6 * s.length;

describe('labelLanes(boxes, maxLanes)', () => {
  it('gives a label starting where another starts the next lane (a fault and its not-recovered stretch)', () => {
    // retry-storm: "backend brownout 30s" at the brownout's start, "metastable: not recovered"
    // where it ends, 50 px later; the warmup and drain far away.
    expect(
      labelLanes(
        [
          { x: 3, width: 40 },
          { x: 300, width: 110 },
          { x: 350, width: 130 },
          { x: 1000, width: 25 },
        ],
        4,
      ),
    ).toEqual([0, 0, 1, 0]);
  });

  it('reuses the first lane that is free again, and keeps labels at one x in input order', () => {
    expect(
      labelLanes(
        [
          { x: 100, width: 50 },
          { x: 100, width: 50 },
          { x: 100, width: 50 },
          { x: 160, width: 10 },
        ],
        4,
      ),
    ).toEqual([0, 1, 2, 0]);
  });

  it('leaves a label out (null) when every lane is taken there', () => {
    expect(
      labelLanes(
        [
          { x: 0, width: 100 },
          { x: 10, width: 100 },
          { x: 20, width: 100 },
        ],
        2,
      ),
    ).toEqual([0, 1, null]);
  });

  it('never puts two overlapping labels in one lane', () => {
    const boxes = Array.from({ length: 60 }, (_, i) => ({ x: (i * 37) % 400, width: 20 + ((i * 53) % 90) }));
    const lanes = labelLanes(boxes, 5);
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        if (lanes[i] === null || lanes[i] !== lanes[j]) continue;
        const [a, b] = [boxes[i]!, boxes[j]!];
        expect(a.x + a.width <= b.x || b.x + b.width <= a.x, `labels ${i} and ${j}`).toBe(true);
      }
  });
});

describe('spreadLabels(ys, gap, lo, hi)', () => {
  it('moves apart two SLO labels at one height (tab-spike: chat and agent TTFT p99 both 2.5 s)', () => {
    expect(spreadLabels([50, 50, 200], 11, 0, 300)).toEqual([50, 61, 200]);
  });

  it('keeps labels in order and inside [lo, hi], pushing up from the bottom', () => {
    expect(spreadLabels([297, 295, 296], 11, 0, 300)).toEqual([300, 278, 289]);
    expect(spreadLabels([2, 2], 11, 8, 300)).toEqual([8, 19]);
  });

  it('leaves labels far enough apart where they are', () => {
    expect(spreadLabels([100, 20, 60], 11, 0, 300)).toEqual([100, 20, 60]);
  });
});

describe('wrapLabel(label, width, maxWidth, maxLines)', () => {
  it('breaks after + , - and before (', () => {
    expect(labelPieces('least-outstanding+concurrency-limit(limit=60)')).toEqual([
      'least-',
      'outstanding+',
      'concurrency-',
      'limit',
      '(limit=60)',
    ]);
    expect(labelPieces('round-robin')).toEqual(['round-', 'robin']);
  });

  it('keeps a short label on one line', () => {
    expect(wrapLabel('round-robin', px, 120, 3)).toEqual({ lines: ['round-robin'], cut: false });
  });

  it('wraps a long policy entry onto lines that together read the whole label', () => {
    const label = 'least-outstanding+concurrency-limit(limit=60)';
    const w = wrapLabel(label, px, 120, 3);
    expect(w).toEqual({ lines: ['least-outstanding+', 'concurrency-limit', '(limit=60)'], cut: false });
    expect(w.lines.join('')).toBe(label);
  });

  it('splits a piece wider than a line by characters', () => {
    const w = wrapLabel('x'.repeat(25), px, 60, 3);
    expect(w.lines).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    for (const line of w.lines) expect(px(line)).toBeLessThanOrEqual(60);
  });

  it('ends the last kept line with an ellipsis past maxLines, and says it cut', () => {
    const w = wrapLabel('a-b-c-d-e-f-g-h', px, 24, 2);
    expect(w).toEqual({ lines: ['a-b-', 'c-d…'], cut: true });
  });
});
