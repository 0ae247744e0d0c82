/**
 * The time series as CSV (one row per window, the result's series as columns) and per-request
 * samples: a seeded reservoir through the workload probe that changes nothing in the result,
 * is the same for the same seed, stays within its limit, and (when it keeps every request)
 * counts exactly what the recorder counts.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvField, samplesFormatOf, samplesText, timeSeriesCsv } from '../../src/export/index.ts';
import type { RequestSample } from '../../src/metrics/request-samples.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { type LoadedScenario, loadScenarioFile } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const ROOT = join(import.meta.dirname, '../..');

let loaded: LoadedScenario;
let plain: RunResult;

async function sampled(
  limit: number,
): Promise<{ result: RunResult; samples: RequestSample[]; seen: number }> {
  let samples: RequestSample[] = [];
  let seen = 0;
  const result = await simulate(loaded, {
    samples: {
      limit,
      collect: (s, n) => {
        samples = s;
        seen = n;
      },
    },
  });
  return { result, samples, seen };
}

beforeAll(async () => {
  loaded = await loadScenarioFile(join(ROOT, 'scenarios/quickstart.yaml'));
  plain = await simulate(loaded);
});

describe('timeSeriesCsv', () => {
  it('has a row per window and the result series as columns, empty where a window has no value', () => {
    const lines = timeSeriesCsv(plain).trimEnd().split('\n');
    const head = lines[0]!.split(',');
    const ts = plain.timeseries;
    expect(head.slice(0, 4)).toEqual(['start_ms', 'end_ms', 'offered', 'admitted']);
    expect(head).toContain('provider.fast-api.errors');
    expect(head).toContain('class.chat.ttft_p99_ms');
    expect(lines).toHaveLength(ts.startMs.length + 1);
    const col = (name: string) => lines.slice(1).map((l) => l.split(',')[head.indexOf(name)]);
    expect(col('offered')).toEqual(ts.offered.map(String));
    expect(col('end_ms')).toEqual(ts.startMs.map((s) => String(s + ts.intervalMs)));
    expect(col('class.chat.ttft_p99_ms')).toEqual(
      ts.classes['chat']!.ttftP99.map((v) => (v === null ? '' : String(v))),
    );
    expect(col('class.chat.ttft_p99_ms')).toContain('');
  });

  it('quotes fields as RFC 4180 asks', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(1.5)).toBe('1.5');
  });
});

describe('per-request samples', () => {
  it('change nothing in the result: byte-identical JSON with and without them', async () => {
    const { result } = await sampled(100);
    expect(JSON.stringify(result)).toBe(JSON.stringify(plain));
  });

  it('are the same for the same seed, within the limit, spread over the whole run, in arrival order', async () => {
    const a = await sampled(200);
    const b = await sampled(200);
    expect(a.samples).toEqual(b.samples);
    expect(a.samples).toHaveLength(200);
    expect(a.seen).toBeGreaterThan(30_000);
    const ids = a.samples.map((s) => s.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    const last = Math.max(...ids);
    // A uniform sample of ~37k arrivals: both halves of the run are represented.
    expect(ids.filter((id) => id < last / 2).length).toBeGreaterThan(60);
    expect(ids.filter((id) => id >= last / 2).length).toBeGreaterThan(60);
  });

  it('kept whole, count exactly what the recorder counts per class (completed, goodput, outcomes)', async () => {
    const { samples, seen } = await sampled(1_000_000);
    expect(samples).toHaveLength(seen);
    for (const [name, c] of Object.entries(plain.classes)) {
      const mine = samples.filter((s) => s.class === name && s.measured);
      expect(mine.filter((s) => s.outcome === 'ok')).toHaveLength(c.requests.completed);
      expect(mine.filter((s) => s.good)).toHaveLength(c.requests.goodput);
      expect(mine.filter((s) => s.outcome === 'shed')).toHaveLength(c.requests.shed);
      expect(mine).toHaveLength(c.requests.offered - c.requests.unfinished);
    }
    const ok = samples.find((s) => s.outcome === 'ok')!;
    expect(ok.ttftMs).toBeGreaterThan(0);
    expect(ok.e2eMs).toBeGreaterThanOrEqual(ok.ttftMs!);
    expect(ok.endMs).toBeCloseTo(ok.arrivalMs + ok.e2eMs!, 6);
    expect(ok.provider).toMatch(/^(fast-api|backup-api)$/);
    const shed = samples.find((s) => s.outcome === 'shed')!;
    expect(shed).toMatchObject({ ttftMs: null, e2eMs: null, provider: null, good: false });
  });

  it('are written as CSV or JSON Lines, chosen by the extension', async () => {
    const { samples } = await sampled(5);
    const csv = samplesText(samples, 'csv').trimEnd().split('\n');
    expect(csv[0]).toBe(
      'id,class,arrivalMs,endMs,outcome,measured,tries,promptTokens,outputTokens,ttftMs,e2eMs,tpotMs,queueWaitMs,provider,costUsd,good',
    );
    expect(csv).toHaveLength(6);
    const jsonl = samplesText(samples, 'jsonl').trimEnd().split('\n');
    expect(jsonl.map((l) => JSON.parse(l).id)).toEqual(samples.map((s) => s.id));
    expect(samplesFormatOf('x/requests.CSV')).toBe('csv');
    expect(samplesFormatOf('requests.ndjson')).toBe('jsonl');
    expect(() => samplesFormatOf('requests.json')).toThrow(/expected a file ending in \.csv or \.jsonl/);
  });
});
