/**
 * The k6 side exit: a scenario compiled into one k6 script, and the script's summary read back
 * against the simulator's prediction.
 *
 * Reading guide: compile.ts (scenario -> ScriptConfig: stages, VUs, thresholds, what each class
 * sends), then bundle.ts (ScriptConfig + k6/runtime -> one script), observe.ts (run result vs
 * k6 summary). script-config.ts and summary-schema.ts are the two data contracts with the code
 * that runs inside k6 (k6/runtime/); coverage.ts says what becomes of every scenario field.
 */
export { bundleK6Script, scriptImports } from './bundle.ts';
export { type CompiledK6, type CompileOptions, compileK6, DEFAULT_TARGET } from './compile.ts';
export { coverageNotes, SLO_METRICS } from './coverage.ts';
export {
  asK6Summary,
  asRunResult,
  type Comparison,
  compareRun,
  formatComparison,
  parseTolerance,
} from './observe.ts';
export { testRunManifest } from './operator.ts';
export type { ClassPlan, K6Mode, ScriptConfig, TraceRecords } from './script-config.ts';
export { profileIntegral, stagesIntegral, timelineProfile, toK6Stages } from './stages.ts';
export { K6_SUMMARY_SCHEMA, type K6Summary } from './summary-schema.ts';
