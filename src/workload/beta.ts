/**
 * The beta distribution on [0, 1] for request difficulty (docs/concepts/quality.md): its CDF, the
 * regularized incomplete beta function I_x(alpha, beta), from its continued fraction
 * (Abramowitz and Stegun 26.5.8, evaluated by the modified Lentz method), and its quantile by
 * bisection on the CDF, which is monotone, so every u in [0, 1) maps to one difficulty.
 */

/** ln Gamma(x) for x > 0 (Lanczos approximation, g = 7, about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.999_999_999_999_809_9, 676.520_368_121_885_1, -1_259.139_216_722_402_8, 771.323_428_777_653_1,
    -176.615_029_162_140_6, 12.507_343_278_686_905, -0.138_571_095_265_720_12, 9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
  ];
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const TINY = 1e-300;

/** The continued fraction of I_x(a, b), converging fast for x < (a + 1) / (a + b + 2). */
function continuedFraction(x: number, a: number, b: number): number {
  const guard = (v: number) => (Math.abs(v) < TINY ? TINY : v);
  let c = 1;
  let d = 1 / guard(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    // The even step, then the odd step, of the fraction's terms.
    const even = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 / guard(1 + even * d);
    c = guard(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 / guard(1 + odd * d);
    c = guard(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** P(X <= x) for X ~ Beta(a, b): the regularized incomplete beta function I_x(a, b). */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - (logGamma(a) + logGamma(b) - logGamma(a + b));
  const front = Math.exp(logFront);
  // The fraction converges on the side of the mean; the other side by symmetry.
  if (x < (a + 1) / (a + b + 2)) return (front * continuedFraction(x, a, b)) / a;
  return 1 - (front * continuedFraction(1 - x, b, a)) / b;
}

/** The beta distribution's quantile function on [0, 1), for drawing by inversion. */
export function betaQuantile(a: number, b: number): (u: number) => number {
  return (u) => {
    if (u <= 0) return 0;
    let lo = 0;
    let hi = 1;
    // 60 halvings take the bracket below double precision's resolution on [0, 1].
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (betaCdf(mid, a, b) < u) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
}
