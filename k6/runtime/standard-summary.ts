/**
 * k6's standard end-of-test summary, printed above Floodgate's when the script was compiled with
 * `floodgate k6 --k6-summary`. A script's handleSummary replaces k6's own summary, and k6 (v0.45
 * to v1.x) gives a script no built-in way to print it; its text comes from the k6-summary jslib,
 * which k6 fetches from jslib.k6.io when the test starts. So this module is a stub returning ''
 * (the script stays offline), and src/k6/bundle.ts swaps in the jslib import only when asked.
 */
import type { SummaryData } from './summary.ts';

/** k6's standard text summary of `data` ('' unless the script was compiled with --k6-summary). */
export function standardSummary(_data: SummaryData, _enableColors: boolean): string {
  return '';
}
