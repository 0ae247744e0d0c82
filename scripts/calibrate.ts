/**
 * npm run calibrate [-- --write]: fits the GPU timing coefficients to data/splitwise-perf-model.csv
 * for the calibrated groups and prints measured vs fitted vs roofline with relative errors (the
 * same table as `floodgate calibrate`). --write stores the coefficients in
 * src/providers/gpu/fitted-coefficients.json, which scenarios use by default.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { formatCalibration } from '../src/cli/commands/calibrate.ts';
import { CALIBRATED, calibrate } from '../src/providers/gpu/calibration.ts';
import { parseMeasurements } from '../src/providers/gpu/fit.ts';

const csv = await readFile(new URL('../data/splitwise-perf-model.csv', import.meta.url), 'utf8');
const rows = parseMeasurements(csv);
const groups = CALIBRATED.flatMap((c) => calibrate(rows, c.model, c.hardware, c.tensorParallels));
console.log(formatCalibration(groups));
if (process.argv.includes('--write')) {
  const out = Object.fromEntries(groups.map((g) => [g.key, g.coefficients]));
  await writeFile(
    new URL('../src/providers/gpu/fitted-coefficients.json', import.meta.url),
    `${JSON.stringify(out, null, 2)}\n`,
  );
  console.log('wrote src/providers/gpu/fitted-coefficients.json');
}
