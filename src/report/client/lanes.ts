/**
 * Lanes for chart labels that would otherwise be drawn on top of each other (a fault's label and
 * the "metastable: not recovered" label both start where the fault starts). Pure: the caller
 * measures each label, this picks a lane for it.
 *
 * Example: labelLanes([{ x: 0, width: 50 }, { x: 20, width: 40 }, { x: 80, width: 10 }], 3)
 *          = [0, 1, 0]
 */

export interface LabelBox {
  /** Left edge, in pixels. */
  x: number;
  width: number;
}

/**
 * A lane per label, left to right: the first lane whose last label ends at least `gap` pixels
 * before this one starts, or null when all `maxLanes` are taken there (the caller leaves that
 * label out; the band keeps its tooltip). Labels with equal x keep their input order.
 */
export function labelLanes(boxes: readonly LabelBox[], maxLanes: number, gap = 6): (number | null)[] {
  const order = boxes.map((_, i) => i).sort((a, b) => boxes[a]!.x - boxes[b]!.x || a - b);
  const ends: number[] = [];
  const lanes: (number | null)[] = boxes.map(() => null);
  for (const i of order) {
    const b = boxes[i]!;
    let lane = ends.findIndex((end) => end + gap <= b.x);
    if (lane < 0 && ends.length < maxLanes) lane = ends.length;
    if (lane < 0) continue;
    ends[lane] = b.x + b.width;
    lanes[i] = lane;
  }
  return lanes;
}

/**
 * Moves labels placed at `ys` (their baselines, in pixels) apart vertically so that any two are
 * at least `gap` apart, keeping their order and staying as close to where they were as it can
 * within [lo, hi]. For labels beside lines that can sit at the same height (two SLO limits).
 *
 * Example: spreadLabels([50, 52, 200], 11, 0, 300) = [50, 61, 200]
 */
export function spreadLabels(ys: readonly number[], gap: number, lo: number, hi: number): number[] {
  const order = ys.map((_, i) => i).sort((a, b) => ys[a]! - ys[b]! || a - b);
  const placed = order.map((i) => Math.max(lo, Math.min(hi, ys[i]!)));
  for (let k = 1; k < placed.length; k++) placed[k] = Math.max(placed[k]!, placed[k - 1]! + gap);
  for (let k = placed.length - 1; k >= 0; k--) {
    if (placed[k]! > hi) placed[k] = hi;
    if (k < placed.length - 1) placed[k] = Math.min(placed[k]!, placed[k + 1]! - gap);
  }
  const out: number[] = ys.map(() => 0);
  order.forEach((i, k) => {
    out[i] = placed[k]!;
  });
  return out;
}
