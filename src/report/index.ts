/**
 * HTML reports for design reviews: one self-contained file per run or comparison (style, data and
 * the d3 chart code inline; nothing fetched at view time). Reading guide: `run-report.ts` (what a
 * run report holds), `model.ts` (the data the charts get), `client/main.ts` (how they are drawn).
 * Reports render result JSON plus the validated scenario; they never re-simulate.
 */

export { type CapacityReportOptions, renderCapacityReport } from './capacity-report.ts';
export { type CompareReportOptions, renderCompareReport } from './compare-report.ts';
export type { ReportData } from './model.ts';
export { type PlanReportOptions, renderPlanReport } from './plan-report.ts';
export { type RunReportOptions, renderRunReport } from './run-report.ts';
export { renderSweepReport, type SweepReportOptions } from './sweep-report.ts';
