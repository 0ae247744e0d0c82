/**
 * The shipped Grafana dashboard (docs/grafana/floodgate-run.json) reads what the OpenMetrics
 * export writes: every metric its queries name is a family of the export (counters under
 * `_total`), every panel asks the dashboard's Prometheus data source, and its variables exist.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricFamilies } from '../../src/export/index.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const ROOT = join(import.meta.dirname, '../..');

interface Panel {
  title: string;
  datasource: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; refId: string }[];
}

const dashboard = JSON.parse(readFileSync(join(ROOT, 'docs/grafana/floodgate-run.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
};

let names: Set<string>;

beforeAll(async () => {
  // A GPU pool, so the KV-cache family is written too.
  const r: RunResult = await simulate(await loadScenarioFile(join(ROOT, 'scenarios/gpu-pool.yaml')));
  names = new Set(metricFamilies(r).map((f) => (f.type === 'counter' ? `${f.name}_total` : f.name)));
});

describe('the Grafana dashboard', () => {
  it('queries only metrics the OpenMetrics export writes, and draws each family at least once', () => {
    const used = new Set<string>();
    for (const p of dashboard.panels)
      for (const t of p.targets)
        for (const m of t.expr.matchAll(/\b(floodgate_[a-z0-9_]+)\b/g)) used.add(m[1]!);
    expect([...used].filter((n) => !names.has(n))).toEqual([]);
    expect([...names].filter((n) => !used.has(n))).toEqual([]);
  });

  it('asks the chosen Prometheus data source in every panel, filtered by scenario and seed, with variables that exist', () => {
    const vars = new Set(dashboard.templating.list.map((v) => v.name));
    expect([...vars]).toEqual(expect.arrayContaining(['datasource', 'scenario', 'seed', 'class', 'window']));
    for (const p of dashboard.panels) {
      // Grafana's variable syntax, not a template literal.
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: ['$', '{datasource}'].join('') });
      for (const t of p.targets) {
        expect(t.expr, p.title).toContain('scenario=~"$scenario",seed=~"$seed"');
        for (const v of t.expr.matchAll(/\$(\w+)/g))
          expect(vars.has(v[1]!), `${p.title}: $${v[1]}`).toBe(true);
      }
    }
  });

  it('lays the panels out without overlap on the 24-column grid', () => {
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const g = p.gridPos;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });
});
