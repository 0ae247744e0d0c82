/**
 * The run report's table of disaggregated pools: each pool's prefill and decode replicas, the
 * decider's split, the KV transfer's distribution and wait, utilisation per pool, and decode
 * interference (decode steps with prefill beside them against those without).
 */
import { disaggregationFigures } from '../metrics/disaggregation-details.ts';
import type { RunResult } from '../metrics/result-types.ts';
import { fmtInt, fmtMs, fmtPct } from './format.ts';
import { table } from './html.ts';

export function disaggregationTable(r: RunResult): string {
  const pools = Object.entries(r.providers).flatMap(([name, p]) => {
    const f = disaggregationFigures(p.details);
    return f ? [[name, f] as const] : [];
  });
  if (pools.length === 0) return '';
  return table({
    caption: 'Disaggregated prefill and decode (TTFT counts prefill, KV wait and transfer)',
    id: 'disaggregation-table',
    head: [
      'provider',
      'prefill / decode replicas',
      'disaggregated',
      'colocated',
      'KV transfer p50',
      'KV transfer p99',
      'KV transfer max',
      'KV wait p99',
      'prefill util',
      'decode util',
      'decode step',
      'decode step with prefill',
      'decode steps with prefill',
    ],
    textColumns: [1],
    rows: pools.map(([name, f]) => [
      name,
      `${f.prefillReplicas} / ${f.decodeReplicas}`,
      fmtInt(f.disaggregated),
      fmtInt(f.colocated),
      fmtMs(f.kvTransferMsP50),
      fmtMs(f.kvTransferMsP99),
      fmtMs(f.kvTransferMsMax),
      fmtMs(f.kvWaitMsP99),
      fmtPct(f.prefillUtilization),
      fmtPct(f.decodeUtilization),
      fmtMs(f.decodeStepMsPure),
      f.decodeStepMsWithPrefill > 0 ? fmtMs(f.decodeStepMsWithPrefill) : '-',
      fmtPct(f.decodeStepsWithPrefillShare),
    ]),
  });
}
