/**
 * The scenario's triggers: every traffic spike, burst on-phase and fault, each a window of time
 * with one label. The recovery verdict (metrics/recovery.ts, which sweep and compare read), the
 * report's bands, story and fault lanes all take their windows and names from here, so a
 * trigger is called the same everywhere: '3x spike' (on the shared arrivals), 'tab 3x spike' (on
 * class tab's own arrivals), 'p outage'.
 */
import type { ArrivalsConfig, FaultConfig, Scenario } from './schema.ts';

export interface Trigger {
  kind: 'spike' | 'burst' | 'fault';
  /** Plain words: '3x spike', 'tab 3x spike', '2x burst', 'fast-api outage'. */
  label: string;
  startMs: number;
  endMs: number;
  /** Spikes and bursts: the multiplier, and the class whose own arrivals it is on (none: shared). */
  multiplier?: number;
  className?: string;
  /** Spikes: the stretch held at full height. */
  peakStartMs?: number;
  peakEndMs?: number;
  /** Faults: the provider, the kind of fault, and the fault as configured. */
  provider?: string;
  fault?: FaultConfig['kind'];
  config?: FaultConfig;
}

/** Most burst on-phases listed per timeline; beyond it bursts are a texture, not triggers. */
const MAX_BURST_PHASES = 60;

/**
 * Every spike, burst phase and fault of the scenario, by start, then end; ties keep the
 * scenario's order (shared arrivals, then each class's own, then faults).
 */
export function scenarioTriggers(s: Scenario): Trigger[] {
  const out: Trigger[] = [];
  const timelines: { className: string | undefined; arrivals: ArrivalsConfig | undefined }[] = [
    { className: undefined, arrivals: s.workload.arrivals },
    ...s.workload.classes.map((c) => ({ className: c.name, arrivals: c.arrivals })),
  ];
  for (const { className, arrivals } of timelines) {
    const who = className === undefined ? '' : `${className} `;
    for (const e of arrivals?.timeline ?? []) {
      if ('spike' in e) {
        const sp = e.spike;
        out.push({
          kind: 'spike',
          label: `${who}${sp.multiplier}x spike`,
          startMs: sp.at,
          endMs: sp.at + sp.rampUp + sp.hold + sp.rampDown,
          multiplier: sp.multiplier,
          ...(className === undefined ? {} : { className }),
          peakStartMs: sp.at + sp.rampUp,
          peakEndMs: sp.at + sp.rampUp + sp.hold,
        });
      } else if ('bursts' in e) {
        const b = e.bursts;
        const end = Math.min(b.end ?? s.duration, s.duration);
        const period = b.on + b.off;
        if ((end - b.start) / period > MAX_BURST_PHASES) continue;
        for (let t = b.start; t < end; t += period)
          out.push({
            kind: 'burst',
            label: `${who}${b.multiplier}x burst`,
            startMs: t,
            endMs: Math.min(t + b.on, end),
            multiplier: b.multiplier,
            ...(className === undefined ? {} : { className }),
          });
      }
    }
  }
  for (const f of s.faults)
    out.push({
      kind: 'fault',
      label: `${f.provider} ${f.kind}`,
      startMs: f.at,
      endMs: f.at + f.for,
      provider: f.provider,
      fault: f.kind,
      config: f,
    });
  return out.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
}
