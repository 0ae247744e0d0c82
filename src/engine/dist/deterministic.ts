import type { Distribution } from './distribution.ts';

/** Always `value` (M/D/1 service, fixed think times). Draws nothing from the stream. */
export function deterministic(value: number): Distribution {
  return { kind: 'deterministic', mean: value, sample: () => value };
}
