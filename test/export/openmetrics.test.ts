/**
 * The time series as OpenMetrics text, read back by two parsers: the OpenMetrics parser of
 * Prometheus' Python client (`prometheus_client.openmetrics.parser`, Debian's
 * python3-prometheus-client, which .ci/run installs) and parse-prometheus-text-format (the
 * classic text format); then checked against the rules `promtool tsdb create-blocks-from
 * openmetrics` relies on: each family's lines together, counters cumulative under `_total`,
 * timestamps in seconds increasing within every series, `# EOF` last.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { escapeLabelValue, runOpenMetrics } from '../../src/export/index.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const ROOT = join(import.meta.dirname, '../..');
const PYTHON = '/usr/bin/python3';

/** Parses with prometheus_client's OpenMetrics parser; per family and series, what the samples say. */
const CHECK = `
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    series = {}
    for s in f.samples:
        key = s.name + json.dumps(sorted(s.labels.items()))
        ts = float(s.timestamp.sec) + s.timestamp.nsec / 1e9
        e = series.setdefault(key, {"name": s.name, "labels": s.labels, "n": 0, "first": ts, "last": None,
                                   "increasing": True, "monotone": True, "value": None})
        if e["last"] is not None and ts <= e["last"]: e["increasing"] = False
        if e["value"] is not None and s.value < e["value"]: e["monotone"] = False
        e["n"] += 1; e["last"] = ts; e["value"] = s.value
    out.append({"name": f.name, "type": f.type, "unit": f.unit, "series": list(series.values())})
print(json.dumps(out))
`;

interface PySeries {
  name: string;
  labels: Record<string, string>;
  n: number;
  first: number;
  last: number;
  increasing: boolean;
  monotone: boolean;
  value: number;
}

function openMetricsParse(text: string): { name: string; type: string; unit: string; series: PySeries[] }[] {
  if (!existsSync(PYTHON))
    throw new Error(
      `the OpenMetrics tests need ${PYTHON} with python3-prometheus-client (apt-get install python3-prometheus-client; .ci/run does this)`,
    );
  return JSON.parse(
    execFileSync(PYTHON, ['-c', CHECK], {
      input: text,
      maxBuffer: 64 << 20,
      stdio: ['pipe', 'pipe', 'pipe'],
    }).toString(),
  );
}

