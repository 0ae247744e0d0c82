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
