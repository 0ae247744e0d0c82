/**
 * The scenario at a glance, as HTML tables: providers (kind, capacity, limits, prices), request
 * classes, the gateway's policies and the faults. Everything here comes from the validated
 * scenario (canonical units: ms, requests/s, fractions, USD per million tokens).
 */
import type { DistributionSpec } from '../engine/dist/index.ts';
import type { ArrivalsConfig, PolicyRef, ProviderConfig, Scenario } from '../scenario/schema.ts';
import { fmtDuration, fmtInt, fmtMs, fmtPct, fmtRate, fmtUsd, plural, sig } from './format.ts';
import { faultDetail } from './glance.ts';
import { type Cell, facts, table } from './html.ts';

/** A policy parameter's value as a scenario writes it (YAML flow style): `{primary: {rpm: 4500}}`. */
function fmtParam(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(fmtParam).join(', ')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${fmtParam(x)}`)
      .join(', ')}}`;
  return String(v);
}

/** `concurrency-limit(limit=150)`; nested values in flow style: `rate-limit-aware(limits={a: {rpm: 600}})`. */
export function fmtPolicy(ref: PolicyRef | undefined): string {
  if (!ref) return 'none';
  const params = Object.entries(ref.params).map(([k, v]) => `${k}=${fmtParam(v)}`);
  return params.length > 0 ? `${ref.policy}(${params.join(', ')})` : ref.policy;
}

/** A distribution in words, values printed by `fmt`: 'median 250 ms, p99 900 ms'. */
export function fmtDist(d: DistributionSpec, fmt: (v: number) => string): string {
  switch (d.dist) {
    case 'deterministic':
      return fmt(d.value);
    case 'exponential':
      return `exponential, mean ${fmt(d.mean)}`;
    case 'uniform':
      return `uniform ${fmt(d.min)} to ${fmt(d.max)}`;
    case 'normal':
      return `normal ${fmt(d.mean)} ± ${fmt(d.stddev)}`;
    case 'lognormal':
      return 'median' in d
        ? `median ${fmt(d.median)}, p99 ${fmt(d.p99)}`
        : `lognormal mu ${d.mu}, sigma ${d.sigma}`;
    case 'gamma':
      return `gamma, mean ${fmt(d.mean)}, cv ${d.cv}`;
    case 'empirical':
      return `empirical (${plural(d.values.length, 'value')})`;
  }
}

const tokens = (v: number) => fmtInt(v);
const perMin = (v: number) =>
  v >= 1e6 ? `${sig(v / 1e6, 3)}M` : v >= 1e4 ? `${sig(v / 1e3, 3)}k` : fmtInt(v);

function capacity(p: ProviderConfig): string {
  switch (p.kind) {
    case 'queue':
      return plural(p.servers, 'server');
    case 'api':
      return `${p.capacity} concurrent`;
    case 'gpu': {
      const model = typeof p.model === 'string' ? p.model : 'custom model';
      const gpu = typeof p.gpu === 'string' ? p.gpu : 'custom GPU';
      return `${p.replicas} x ${model} on ${gpu}${p.tensorParallel > 1 ? ` (TP ${p.tensorParallel})` : ''}`;
    }
  }
}

function queueOf(p: ProviderConfig): string {
  switch (p.kind) {
    case 'queue':
      return p.queueCapacity === undefined ? 'unbounded' : fmtInt(p.queueCapacity);
    case 'api':
      return fmtInt(p.queueCapacity);
    case 'gpu':
      return `max ${plural(p.scheduler.maxSeqs, 'seq')}, ${fmtInt(p.scheduler.maxBatchedTokens)} tokens/batch`;
  }
}

