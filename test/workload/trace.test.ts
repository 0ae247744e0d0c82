import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RngStreams } from '../../src/engine/rng.ts';
import type { TraceConfig } from '../../src/scenario/schema.ts';
import { TraceArrivals } from '../../src/workload/arrivals.ts';
import { parseCsvTrace, parseJsonlTrace } from '../../src/workload/trace.ts';
import { run } from '../providers/harness.ts';

/** Four records of the Azure LLM inference trace's shape: offsets 0, 500, 1250 and 3000 ms. */
const AZURE_CSV = `TIMESTAMP,ContextTokens,GeneratedTokens
2023-11-16 18:15:46.6805900,374,44
2023-11-16 18:15:47.1805900,396,109
2023-11-16 18:15:47.9305900,879,0
2023-11-16 18:15:49.6805900,1000,250
`;
const OFFSETS = [0, 500, 1250, 3000];

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floodgate-trace-'));
  await writeFile(join(dir, 'azure.csv'), AZURE_CSV);
  // 2000 records 10 ms apart, for the rate-scaling statistics.
  const rows = Array.from({ length: 2000 }, (_, i) => `${i * 10},100,10`);
  await writeFile(join(dir, 'many.csv'), `time_ms,prompt_tokens,output_tokens\n${rows.join('\n')}\n`);
});

function traceConfig(o: Partial<TraceConfig> = {}): TraceConfig {
  return {
    file: 'azure.csv',
    format: 'azure',
    speed: 1,
    rateScale: 1,
    start: 0,
    loop: false,
    blockTokens: 512,
    ...o,
  };
}

function replay(
  o: Partial<TraceConfig>,
  untilMs = Number.POSITIVE_INFINITY,
  csv = AZURE_CSV,
  seed = 1,
): number[] {
  const source = new TraceArrivals(
    parseCsvTrace(csv, 'trace.csv'),
    traceConfig(o),
    new RngStreams(seed).get('t'),
  );
  const out: number[] = [];
  for (let t = source.next(); t < untilMs; t = source.next()) out.push(t);
  return out;
}

function expectTimes(actual: number[], expected: number[]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((t, i) => {
    expect(t).toBeCloseTo(expected[i]!, 6);
  });
}

/** A scenario replaying `file` from the temp dir into a fast api provider (which bills tokens). */
function traceScenario(trace: Partial<TraceConfig> & { file: string }, duration = '10s') {
  return {
    name: 'trace',
    duration,
    providers: [
      {
        name: 'p',
        kind: 'api' as const,
        ttft: '10ms',
        outputRate: '10k/s',
        degradation: { from: 1 },
      },
    ],
    workload: { arrivals: { trace: { ...trace, file: join(dir, trace.file) } }, classes: [{ name: 'c' }] },
    metrics: { interval: '400ms' },
  };
}

describe('trace replay', () => {
  it('replays an Azure trace at its recorded offsets, keeping sub-millisecond timestamps', () => {
    expectTimes(replay({}), OFFSETS);
  });

  it('plays the trace faster with speed', () => {
    expectTimes(replay({ speed: 2 }), [0, 250, 625, 1500]);
    expectTimes(replay({ speed: 0.5 }), [0, 1000, 2500, 6000]);
  });

  it('skips the beginning of the trace with start', () => {
    expectTimes(replay({ start: 1000 }), [250, 2000]);
  });

  it('replays every record exactly twice at rateScale 2, at the same instants', () => {
    expectTimes(replay({ rateScale: 2 }), [0, 0, 500, 500, 1250, 1250, 3000, 3000]);
  });

  it('keeps each record with probability rateScale below 1 (binomial bounds)', () => {
    const csv = `time_ms,prompt_tokens,output_tokens\n${Array.from({ length: 2000 }, (_, i) => `${i * 10},1,1`).join('\n')}\n`;
    for (const seed of [1, 2]) {
      const kept = replay({ rateScale: 0.5 }, Number.POSITIVE_INFINITY, csv, seed);
      // Binomial(2000, 0.5): sd 22.4.
      expect(Math.abs(kept.length - 1000)).toBeLessThan(4 * Math.sqrt(2000 * 0.25));
      // Kept records keep their own times (a thinned trace, not a compressed one).
      expect(kept.every((t) => t % 10 === 0)).toBe(true);
    }
    const scaled = replay({ rateScale: 1.5 }, Number.POSITIVE_INFINITY, csv, 3);
    expect(Math.abs(scaled.length - 3000)).toBeLessThan(4 * Math.sqrt(2000 * 0.25));
  });

  it('loops the trace, starting each pass one mean gap after the last record', () => {
    // Span 3000 ms over 3 gaps: the next pass starts 3000 + 1000 ms after the first.
    expectTimes(replay({ loop: true }, 9000), [...OFFSETS, ...OFFSETS.map((t) => t + 4000), 8000, 8500]);
    expectTimes(replay({ loop: false }, 9000), OFFSETS);
  });

  it('offers the trace records in a scenario with their token sizes (0 generated tokens count as 1)', async () => {
    const r = await run(traceScenario({ file: 'azure.csv' }));
    expect(r.requests.offered).toBe(4);
    expect(r.requests.completed).toBe(4);
    expect(r.cost.inputTokens).toBe(374 + 396 + 879 + 1000);
    expect(r.cost.outputTokens).toBe(44 + 109 + 1 + 250);
    // 400 ms windows (no arrival on a boundary but the first): arrivals at 0, 500, 1250, 3000 ms.
    expect(r.timeseries.offered.slice(0, 9)).toEqual([1, 1, 0, 1, 0, 0, 0, 1, 0]);
  });

  it('applies speed, rateScale and loop in a scenario', async () => {
    const fast = await run(traceScenario({ file: 'azure.csv', speed: 2 }));
    // At 0, 250, 625 and 1500 ms.
    expect(fast.timeseries.offered.slice(0, 5)).toEqual([2, 1, 0, 1, 0]);
    expect((await run(traceScenario({ file: 'azure.csv', rateScale: 2 }))).requests.offered).toBe(8);
    // Looping over 10 s: passes start at 0, 4 and 8 s; the third gets 0, 500 and 1250 ms in.
    expect((await run(traceScenario({ file: 'azure.csv', loop: true }))).requests.offered).toBe(11);
    const half = await run(traceScenario({ file: 'many.csv', format: 'csv', rateScale: 0.5 }, '30s'));
    expect(Math.abs(half.requests.offered - 1000)).toBeLessThan(4 * Math.sqrt(2000 * 0.25));
  });
});

