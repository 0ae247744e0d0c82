/**
 * Prometheus text exposition (format 0.0.4) of the emulator's state: vLLM's scheduler gauges per
 * GPU replica, so a gateway that scrapes vLLM servers can scrape the emulator unchanged, and
 * floodgate's own counters per provider.
 *
 * vLLM names (its /metrics, `model_name` label): `vllm:num_requests_running`,
 * `vllm:num_requests_waiting`, `vllm:gpu_cache_usage_perc` (KV-cache use, 1 = 100 percent; the
 * V1 engine calls it `vllm:kv_cache_usage_perc`, written too). The emulator adds the labels
 * `provider` and `replica`, since one process stands in for many servers; the per-replica path
 * `/p/{provider}/replicas/{i}/metrics` serves one replica's gauges only, as its own vLLM would.
 *
 * Example:
 * ```
 * # HELP vllm:num_requests_running Number of requests currently running on GPU.
 * # TYPE vllm:num_requests_running gauge
 * vllm:num_requests_running{model_name="llama-3.1-8b",provider="pool",replica="0"} 12
 * floodgate_emulator_requests_total{provider="fast-api",status="ok"} 931
 * ```
 */

/** One sample: label pairs and a value. */
export interface Sample {
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** One metric family: name, help text, type and its samples. */
export interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Sample[];
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** Renders families in the text format; families without samples print their HELP and TYPE only. */
export function renderMetrics(families: readonly Family[]): string {
  let out = '';
  for (const f of families) {
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) {
      const keys = Object.keys(s.labels);
      const labels =
        keys.length > 0 ? `{${keys.map((k) => `${k}="${escapeLabel(s.labels[k]!)}"`).join(',')}}` : '';
      out += `${f.name}${labels} ${formatValue(s.value)}\n`;
    }
  }
  return out;
}
