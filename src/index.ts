/**
 * floodgate's public API: what user policies and programmatic users import as
 * `@floodgate-sim/floodgate` (user modules run by the CLI may still say `floodgate`). Built into
 * dist/index.js and its types by scripts/build.mjs and tsconfig.build.json. Stable: the policy
 * API, the scenario schema and the run-result JSON. Reading guide: scenario/schema.ts,
 * gateway/policy.ts, simulator/simulate.ts, metrics/result.ts.
 */
export { z } from 'zod';
export { type CapacityOptions, type CapacityResult, capacity } from './compare/capacity.ts';
export { type CompareOptions, type CompareResult, compare } from './compare/compare.ts';
export { parsePolicyList } from './compare/policy-spec.ts';
export { type Emulator, type EmulatorOptions, startEmulator } from './emulator/server.ts';
export type { ErrorCode, ScenarioProblem } from './errors.ts';
export { FloodgateError, ScenarioInvalidError } from './errors.ts';
export type {
  AdmissionDecision,
  AdmissionPolicy,
  AttemptOutcomeView,
  GatewayView,
  HealthPolicy,
  PolicyContext,
  PolicyDefinition,
  PolicyKind,
  Rejection,
  RequestView,
  RouteContext,
  RoutingDecision,
  RoutingPolicy,
  ScrapedMetrics,
  TargetGroup,
  TargetView,
} from './gateway/policy.ts';
export { definePolicy, isRejection, reject } from './gateway/policy.ts';
export type { RunResult } from './metrics/result-types.ts';
export type { SloVerdict } from './metrics/slo.ts';
export {
  type CompareReportOptions,
  type RunReportOptions,
  renderCompareReport,
  renderRunReport,
} from './report/index.ts';
export {
  type LoadedScenario,
  type LoadOptions,
  loadScenarioFile,
  loadScenarioObject,
  loadScenarioText,
} from './scenario/load.ts';
export { defineScenario, type Scenario, type ScenarioInput } from './scenario/schema.ts';
export { runScenario, type SimulateOptions, simulate } from './simulator/simulate.ts';
