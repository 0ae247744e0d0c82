/**
 * npm run calibrate [-- --write]: fits the GPU timing coefficients to data/splitwise-perf-model.csv
 * and prints, for each calibrated group, measured vs fitted vs roofline at each calibration point
 * with the relative errors. --write stores the coefficients in
 * src/providers/gpu/fitted-coefficients.json (what scenarios use by default).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { CALIBRATED, calibrate } from '../src/providers/gpu/calibration.ts';
import { parseMeasurements } from '../src/providers/gpu/fit.ts';

const csv = await readFile(new URL('../data/splitwise-perf-model.csv', import.meta.url), 'utf8');
const rows = parseMeasurements(csv);
const groups = CALIBRATED.flatMap((c) => calibrate(rows, c.model, c.hardware, c.tensorParallels));
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
let worstFitted = 0;
let worstRoofline = 0;
for (const g of groups) {
  const k = g.coefficients;
  console.log(
    `\n${g.key}: t = ${k.a.toFixed(3)} + ${k.b.toExponential(3)} x prefill + ${k.c.toExponential(3)} x seqs + ${k.d.toExponential(3)} x context + ${k.e.toExponential(3)} x attention with prefill max(${k.f.toFixed(2)}, ${k.g.toFixed(2)} + ...) (ms)`,
  );
  console.log(
    `  ${'point'.padEnd(18)} ${'measured'.padStart(10)} ${'fitted'.padStart(10)} ${'error'.padStart(8)} ${'roofline'.padStart(10)} ${'error'.padStart(8)}`,
  );
  for (const r of g.rows) {
    worstFitted = Math.max(worstFitted, Math.abs(r.fittedError));
    worstRoofline = Math.max(worstRoofline, Math.abs(r.rooflineError));
    console.log(
      `  ${r.point.padEnd(18)} ${r.measuredMs.toFixed(1).padStart(10)} ${r.fittedMs.toFixed(1).padStart(10)} ${pct(r.fittedError).padStart(8)} ${r.rooflineMs.toFixed(1).padStart(10)} ${pct(r.rooflineError).padStart(8)}`,
    );
  }
}
console.log(`\nworst |error|: fitted ${pct(worstFitted)} (target <= 15%), roofline ${pct(worstRoofline)}`);
if (process.argv.includes('--write')) {
  const out = Object.fromEntries(groups.map((g) => [g.key, g.coefficients]));
  await writeFile(
    new URL('../src/providers/gpu/fitted-coefficients.json', import.meta.url),
    `${JSON.stringify(out, null, 2)}\n`,
  );
  console.log('wrote src/providers/gpu/fitted-coefficients.json');
}
