import { Command } from 'commander';
import { FloodgateError } from '../../errors.ts';
import { type CalibrationGroup, calibrate, groupsIn } from '../../providers/gpu/calibration.ts';
import { parseMeasurements } from '../../providers/gpu/fit.ts';
import { MAX_TRACE_BYTES, readInputFile } from '../../scenario/read-input.ts';
import { escapeLines } from '../../text/quote.ts';

const pct = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`);
const ms = (x: number | null) => (x === null ? '-' : x.toFixed(1));

export function formatCalibration(groups: readonly CalibrationGroup[]): string {
  const out: string[] = [];
  let worst = 0;
  for (const g of groups) {
    const k = g.coefficients;
    out.push(
      `${g.key}: t = ${k.a.toFixed(2)} + ${k.c.toFixed(4)} x seqs + ${k.d.toExponential(3)} x context + [prefill] max(${k.f.toFixed(2)}, ${k.g.toFixed(2)} + ${k.b.toFixed(4)} x tokens + ${k.e.toExponential(3)} x token pairs)  (ms)`,
    );
    out.push(
      `  ${'point'.padEnd(18)} ${'measured'.padStart(9)} ${'fitted'.padStart(9)} ${'error'.padStart(7)} ${'roofline'.padStart(9)} ${'error'.padStart(7)}`,
    );
    for (const r of g.rows) {
      worst = Math.max(worst, Math.abs(r.fittedError));
      out.push(
        `  ${r.point.padEnd(18)} ${ms(r.measuredMs).padStart(9)} ${ms(r.fittedMs).padStart(9)} ${pct(r.fittedError).padStart(7)} ${ms(r.rooflineMs).padStart(9)} ${pct(r.rooflineError).padStart(7)}`,
      );
    }
    out.push('');
  }
  out.push(`worst fitted error: ${pct(worst)}`);
  return out.join('\n');
}

export function calibrateCommand(): Command {
  return new Command('calibrate')
    .description(
      "Fit GPU iteration-time coefficients to measurements and print the fit error (and the roofline model's).",
    )
    .argument(
      '[csv]',
      "measurements shaped like splitwise-sim's perf_model.csv",
      'data/splitwise-perf-model.csv',
    )
    .option('--model <name>', 'only this model (as named in the CSV)')
    .option('--hardware <name>', 'only this hardware (as named in the CSV)')
    .option('--json', 'print the groups, coefficients and errors as JSON')
    .addHelpText(
      'after',
      '\nThe fitted coefficients go into a scenario as timing: { model: fitted, coefficients: {...} }.\nExit codes: 0 fitted, 1 bad input, 2 bad usage, 70 a bug.',
    )
    .action(async (csv: string, opts: { model?: string; hardware?: string; json?: boolean }) => {
      const text = await readInputFile(csv, {
        context: `${csv}: cannot read the measurements`,
        code: 'FG_TRACE_INVALID',
        maxBytes: MAX_TRACE_BYTES,
      });
      let rows: ReturnType<typeof parseMeasurements>;
      try {
        rows = parseMeasurements(text);
      } catch (e) {
        throw new FloodgateError('FG_TRACE_INVALID', `${csv}: ${(e as Error).message}`);
      }
      const groups = groupsIn(rows)
        .filter(
          (g) => (!opts.model || g.model === opts.model) && (!opts.hardware || g.hardware === opts.hardware),
        )
        .flatMap((g) => calibrate(rows, g.model, g.hardware, g.tensorParallels));
      if (groups.length === 0)
        throw new FloodgateError('FG_TRACE_INVALID', `${csv}: no measurements match the filters`);
      process.stdout.write(
        opts.json ? `${JSON.stringify(groups, null, 2)}\n` : `${escapeLines(formatCalibration(groups))}\n`,
      );
    });
}
