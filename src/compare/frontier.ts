/**
 * Pareto frontiers: among points scored on several criteria, the ones no other point beats.
 * Point a dominates point b when a is at least as good as b on every criterion and strictly
 * better on one; the frontier is every point nothing dominates. Equal points do not dominate
 * each other (both stay on the frontier). Criteria here are "lower is better": negate a figure
 * where higher is better. A missing value (NaN) counts as the worst possible.
 */

const worstIfMissing = (v: number) => (Number.isNaN(v) ? Number.POSITIVE_INFINITY : v);

/** Does a dominate b (all criteria lower is better)? */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let k = 0; k < a.length; k++) {
    const x = worstIfMissing(a[k]!);
    const y = worstIfMissing(b[k]!);
    if (x > y) return false;
    if (x < y) strictly = true;
  }
  return strictly;
}

/** For each point, the indices of the points that dominate it (empty: it is on the frontier). */
export function dominatedBy(points: readonly (readonly number[])[]): number[][] {
  return points.map((p, i) => points.flatMap((q, j) => (j !== i && dominates(q, p) ? [j] : [])));
}

/** The indices of the frontier's points, in input order. */
export function frontierIndices(points: readonly (readonly number[])[]): number[] {
  return dominatedBy(points).flatMap((d, i) => (d.length === 0 ? [i] : []));
}