/** The error prometheus_client's parser gives for `text`, or '' when it parses. */
function parseError(text: string): string {
  try {
    openMetricsParse(text);
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

let result: RunResult;
let text: string;
let parsed: ReturnType<typeof openMetricsParse>;
const START = Date.UTC(2026, 2, 1, 14, 0, 0);

beforeAll(async () => {
  result = await simulate(await loadScenarioFile(join(ROOT, 'scenarios/quickstart.yaml')));
  text = runOpenMetrics(result, { startUnixMs: START });
  parsed = openMetricsParse(text);
});

describe('runOpenMetrics', () => {
  it("parses with Prometheus' OpenMetrics parser: families typed, counters under _total, units as suffixes", () => {
    const families = parsed;
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('floodgate_offered_requests')?.type).toBe('counter');
    expect(byName.get('floodgate_cost_usd')).toMatchObject({ type: 'counter', unit: 'usd' });
    expect(byName.get('floodgate_ttft_p99_seconds')).toMatchObject({ type: 'gauge', unit: 'seconds' });
    for (const f of families) {
      expect(f.series.length, f.name).toBeGreaterThan(0);
      for (const s of f.series) {
        expect(s.name, f.name).toBe(f.type === 'counter' ? `${f.name}_total` : f.name);
        expect(s.labels).toMatchObject({ scenario: 'quickstart', seed: String(result.seed) });
        expect(s.increasing, `${s.name} ${JSON.stringify(s.labels)}: timestamps increase`).toBe(true);
        if (f.type === 'counter') expect(s.monotone, `${s.name}: cumulative`).toBe(true);
      }
    }
  });

  it('counts what the result counts: a counter ends at its series total, stamped at the end of the last window', () => {
    const families = parsed;
    const offered = families.find((f) => f.name === 'floodgate_offered_requests')!;
    const ts = result.timeseries;
    for (const [name, c] of Object.entries(ts.classes)) {
      const s = offered.series.find((x) => x.labels['class'] === name)!;
      expect(s.value).toBe(c.offered.reduce<number>((a, v) => a + (v ?? 0), 0));
      expect(s.n).toBe(ts.startMs.length + 1);
      expect(s.first).toBe(START / 1000);
      expect(s.last).toBeCloseTo((START + ts.startMs[ts.startMs.length - 1]! + ts.intervalMs) / 1000, 6);
    }
    const p99 = families.find((f) => f.name === 'floodgate_ttft_p99_seconds')!;
    const tab = p99.series.find((x) => x.labels['class'] === 'tab')!;
    // Gauges skip windows without a value (no completions), never write NaN.
    expect(tab.n).toBe(ts.classes['tab']!.ttftP99.filter((v) => v !== null).length);
    expect(text).not.toMatch(/ NaN /);
  });

  it('parses with parse-prometheus-text-format (the classic text format) too', () => {
    const families = parsePrometheusTextFormat(text);
    const gauge = families.find((f) => f.name === 'floodgate_gateway_queued_requests');
    expect(gauge?.type).toBe('GAUGE');
    expect(families.find((f) => f.name === 'floodgate_offered_requests_total')?.metrics.length).toBe(
      Object.keys(result.classes).length,
    );
  });

  it('writes each family once, with its TYPE and HELP before its samples, and # EOF last', () => {
    const lines = text.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toBe('# EOF');
    expect(text.endsWith('# EOF\n')).toBe(true);
    const seen = new Set<string>();
    let current = '';
    for (const line of lines.slice(0, -1)) {
      const meta = /^# (TYPE|UNIT|HELP) (\S+) /.exec(line);
      if (meta) {
        if (meta[1] === 'TYPE') {
          expect(seen.has(meta[2]!), `${meta[2]} declared twice`).toBe(false);
          seen.add(meta[2]!);
          current = meta[2]!;
        } else expect(meta[2]).toBe(current);
        continue;
      }
      const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(line)?.[1];
      expect(name === current || name === `${current}_total`, line).toBe(true);
      // value, then a timestamp in seconds with millisecond precision
      expect(line).toMatch(/\} -?[\d.e+-]+ \d+\.\d{3}$/);
    }
  });

  it('places simulated 0 at startUnixMs (the Unix epoch by default) and is the same for the same run', () => {
    const epoch = runOpenMetrics(result);
    expect(epoch).toContain('floodgate_attempts_total{scenario="quickstart",seed="42"} 0 0.000\n');
    expect(text).toContain(
      `floodgate_attempts_total{scenario="quickstart",seed="42"} 0 ${START / 1000}.000\n`,
    );
    expect(runOpenMetrics(result)).toBe(epoch);
  });

  it('escapes label values: a hostile scenario name reads back unchanged and cannot add a line', () => {
    const r = structuredClone(result);
    r.scenario.name = 'a"b\\c\nfloodgate_evil 1';
    const hostile = runOpenMetrics(r);
    expect(hostile).not.toMatch(/^floodgate_evil/m);
    const families = openMetricsParse(hostile);
    expect(families[0]!.series[0]!.labels['scenario']).toBe('a"b\\c\nfloodgate_evil 1');
    expect(escapeLabelValue('x"\\\n')).toBe('x\\"\\\\\\n');
  });

  it('the parser is strict: it refuses text without # EOF, or a counter sample without _total', () => {
    expect(parseError(text.replace('# EOF\n', ''))).toMatch(/EOF/);
    expect(parseError(text.replaceAll('floodgate_attempts_total{', 'floodgate_attempts{'))).not.toBe('');
  });
});
