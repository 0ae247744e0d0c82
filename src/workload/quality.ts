/**
 * Quality draws at arrival (docs/concepts/quality.md): each request's latent difficulty and the
 * estimate of it a router sees, from the class's own streams `workload/quality/<class>` and
 * `workload/quality/<class>/estimate`. They are new streams, so a scenario without `quality`
 * draws exactly what it did, and every policy faces the same difficulties (FG-3).
 *
 * The estimate is a Gaussian copula of the difficulty: with U the uniform behind the difficulty
 * (difficulty = F^-1(U)), z = Phi^-1(U), the estimate is F^-1(Phi(rho z + sqrt(1 - rho^2) e))
 * with e a standard normal of its own: the same distribution as the difficulty, correlated with it
 * by rho (1: the estimate is the difficulty; 0: it says nothing).
 */
import { normalCdf, normalQuantile, standardNormal } from '../engine/dist/index.ts';
import type { Random, RngStreams } from '../engine/rng.ts';
import type { DifficultySpec, QualityConfig } from '../scenario/schema.ts';
import { betaQuantile } from './beta.ts';

/** The difficulty's inverse CDF on [0, 1) (what `u` uniform maps to). */
export function difficultyQuantile(spec: DifficultySpec): (u: number) => number {
  switch (spec.dist) {
    case 'deterministic':
      return () => spec.value;
    case 'uniform':
      return (u) => spec.min + u * (spec.max - spec.min);
    case 'beta':
      // Validation requires both shapes (scenario/schema.ts).
      return betaQuantile(spec.alpha ?? 1, spec.beta ?? 1);
    case 'empirical': {
      const sorted = [...spec.values].sort((a, b) => a - b);
      const n = sorted.length;
      return (u) => sorted[Math.min(n - 1, Math.floor(u * n))]!;
    }
  }
}

/** The default: uniform on [0, 1], so a capability c accepts a share c of the class. */
const UNIFORM: DifficultySpec = { dist: 'uniform', min: 0, max: 1 };

/** One request's quality facts. */
export interface DifficultyDraw {
  difficulty: number;
  estimate: number;
}

/** Per class, draws a request's difficulty and its estimate. */
export class DifficultyDraws {
  private readonly quantiles: ((u: number) => number)[];
  private readonly rngs: Random[];
  private readonly estimateRngs: Random[];
  private readonly rho: number;
  private readonly noiseScale: number;

  constructor(config: QualityConfig, classNames: readonly string[], streams: RngStreams) {
    this.quantiles = classNames.map((c) =>
      difficultyQuantile(Object.hasOwn(config.difficulty, c) ? config.difficulty[c]! : UNIFORM),
    );
    this.rngs = classNames.map((c) => streams.get(`workload/quality/${c}`));
    this.estimateRngs = classNames.map((c) => streams.get(`workload/quality/${c}/estimate`));
    this.rho = config.estimator.correlation;
    this.noiseScale = Math.sqrt(Math.max(0, 1 - this.rho * this.rho));
  }

  /** Draws the next request of class `classIndex` (one draw from each of its two streams). */
  draw(classIndex: number, out: DifficultyDraw = { difficulty: 0, estimate: 0 }): DifficultyDraw {
    const u = this.rngs[classIndex]!();
    const noise = standardNormal(this.estimateRngs[classIndex]!);
    const quantile = this.quantiles[classIndex]!;
    out.difficulty = quantile(u);
    if (this.rho === 1) out.estimate = out.difficulty;
    else {
      // u may be 0 (a uniform on [0, 1)): keep Phi^-1(u) finite, so rho 0 x z stays 0.
      const z = this.rho * normalQuantile(Math.max(u, Number.MIN_VALUE)) + this.noiseScale * noise;
      // Phi(z) may round to 1: keep it inside [0, 1) like a uniform draw.
      out.estimate = quantile(Math.min(normalCdf(z), 1 - Number.EPSILON));
    }
    return out;
  }
}
