import type { TimelineEntry } from '../../scenario/schema.ts';
import { bursts } from './bursts.ts';
import { diurnal } from './diurnal.ts';
import type { RateModifier } from './modifier.ts';
import { PiecewiseLinear } from './piecewise-linear.ts';
import { spike } from './spike.ts';

/**
 * RateTimeline: r(t) in requests per second = base(t) x product of modifiers(t). The base is
 * piecewise linear (rate, ramps, steps); spikes, diurnal waves and bursts multiply it. The same
 * function drives the simulator's arrivals and the k6 compiler's stages.
 */
export class RateTimeline {
  readonly base: PiecewiseLinear;
  readonly modifiers: readonly RateModifier[];

  constructor(baseRps: number, entries: readonly TimelineEntry[]) {
    this.base = new PiecewiseLinear(baseRps);
    const mods: RateModifier[] = [];
    const ramps = entries
      .map((e) =>
        'ramp' in e
          ? e.ramp
          : 'step' in e
            ? { at: e.step.at, over: 0, to: e.step.rate, from: undefined }
            : undefined,
      )
      .filter((r) => r !== undefined)
      .sort((a, b) => a.at - b.at);
    for (const r of ramps) this.base.addRamp(r.at, r.over, r.to, r.from);
    for (const e of entries) {
      if ('spike' in e) mods.push(spike(e.spike));
      else if ('diurnal' in e) mods.push(diurnal(e.diurnal));
      else if ('bursts' in e) mods.push(bursts(e.bursts));
    }
    this.modifiers = mods;
  }

  /** Requests per second at time t (ms). */
  rateAt(tMs: number): number {
    let r = this.base.valueAt(tMs);
    for (const m of this.modifiers) r *= m.value(tMs);
    return r;
  }

  /** An upper bound of rateAt on [t0, t1] (exact for the base; product of modifier bounds). */
  maxOver(t0Ms: number, t1Ms: number): number {
    let r = this.base.maxOver(t0Ms, t1Ms);
    for (const m of this.modifiers) r *= m.maxOver(t0Ms, t1Ms);
    return r;
  }

  get isConstant(): boolean {
    return this.modifiers.length === 0 && this.base.isConstant;
  }

  /** Expected arrivals in [t0, t1] (trapezoid rule on a fine grid; for sizing and tests). */
  expectedCount(t0Ms: number, t1Ms: number, stepMs = 1000): number {
    let total = 0;
    for (let t = t0Ms; t < t1Ms; t += stepMs) {
      const b = Math.min(t + stepMs, t1Ms);
      total += ((this.rateAt(t) + this.rateAt(b)) / 2) * ((b - t) / 1000);
    }
    return total;
  }
}
