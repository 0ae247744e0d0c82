/**
 * Exports of a run for the tools users already have: the time series as CSV and as OpenMetrics
 * (Prometheus backfill, Grafana), the SLO and recovery verdicts as JUnit XML (CI test reports),
 * and per-request samples as CSV or JSON Lines. Each is a pure function of the result (samples:
 * of the sampler's reservoir); the CLI writes the files. docs/guide/exports.md is the guide.
 */
export { csvField, timeSeriesCsv } from './csv.ts';
export { runJunit, xmlEscape } from './junit.ts';
export { escapeLabelValue, metricFamilies, type OpenMetricsOptions, runOpenMetrics } from './openmetrics.ts';
export { type SamplesFormat, samplesFormatOf, samplesText } from './samples.ts';
