/** Rate shapes, one per file; `rate-timeline.ts` composes them into r(t). */
export { bursts } from './bursts.ts';
export { diurnal } from './diurnal.ts';
export type { RateModifier } from './modifier.ts';
export { PiecewiseLinear } from './piecewise-linear.ts';
export { RateTimeline } from './rate-timeline.ts';
export { spike } from './spike.ts';
