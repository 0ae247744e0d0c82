/** The human summary of a run: counts, per-class and per-provider tables, SLO verdicts. */

import { disaggregationFigures } from '../metrics/disaggregation-details.ts';
import { fleetCostUsd } from '../metrics/result.ts';
import type { QualityBlock, RejectionCount, RunResult } from '../metrics/result-types.ts';
import type { SloVerdict } from '../metrics/slo.ts';
import { escapeLines, shorten } from '../text/quote.ts';
import { fmtInt, fmtMs, fmtPct, fmtUsd, table } from './output.ts';

export function formatSummary(r: RunResult, wallMs?: number): string {
  const q = r.requests;
  const lines: string[] = [];
  const speed = wallMs
    ? `, ${fmtMs(r.endMs)} simulated in ${(wallMs / 1000).toFixed(2)} s (${fmtInt(r.events)} events, ${fmtInt(r.events / (wallMs / 1000))} events/s)`
    : '';
  lines.push(`${shorten(r.scenario.name, 120)}  seed ${r.seed}${speed}`);
  lines.push('');
  lines.push(
    `requests  offered ${fmtInt(q.offered)}  completed ${fmtInt(q.completed)} (${fmtPct(q.completedShare)})  shed ${fmtInt(q.shed)}  rate-limited ${fmtInt(q.rateLimited)}  failed ${fmtInt(q.failed)}  timed out ${fmtInt(q.timedOut)}  abandoned ${fmtInt(q.abandoned)}${q.cancelled ? `  cancelled ${fmtInt(q.cancelled)}` : ''}${q.unfinished ? `  unfinished ${fmtInt(q.unfinished)}` : ''}`,
  );
  lines.push(
    `attempts  ${fmtInt(q.attempts)} (x${q.amplification.toFixed(2)})  client retries ${fmtInt(q.clientRetries)}  gateway retries ${fmtInt(q.gatewayRetries)}${q.retriesDenied ? ` (${fmtInt(q.retriesDenied)} denied by budget)` : ''}${q.hedges ? `  hedges ${fmtInt(q.hedges)}` : ''}  goodput ${q.goodputPerSec.toFixed(2)}/s (${fmtPct(q.goodputShare)})  cost ${fmtUsd(r.cost.totalUsd)}${r.cost.fleetUsd ? ` + fleet ${fmtUsd(r.cost.fleetUsd)}` : ''}${r.cost.wastedUsd ? ` (${fmtUsd(r.cost.wastedUsd)} on cancelled requests)` : ''}`,
  );
  if (r.rejections.length > 0) lines.push(`rejections  ${formatRejections(r.rejections)}`);
  if (r.sessions) {
    const s = r.sessions;
    lines.push(
      `sessions  started ${fmtInt(s.started)}  completed ${fmtInt(s.completed)} (${fmtPct(s.successShare)})  aborted ${fmtInt(s.aborted)}  duration p50 ${fmtMs(s.duration.p50)} p99 ${fmtMs(s.duration.p99)}  calls ${s.callsPerSession.toFixed(1)}/session  cost ${fmtUsd(s.costPerSessionUsd)}/session`,
    );
  }
  if (r.quality) lines.push(`quality  ${formatQuality(r.quality)}`);
  lines.push('');
  const classRows = [
    [
      'class',
      'offered',
      'ok',
      'goodput',
      'ttft p50',
      'ttft p99',
      'tpot p50',
      'e2e p50',
      'e2e p99',
      'wait mean',
      'cost',
    ],
  ];
  for (const [name, c] of Object.entries(r.classes)) {
    classRows.push([
      name,
      fmtInt(c.requests.offered),
      fmtPct(c.requests.completedShare),
      fmtPct(c.requests.goodputShare),
      fmtMs(c.latency.ttft.p50),
      fmtMs(c.latency.ttft.p99),
      fmtMs(c.latency.tpot.p50),
      fmtMs(c.latency.e2e.p50),
      fmtMs(c.latency.e2e.p99),
      fmtMs(c.latency.queueWait.mean),
      fmtUsd(c.cost.totalUsd),
    ]);
  }
  lines.push(table(classRows));
  if (r.quality) {
    const qualityRows = [['class', 'acceptable', 'quality goodput', 'cost/acceptable', 'escalations']];
    for (const [name, c] of Object.entries(r.classes)) {
      const q = c.quality;
      if (!q) continue;
      qualityRows.push([
        name,
        `${fmtInt(q.acceptable)} (${fmtPct(q.acceptableShare)})`,
        `${q.qualityGoodputPerSec.toFixed(2)}/s (${fmtPct(q.qualityGoodputShare)})`,
        q.costPerAcceptableUsd === null ? '-' : fmtUnitUsd(q.costPerAcceptableUsd),
        fmtInt(q.escalations),
      ]);
    }
    lines.push('');
    lines.push(table(qualityRows));
  }
  lines.push('');
  const providerRows = [
    ['provider', 'kind', 'attempts', 'ok', 'errors', 'util', 'wait mean', 'wait p99', 'cost'],
  ];
  for (const [name, p] of Object.entries(r.providers)) {
    const ok = p.statuses['ok'] ?? 0;
    const errors = Object.entries(p.statuses)
      .filter(([s]) => s !== 'ok')
      .map(([s, n]) => `${s} ${fmtInt(n)}`)
      .join(', ');
    // A pool's cost is its fleet (replica-hours) plus any token prices.
    const fleet = fleetCostUsd(p.details);
    providerRows.push([
      name,
      p.kind,
      fmtInt(p.attempts),
      fmtInt(ok),
      errors || '0',
      fmtPct(p.utilization),
      fmtMs(p.queueWait.mean),
      fmtMs(p.queueWait.p99),
      fmtUsd(p.costUsd + fleet),
    ]);
  }
  lines.push(table(providerRows));
  for (const line of autoscalingLines(r)) lines.push(line);
  for (const line of offloadLines(r)) lines.push(line);
  for (const line of disaggregationLines(r)) lines.push(line);
  if (r.slos.length > 0) {
    lines.push('');
    lines.push(`SLOs: ${r.slos.filter((s) => s.pass).length}/${r.slos.length} pass`);
    for (const s of r.slos)
      lines.push(`  ${s.pass ? 'PASS' : 'FAIL'}  ${s.name}  (observed ${formatObserved(s)})`);
  }
  if (r.recovery) {
    const rc = r.recovery;
    lines.push('');
    lines.push(`Recovery: ${rc.verdict}`);
    for (const t of rc.triggers)
      lines.push(
        `  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name} (${fmtMs(t.startMs)}-${fmtMs(t.endMs)}): ${t.verdict}, ${t.reason}`,
      );
  }
  // Names come from the scenario: no terminal escape sequence gets through.
  return escapeLines(lines.join('\n'));
}

