import { Command, InvalidArgumentError } from 'commander';
import { FloodgateError } from '../../errors.ts';
import { asK6Summary, asRunResult, compareRun, formatComparison, parseTolerance } from '../../k6/observe.ts';
import { MAX_TRACE_BYTES, readInputFile } from '../../scenario/read-input.ts';
import { EXIT } from '../exit-codes.ts';

function tolerance(value: string): number {
  try {
    return parseTolerance(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

async function readJson(file: string): Promise<unknown> {
  const text = await readInputFile(file, {
    context: `${file}: cannot read`,
    code: 'FG_SCENARIO_UNREADABLE',
    maxBytes: MAX_TRACE_BYTES,
  });
  try {
    return JSON.parse(text);
  } catch (e) {
    // The parser's message quotes the text: say only where it went wrong.
    const at = /at position (\d+)/.exec((e as Error).message);
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `${file}: expected JSON, ${at ? `invalid at character ${Number(at[1]) + 1}` : 'got text that is not JSON'}`,
    );
  }
}

/** `floodgate observe`: the simulator's prediction against what a k6 run observed. */
export function observeCommand(): Command {
  return new Command('observe')
    .description(
      'Compare a simulator run result (predicted) with the summary of a k6 run of the same scenario (observed), per class and overall.',
    )
    .requiredOption('--predicted <file>', 'run-result JSON from `floodgate run --out`')
    .requiredOption('--observed <file>', 'summary JSON written by a `floodgate k6` script')
    .option('--tolerance <t>', 'largest relative difference that passes (20% or 0.2)', tolerance, 0.2)
    .option('--json', 'print the comparison as JSON')
    .addHelpText(
      'after',
      `
Rows: TTFT and E2E p50/p90/p99, error share, rate-limited share, offered and completed requests per
second (both sides' rates divided by their --rate-scale). Shares within 1 percentage point pass.
A prediction of the k6 run itself (floodgate run --time-scale F --rate-scale R --topology
direct|gateway) is read as such; a note says when its scales differ from the k6 run's.

Example:
  floodgate run scenarios/quickstart.yaml --topology gateway --out reports/quickstart.json
  floodgate observe --predicted reports/quickstart.json --observed floodgate-k6-summary.json --tolerance 25%

Exit codes: 0 every row within tolerance, 3 some row differs, 1 bad input, 2 bad usage, 70 a bug.`,
    )
    .action(async (opts: { predicted: string; observed: string; tolerance: number; json?: boolean }) => {
      const predicted = asRunResult(await readJson(opts.predicted), opts.predicted);
      const observed = asK6Summary(await readJson(opts.observed), opts.observed);
      const comparison = compareRun(predicted, observed, { tolerance: opts.tolerance });
      process.stdout.write(
        opts.json ? `${JSON.stringify(comparison, null, 2)}\n` : `${formatComparison(comparison)}\n`,
      );
      process.exitCode = comparison.pass ? EXIT.ok : EXIT.sloFailed;
    });
}
