/**
 * The body of a generated script, shared by both modes: metrics created at init, the iteration
 * every class scenario runs (plan the request from the seed, send it as the client would, record
 * it), and handleSummary. The entries (entry-stock.ts, entry-sse.ts) only pick the transport.
 */
import { sleep } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import type { ClassPlan, ScriptConfig } from '../../src/k6/script-config.ts';
import { sendRequest } from './client.ts';
import { traceRecords } from './config.ts';
import { readEnv } from './env.ts';
import { createMetricSet, type MetricSet, record } from './metrics.ts';
import { planRequest, type TraceRecordList } from './request.ts';
import { buildSummary, formatSummary, type SummaryData } from './summary.ts';
import type { Transport } from './transport.ts';

export interface Script {
  iteration(): void;
  handleSummary(data: SummaryData): Record<string, string>;
}

export function createScript(config: ScriptConfig, transport: Transport): Script {
  const env = readEnv(__ENV, config.defaultTarget);
  const byScenario = new Map<
    string,
    { plan: ClassPlan; metrics: MetricSet; records: TraceRecordList | null }
  >();
  for (const plan of config.classes) {
    // Trace sizes live once in a SharedArray, not in every VU.
    const records = plan.trace
      ? (new SharedArray(`floodgate-trace-${plan.name}`, () => traceRecords(plan.name)) as TraceRecordList)
      : null;
    byScenario.set(plan.scenario, { plan, metrics: createMetricSet(plan.metricPrefix), records });
  }
  const overall = createMetricSet('floodgate');
  const warmupRequests = new Counter('floodgate_warmup_requests');
  const warmupEndMs = config.scenario.warmupMs * config.timeScale;
  const clock = { now: () => Date.now(), sleep };

  return {
    iteration() {
      const entry = byScenario.get(exec.scenario.name);
      if (!entry) throw new Error(`floodgate: no class runs as k6 scenario '${exec.scenario.name}'`);
      const { plan, metrics, records } = entry;
      // Time since the test started: the scenario's own start plus its startTime offset.
      const inWarmup = Date.now() - exec.scenario.startTime + plan.startOffsetMs < warmupEndMs;
      const req = planRequest(
        plan,
        config.scenario.seed,
        exec.scenario.iterationInTest,
        env.model,
        env.bodyExtra,
        records,
      );
      const result = sendRequest(plan, req, env.url, { ...env.headers, ...req.headers }, transport, clock);
      if (inWarmup) {
        warmupRequests.add(1);
        return;
      }
      record(metrics, result);
      record(overall, result);
    },
    handleSummary(data) {
      const summary = buildSummary(data, config, env.parallelism);
      const text = formatSummary(summary);
      if (env.summaryPath === 'stdout') return { stdout: `${JSON.stringify(summary)}\n`, stderr: text };
      return { stdout: text, [env.summaryPath]: `${JSON.stringify(summary, null, 2)}\n` };
    },
  };
}