/** `acceptable 9,652 (95.8%)  quality goodput 48.26/s (95.8%)  cost $0.01132/acceptable  router calls 10,076 ($1.01)  escalations 4,907`. */
/**
 * One line per disaggregated pool: `disaggregated pool: 3 prefill + 1 decode replicas, 965 requests
 * disaggregated, 0 colocated; KV transfer p50 37.1 ms p99 82.8 ms, KV wait p99 16.1 ms; prefill 57.3%
 * busy, decode 91.6%; decode step 11.1 ms (with prefill beside it: -, 0.0% of steps)`.
 */
function disaggregationLines(r: RunResult): string[] {
  const lines: string[] = [];
  for (const [name, p] of Object.entries(r.providers)) {
    const f = disaggregationFigures(p.details);
    if (!f) continue;
    const mixed = f.decodeStepMsWithPrefill > 0 ? fmtMs(f.decodeStepMsWithPrefill) : '-';
    lines.push(
      `disaggregated ${name}: ${f.prefillReplicas} prefill + ${f.decodeReplicas} decode replicas, ${fmtInt(f.disaggregated)} requests disaggregated, ${fmtInt(f.colocated)} colocated; KV transfer p50 ${fmtMs(f.kvTransferMsP50)} p99 ${fmtMs(f.kvTransferMsP99)}, KV wait p99 ${fmtMs(f.kvWaitMsP99)}; prefill ${fmtPct(f.prefillUtilization)} busy, decode ${fmtPct(f.decodeUtilization)}; decode step ${fmtMs(f.decodeStepMsPure)} (with prefill beside it: ${mixed}, ${fmtPct(f.decodeStepsWithPrefillShare)} of steps)`,
    );
  }
  return lines;
}

