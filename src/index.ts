/**
 * floodgate's public API: what user policies and programmatic users import as `floodgate`.
 * Stable: the policy API, the scenario schema and the run-result JSON. Reading guide:
 * scenario/schema.ts, gateway/policy.ts, simulator/simulate.ts, metrics/result.ts.
 */
export { z } from 'zod';
export { type CapacityResult, capacity } from './compare/capacity.ts';
export { type CompareResult, compare } from './compare/compare.ts';
export { parsePolicyList } from './compare/policy-spec.ts';
export { startEmulator } from './emulator/server.ts';
export type { ErrorCode, ScenarioProblem } from './errors.ts';
export { FloodgateError, ScenarioInvalidError } from './errors.ts';
export type {
  AdmissionDecision,
  AdmissionPolicy,
  AttemptOutcomeView,
  GatewayView,
  PolicyContext,
  PolicyDefinition,
  PolicyKind,
  Rejection,
  RequestView,
  RoutingDecision,
  RoutingPolicy,
  TargetView,
} from './gateway/policy.ts';
export { definePolicy, isRejection, reject } from './gateway/policy.ts';
export type { RunResult } from './metrics/result.ts';
export type { SloVerdict } from './metrics/slo.ts';
export { renderCompareReport, renderRunReport } from './report/index.ts';
export {
  type LoadedScenario,
  loadScenarioFile,
  loadScenarioObject,
  loadScenarioText,
} from './scenario/load.ts';
export { defineScenario, type Scenario, type ScenarioInput } from './scenario/schema.ts';
export { runScenario, simulate } from './simulator/simulate.ts';