function limits(p: ProviderConfig): string {
  if (p.kind !== 'api' || !p.rateLimit) return p.kind === 'api' ? 'none' : '-';
  const r = p.rateLimit;
  const parts = [
    r.rpm !== undefined ? `${perMin(r.rpm)} rpm` : '',
    r.inputTpm !== undefined ? `${perMin(r.inputTpm)} input TPM` : '',
    r.outputTpm !== undefined ? `${perMin(r.outputTpm)} output TPM` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function prices(p: ProviderConfig): string {
  const parts: string[] = [];
  if (p.pricing.inputPerMTok > 0 || p.pricing.outputPerMTok > 0)
    parts.push(
      `${fmtUsd(p.pricing.inputPerMTok)} / ${fmtUsd(p.pricing.outputPerMTok)} per M tokens in / out`,
    );
  if (p.kind === 'gpu' && p.costPerReplicaHour > 0)
    parts.push(`${fmtUsd(p.costPerReplicaHour)} per replica-hour`);
  return parts.length > 0 ? parts.join('; ') : 'free';
}

function latencyOf(p: ProviderConfig): string {
  switch (p.kind) {
    case 'queue':
      return `service ${fmtDist(p.service, fmtMs)}`;
    case 'api':
      return `TTFT ${fmtDist(p.ttft, fmtMs)}; ${fmtDist(p.outputRate, (v) => `${sig(v, 3)} tok/s`)}${p.rtt > 0 ? `; RTT ${fmtMs(p.rtt)}` : ''}`;
    case 'gpu':
      return `${typeof p.timing === 'string' ? p.timing : p.timing.model} time model${p.prefixCache.enabled ? `, prefix cache${p.prefixCache.offload ? ` + ${p.prefixCache.offload.sizeGB} GB CPU tier` : ''}` : ''}; gateway sees ${p.expose === 'pool' ? 'the pool' : 'each replica'}`;
  }
}

export function providersTable(s: Scenario): string {
  return table({
    caption: 'Providers',
    head: ['provider', 'kind', 'capacity', 'queue', 'rate limits', 'prices', 'latency'],
    numericFrom: 99,
    rows: s.providers.map((p) => [
      p.name,
      p.kind,
      capacity(p),
      queueOf(p),
      limits(p),
      prices(p),
      latencyOf(p),
    ]),
  });
}

function arrivalsText(a: ArrivalsConfig | undefined): string {
  if (!a) return '-';
  if (a.trace) return `trace ${a.trace.file}${a.trace.speed !== 1 ? ` at ${a.trace.speed}x speed` : ''}`;
  const shapes = a.timeline.map((e) => {
    if ('spike' in e) return `${sig(e.spike.multiplier, 3)}x spike at ${fmtDuration(e.spike.at)}`;
    if ('ramp' in e) return `ramp to ${fmtRate(e.ramp.to)} at ${fmtDuration(e.ramp.at)}`;
    if ('step' in e) return `step to ${fmtRate(e.step.rate)} at ${fmtDuration(e.step.at)}`;
    if ('diurnal' in e) return `diurnal ±${fmtPct(e.diurnal.amplitude)}`;
    return `${sig(e.bursts.multiplier, 3)}x bursts (${fmtDuration(e.bursts.on)} on, ${fmtDuration(e.bursts.off)} off)`;
  });
  const proc = a.process === 'gamma' ? `gamma (cv ${a.cv})` : a.process;
  return [`${a.rate !== undefined ? fmtRate(a.rate) : 'rate from timeline'} ${proc}`, ...shapes].join('; ');
}

export function classesTable(s: Scenario): string {
  const shared = s.workload.classes.filter((c) => !c.arrivals);
  const total = shared.reduce((a, c) => a + c.share, 0);
  return table({
    caption: 'Request classes',
    head: [
      'class',
      'traffic',
      'priority',
      'prompt tokens',
      'output tokens',
      'goodput needs',
      'deadline',
      'served by',
    ],
    numericFrom: 99,
    rows: s.workload.classes.map((c) => {
      const slo = [
        c.slo.ttft !== undefined ? `TTFT ≤ ${fmtMs(c.slo.ttft)}` : '',
        c.slo.tpot !== undefined ? `TPOT ≤ ${fmtMs(c.slo.tpot)}` : '',
        c.slo.e2e !== undefined ? `E2E ≤ ${fmtMs(c.slo.e2e)}` : '',
      ].filter(Boolean);
      return [
        c.name,
        c.arrivals
          ? arrivalsText(c.arrivals)
          : `${fmtPct(total > 0 ? c.share / total : 0)} of the shared arrivals`,
        String(c.priority),
        fmtDist(c.promptTokens, tokens),
        fmtDist(c.outputTokens, tokens),
        slo.length > 0 ? slo.join(', ') : 'completion',
        c.deadline !== undefined ? fmtMs(c.deadline) : '-',
        [...(c.providers ?? []), ...(c.models ?? []).map((m) => `model ${m}`)].join(', ') || 'any',
      ];
    }),
  });
}

/** The gateway's configuration as a list of facts. */
export function gatewayFacts(s: Scenario, policiesNote?: string): string {
  const g = s.gateway;
  const retries = (r: Scenario['gateway']['retries']) =>
    r.max > 0
      ? `up to ${r.max} on ${r.on.join(', ')}; backoff ${fmtMs(r.backoff.base)} x${r.backoff.multiplier} (cap ${fmtMs(r.backoff.cap)}, ${r.backoff.jitter === 'none' ? 'no' : r.backoff.jitter} jitter)${r.budget ? `; budget ${r.budget.kind}` : ''}`
      : 'none';
  const items: [string, Cell][] = [
    ['shared arrivals', arrivalsText(s.workload.arrivals)],
    ['admission', fmtPolicy(g.admission)],
    ['routing', fmtPolicy(g.routing)],
    ['health', fmtPolicy(g.health)],
    [
      'gateway queue',
      `${g.queue.order}, capacity ${fmtInt(g.queue.capacity)}${g.queue.maxWait !== undefined ? `, max wait ${fmtMs(g.queue.maxWait)}` : ''}`,
    ],
    ['attempt timeout', g.attemptTimeout !== undefined ? fmtMs(g.attemptTimeout) : 'none'],
    ['gateway retries', retries(g.retries)],
    [
      'fallbacks',
      Object.entries(g.fallbacks)
        .map(([from, to]) => `${from} → ${to.join(' → ')}`)
        .join('; ') || 'none',
    ],
    [
      'hedging',
      g.hedging
        ? [
            g.hedging.after !== undefined ? `after ${fmtMs(g.hedging.after)}` : '',
            g.hedging.percentile !== undefined ? `at p${g.hedging.percentile}` : '',
          ]
            .filter(Boolean)
            .join(' or ')
        : 'none',
    ],
    [
      'client',
      `timeout ${s.workload.client.timeout !== undefined ? fmtMs(s.workload.client.timeout) : 'none'}; retries ${retries(s.workload.client.retries)}`,
    ],
  ];
  if (policiesNote) items.push(['compared', policiesNote]);
  return facts(items);
}

export function faultsTable(s: Scenario): string {
  if (s.faults.length === 0) return '<p class="muted">No faults.</p>';
  return table({
    caption: 'Faults',
    head: ['provider', 'kind', 'from', 'to', 'effect'],
    numericFrom: 99,
    rows: s.faults.map((f) => [
      f.provider,
      f.kind,
      fmtDuration(f.at),
      fmtDuration(f.at + f.for),
      faultDetail(f),
    ]),
  });
}

/** The whole "at a glance" section body below its chart (in an open <details>, so it folds away). */
export function glanceTables(s: Scenario, policiesNote?: string): string {
  return `<details open class="scenario-details"><summary>Providers, request classes, gateway and faults</summary>
${providersTable(s)}\n${classesTable(s)}\n<h3>Gateway</h3>${gatewayFacts(s, policiesNote)}\n${faultsTable(s)}
</details>`;
}
