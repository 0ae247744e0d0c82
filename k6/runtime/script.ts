/**
 * The body of a generated script, shared by both modes: metrics created at init, the iteration
 * every class scenario runs (plan the request from the seed, send it as the client would, record
 * it; for a session class, play one whole agent session), and handleSummary. The entries
 * (entry-stock.ts, entry-sse.ts) only pick the transport.
 */
import { sleep } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import type { ClassPlan, ScriptConfig } from '../../src/k6/script-config.ts';
import { type RequestResult, sendRequest } from './client.ts';
import { traceRecords } from './config.ts';
import { dialectHeaders, dialectUrl } from './dialect.ts';
import { readEnv } from './env.ts';
import {
  createMetricSet,
  createSessionMetricSet,
  type MetricSet,
  record,
  recordSessionEnd,
  type SessionMetricSet,
} from './metrics.ts';
import { type PlannedRequest, planRequest, type TraceRecordList } from './request.ts';
import { planSession, runSession } from './session.ts';
import { standardSummary } from './standard-summary.ts';
import { buildSummary, formatSummary, type SummaryData } from './summary.ts';
import type { Transport } from './transport.ts';

export interface Script {
  iteration(): void;
  handleSummary(data: SummaryData): Record<string, string>;
}

interface ClassEntry {
  plan: ClassPlan;
  /** Where the class's requests go and the headers they carry, in its dialect. */
  url: string;
  headers: Record<string, string>;
  metrics: MetricSet;
  sessions: SessionMetricSet | null;
  records: TraceRecordList | null;
}

export function createScript(config: ScriptConfig, transport: Transport): Script {
  const env = readEnv(__ENV, config.defaultTarget);
  const byScenario = new Map<string, ClassEntry>();
  for (const plan of config.classes) {
    // Trace sizes live once in a SharedArray, not in every VU.
    const records = plan.trace
      ? (new SharedArray(`floodgate-trace-${plan.name}`, () => traceRecords(plan.name)) as TraceRecordList)
      : null;
    byScenario.set(plan.scenario, {
      plan,
      url: dialectUrl(plan.api, env.target, env.model ?? plan.model, plan.stream),
      headers: dialectHeaders(plan.api, env.apiKey, env.extraHeaders),
      metrics: createMetricSet(plan.metricPrefix),
      sessions: plan.session ? createSessionMetricSet(plan.metricPrefix) : null,
      records,
    });
  }
  const overall = createMetricSet('floodgate');
  const overallSessions = config.classes.some((c) => c.session) ? createSessionMetricSet('floodgate') : null;
  const warmupRequests = new Counter('floodgate_warmup_requests');
  const warmupEndMs = config.scenario.warmupMs * config.timeScale;
  const clock = { now: () => Date.now(), sleep };
  const bodyEnv = { model: env.model, bodyExtra: env.bodyExtra };

  return {
    iteration() {
      const entry = byScenario.get(exec.scenario.name);
      if (!entry) throw new Error(`floodgate: no class runs as k6 scenario '${exec.scenario.name}'`);
      const { plan, metrics, records, url, headers } = entry;
      // Time since the test started: the scenario's own start plus its startTime offset.
      const inWarmup = () => Date.now() - exec.scenario.startTime + plan.startOffsetMs < warmupEndMs;
      // Sends one request; summarised unless it arrived in the warmup (as the run result does).
      const send = (req: PlannedRequest): RequestResult => {
        const warmup = inWarmup();
        const result = sendRequest(plan, req, url, { ...headers, ...req.headers }, transport, clock);
        if (warmup) warmupRequests.add(1);
        else {
          record(metrics, result);
          record(overall, result);
        }
        return result;
      };
      const iteration = exec.scenario.iterationInTest;
      const seed = config.scenario.seed;
      if (plan.session && entry.sessions) {
        // A session is measured when it starts after the warmup; its calls each by their own start.
        const measured = !inWarmup();
        if (measured) {
          entry.sessions.started.add(1);
          overallSessions?.started.add(1);
        }
        const session = planSession(plan, plan.session, seed, iteration, records);
        const end = runSession(plan, plan.session, session, seed, iteration, bodyEnv, send, clock);
        if (measured) {
          recordSessionEnd(entry.sessions, end);
          if (overallSessions) recordSessionEnd(overallSessions, end);
        }
        return;
      }
      send(planRequest(plan, seed, iteration, env.model, env.bodyExtra, records));
    },
    handleSummary(data) {
      const summary = buildSummary(data, config, env.parallelism);
      // k6's standard summary first (--k6-summary), then Floodgate's: k6 prints nothing else.
      const standard = standardSummary(data, data.state?.isStdOutTTY === true);
      const text = `${standard ? `${standard}\n\n` : ''}${formatSummary(summary)}`;
      if (env.summaryPath === 'stdout') return { stdout: `${JSON.stringify(summary)}\n`, stderr: text };
      return { stdout: text, [env.summaryPath]: `${JSON.stringify(summary, null, 2)}\n` };
    },
  };
}