// Regression test; the bug it caught, now fixed (src/metrics/recorder.ts since the window counters count "the window in progress", and
// src/simulator/simulate.ts closeWindow): window i is documented to cover [i x interval,
// (i+1) x interval), but an event at exactly a boundary is counted in the earlier window when it
// was scheduled before that boundary's close event. A trace arrival at 500 ms (scheduled at 0 ms)
// lands in window [250, 500) with a 250 ms interval: offered is [1, 1, 0] instead of [1, 0, 1].
// Uniform arrivals at whole seconds happen to be scheduled after the close and are unaffected.
it('counts an arrival at exactly a window boundary in the window that starts there', async () => {
  await writeFile(join(dir, 'boundary.csv'), 'time_ms,prompt_tokens,output_tokens\n0,1,1\n500,1,1\n');
  const r = await run({
    ...traceScenario({ file: 'boundary.csv', format: 'csv' }, '1s'),
    metrics: { interval: '250ms' },
  });
  expect(r.timeseries.offered.slice(0, 3)).toEqual([1, 0, 1]);
});

describe('trace errors quote at most a short escaped excerpt', () => {
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected an error');
  };

  it('never echoes a first line that is not a header (it may be a secret)', () => {
    expect(message(() => parseCsvTrace('root:$6$secret:19000:0:99999:7:::\nx\n', '/etc/shadow'))).toBe(
      '/etc/shadow:1: expected a time column (one of time_ms, time_s, timestamp, TIMESTAMP), got a first line that is not a CSV header (1 field)',
    );
    expect(message(() => parseCsvTrace('API_KEY=sk-abc\u0000HOME=/root\u0000', 'environ'))).toBe(
      'environ:1: expected a time column (one of time_ms, time_s, timestamp, TIMESTAMP), got a first line that is not a CSV header (1 field)',
    );
  });

  it('names the columns of a header without the one it needs', () => {
    expect(message(() => parseCsvTrace('when,prompt_tokens,output_tokens\n1,2,3\n', 't.csv'))).toBe(
      "t.csv:1: expected a time column (one of time_ms, time_s, timestamp, TIMESTAMP), got columns 'when', 'prompt_tokens', 'output_tokens'",
    );
  });

  it('cuts a long cell at 40 characters and escapes control characters', () => {
    const long = `${'7'.repeat(100_000)}x`;
    expect(message(() => parseCsvTrace(`time_ms,prompt_tokens,output_tokens\n0,${long},1\n`, 't.csv'))).toBe(
      `t.csv:2: column prompt_tokens: expected a number, got '${'7'.repeat(40)}... (100001 characters)'`,
    );
    expect(
      message(() => parseCsvTrace('time_ms,prompt_tokens,output_tokens\n\u001b[2J,1,1\n', 't.csv')),
    ).toBe("t.csv:2: column time_ms: expected a number, got '\\x1b[2J'");
  });

  it('quotes a short excerpt of a JSONL line that is not JSON', () => {
    expect(message(() => parseJsonlTrace(`{"timestamp": 1, ${'"a": 1, '.repeat(1000)}\n`, 't.jsonl'))).toBe(
      `t.jsonl:1: expected a JSON object per line, got '{"timestamp": 1, "a": 1, "a": 1, "a": 1,... (8016 characters)'`,
    );
  });
});

describe('JSONL records that are not objects of numbers', () => {
  const message = (text: string) => {
    try {
      parseJsonlTrace(text, 't.jsonl');
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected an error');
  };

  it('refuses null, arrays and scalars as records', () => {
    expect(message('null\n')).toBe("t.jsonl:1: expected a JSON object per line, got 'null'");
    expect(message('{"time_ms": 0, "prompt_tokens": 1, "output_tokens": 1}\n[1, 2]\n')).toBe(
      "t.jsonl:2: expected a JSON object per line, got '[1, 2]'",
    );
  });

  it('refuses an object where a number belongs without calling its toString', () => {
    expect(message('{"time_ms": {"toString": 1}, "prompt_tokens": 1, "output_tokens": 1}\n')).toBe(
      `t.jsonl:1: column time_ms: expected a number, got '{"toString":1}'`,
    );
  });
});

describe('numeric timestamps', () => {
  it('refuses one too large to be a number of milliseconds', () => {
    const huge = '9'.repeat(400);
    expect(() => parseCsvTrace(`timestamp,prompt_tokens,output_tokens\n${huge},1,1\n`, 't.csv')).toThrow(
      `t.csv:2: column timestamp: expected a timestamp like 2023-11-16 18:15:46.68 or a number of ms, got '${'9'.repeat(40)}... (400 characters)'`,
    );
  });
});