/** One line per autoscaled pool: the peak and final desired replicas, how many it ever had, replica-hours billed. */
function autoscalingLines(r: RunResult): string[] {
  const lines: string[] = [];
  for (const [name, p] of Object.entries(r.timeseries.providers)) {
    const desired = p.replicasDesired?.filter((v): v is number => v !== null);
    if (!desired || desired.length === 0) continue;
    const d = r.providers[name]?.details;
    const billed = typeof d?.['replicaHoursBilled'] === 'number' ? d['replicaHoursBilled'] : 0;
    const ever = d?.['replicasEver'];
    const nodes = p.nodesRequested?.filter((v): v is number => v !== null);
    const billing =
      nodes && nodes.length > 0
        ? `on nodes: peak ${Math.max(...nodes)}, ${nodes.at(-1)} at the end (${d?.['nodesEver'] ?? '?'} in all), ${Number(d?.['nodeHoursBilled'] ?? 0).toFixed(2)} node-hours billed`
        : `${billed.toFixed(2)} replica-hours billed`;
    lines.push(
      `autoscaled ${name}: peak ${Math.max(...desired)} replicas, ${desired.at(-1)} at the end (${ever ?? '?'} in all), ${billing}, fleet ${fmtUsd(fleetCostUsd(d))}`,
    );
  }
  return lines;
}

/** `kv offload pool: GPU prefix cache 41.2% of prompt tokens, CPU tier 18.0% (1,204 loads, 9.8s of transfer)`: pools with a CPU tier only. */
function offloadLines(r: RunResult): string[] {
  const lines: string[] = [];
  for (const [name, p] of Object.entries(r.providers)) {
    const c = p.prefixCache;
    if (c?.offloadedTokens === undefined) continue;
    lines.push(
      `kv offload ${name}: GPU prefix cache ${fmtPct(c.tokenHitRate)} of prompt tokens, CPU tier ${fmtPct(c.offloadHitRate ?? 0)} (${fmtInt(c.offloadLoads ?? 0)} loads, ${fmtMs(c.offloadTransferMs ?? 0)} of transfer)`,
    );
  }
  return lines;
}

function formatQuality(q: QualityBlock): string {
  const cost =
    q.costPerAcceptableUsd === null
      ? 'no acceptable answer'
      : `cost ${fmtUnitUsd(q.costPerAcceptableUsd)}/acceptable`;
  const router = q.routerCalls ? `  router calls ${fmtInt(q.routerCalls)} (${fmtUsd(q.routerCostUsd)})` : '';
  const escalations = q.escalations ? `  escalations ${fmtInt(q.escalations)}` : '';
  return `acceptable ${fmtInt(q.acceptable)} (${fmtPct(q.acceptableShare)})  quality goodput ${q.qualityGoodputPerSec.toFixed(2)}/s (${fmtPct(q.qualityGoodputShare)})  ${cost}${router}${escalations}`;
}

/** A cost per answer: four decimals below a dollar ($0.0123, not $0.01). */
function fmtUnitUsd(x: number): string {
  return x > 0 && x < 1 ? `$${x.toFixed(x < 0.001 ? 6 : 4)}` : fmtUsd(x);
}

/** `concurrency-limit: over-limit 98, other 2  round-robin: no-healthy-target 5` (reasons come from policy code: escaped). */
function formatRejections(rs: readonly RejectionCount[]): string {
  const byPolicy = new Map<string, string[]>();
  for (const x of rs) {
    const key = `${x.kind} ${x.policy}`;
    const list = byPolicy.get(key) ?? [`${shorten(x.policy, 60)}:`];
    list.push(`${shorten(x.reason)} ${fmtInt(x.count)}`);
    byPolicy.set(key, list);
  }
  return [...byPolicy.values()].map(([policy, ...reasons]) => `${policy} ${reasons.join(', ')}`).join('  ');
}

function formatObserved(s: SloVerdict): string {
  if (s.observed === null) return 'no data';
  if (s.metric.includes('.')) return fmtMs(s.observed);
  if (s.metric.endsWith('Share')) return fmtPct(s.observed);
  if (s.metric.startsWith('cost')) return fmtUsd(s.observed);
  return s.observed.toFixed(3);
}
