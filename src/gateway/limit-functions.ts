/**
 * The functions of the current limit that Netflix concurrency-limits' limits are built from, as
 * named choices a scenario can give (never user code): `log10` is `Log10RootIntFunction`
 * (max(1, floor(log10 L)) below 1000, floor(log10 L) from 1000), `sqrt` is `SquareRootFunction`
 * (max(1, floor(sqrt L)) below 1000, floor(sqrt L) from 1000); both take the limit as an int.
 */
import { z } from 'zod';

export type LimitFunctionName = 'log10' | 'sqrt';

/** Netflix's named function of an (int) limit. */
export function limitFunction(name: LimitFunctionName, limit: number): number {
  const i = Math.trunc(limit);
  const f = name === 'log10' ? Math.floor(Math.log10(i)) : Math.floor(Math.sqrt(i));
  return i < 1000 ? Math.max(1, f) : f;
}

const functionName = z.enum(['log10', 'sqrt']);

/**
 * An integer function of the limit: a constant, a named function, or `{ fn, times, atLeast }`
 * = max(atLeast, times x fn(L)) (Netflix's `alpha(3)`, `3 * LOG10(L)`, `SquareRootFunction.create(4)`).
 */
export const limitStepSchema = z.union(
  [
    z.number().int().nonnegative(),
    functionName,
    z.strictObject({
      fn: functionName,
      times: z.number().int().positive().default(1),
      atLeast: z.number().int().nonnegative().default(0),
    }),
  ],
  { error: "expected an integer >= 0, 'log10', 'sqrt' or { fn: log10|sqrt, times, atLeast }" },
);
export type LimitStep = z.infer<typeof limitStepSchema>;

export function limitStep(step: LimitStep, limit: number): number {
  if (typeof step === 'number') return step;
  if (typeof step === 'string') return limitFunction(step, limit);
  return Math.max(step.atLeast, step.times * limitFunction(step.fn, limit));
}

/**
 * How a limit moves up or down: by a step (added on increase, subtracted on decrease) or
 * `{ factor }`, L x factor (Netflix's test `decreaseFunction(current -> current / 2)` is
 * `{ factor: 0.5 }`).
 */
export const limitChangeSchema = z.union(
  [limitStepSchema, z.strictObject({ factor: z.number().positive() })],
  {
    error: "expected an integer >= 0, 'log10', 'sqrt', { fn: log10|sqrt, times, atLeast } or { factor }",
  },
);
export type LimitChange = z.infer<typeof limitChangeSchema>;

/** The limit after an increase (`sign` 1) or a decrease (-1). */
export function applyLimitChange(change: LimitChange, limit: number, sign: 1 | -1): number {
  if (typeof change === 'object' && 'factor' in change) return limit * change.factor;
  return limit + sign * limitStep(change, limit);
}
