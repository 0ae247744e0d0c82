/**
 * Traces with block hashes (src/workload/trace.ts): Mooncake's JSONL `hash_ids` and a hash column
 * in CSV traces, kept in one flat array with offsets, in time order; bad hashes are errors that
 * say where and what.
 */
import { describe, expect, it } from 'vitest';
import { FloodgateError } from '../../src/errors.ts';
import { parseCsvTrace, parseJsonlTrace } from '../../src/workload/trace.ts';
import { prefixTrace, toJsonl } from './trace-prefix-fixture.ts';

/** Mooncake's README sample (FAST'25 trace release), out of time order. */
const MOONCAKE = `{"timestamp": 30535, "input_length": 6472, "output_length": 26, "hash_ids": [46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2366]}
{"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2353, 2354]}
`;

function hashesOf(trace: ReturnType<typeof parseJsonlTrace>, i: number): number[] {
  return Array.from(trace.blockHashes!.subarray(trace.blockOffsets![i]!, trace.blockOffsets![i + 1]!));
}

function errorOf(f: () => unknown): FloodgateError {
  try {
    f();
  } catch (e) {
    if (e instanceof FloodgateError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('block hashes in traces', () => {
  it("reads Mooncake's hash_ids into one flat Int32Array, records in time order", () => {
    const t = parseJsonlTrace(MOONCAKE, 'm.jsonl');
    expect(Array.from(t.timesMs)).toEqual([0, 3053]);
    expect(Array.from(t.promptTokens)).toEqual([6955, 6472]);
    expect(t.blockHashes).toBeInstanceOf(Int32Array);
    expect(t.blockHashes!.length).toBe(27);
    expect(Array.from(t.blockOffsets!)).toEqual([0, 14, 27]);
    expect(hashesOf(t, 0).slice(-2)).toEqual([2353, 2354]);
    expect(hashesOf(t, 1).at(-1)).toBe(2366);
  });

  it('reads a CSV hash column (spaces, semicolons or bars), an empty cell as no hashes', () => {
    const csv =
      'time_ms,prompt_tokens,output_tokens,hash_ids\n0,1000,5,1 2 3\n10,600,5,\n20,1100,5,[1;2|4]\n';
    const t = parseCsvTrace(csv, 't.csv');
    expect(hashesOf(t, 0)).toEqual([1, 2, 3]);
    expect(hashesOf(t, 1)).toEqual([]);
    expect(hashesOf(t, 2)).toEqual([1, 2, 4]);
  });

  it('leaves traces without hashes as they were', () => {
    const t = parseCsvTrace('time_ms,prompt_tokens,output_tokens\n0,10,1\n', 't.csv');
    expect(t.blockHashes).toBeUndefined();
    expect(t.blockOffsets).toBeUndefined();
  });

  it('keeps a generated trace of 2,000 records in one array of all their hashes', () => {
    const records = prefixTrace({ seed: 1, conversations: 500, systemPrompts: 4, rateRps: 5 });
    const t = parseJsonlTrace(toJsonl(records), 'g.jsonl');
    const total = records.reduce((a, r) => a + r.hash_ids.length, 0);
    expect(t.blockHashes!.length).toBe(total);
    expect(t.blockOffsets!.length).toBe(records.length + 1);
    records.forEach((r, i) => {
      expect(hashesOf(t, i)).toEqual(r.hash_ids);
    });
  });

  it.each([
    [
      '{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": "1 2"}',
      'expected an array of integer block hashes',
    ],
    ['{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1, 2.5]}', 'integers between'],
    [
      '{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1, "2"]}',
      'expected block hashes as integers',
    ],
    [
      '{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [4294967296]}',
      'integers between',
    ],
  ])('refuses bad JSONL hashes with the line and field: %s', (line, what) => {
    const e = errorOf(() => parseJsonlTrace(`${line}\n`, 'bad.jsonl'));
    expect(e.code).toBe('FG_TRACE_INVALID');
    expect(e.message).toContain('bad.jsonl:1: field hash_ids');
    expect(e.message).toContain(what);
  });

  it('refuses a bad CSV hash cell with the line and column', () => {
    const e = errorOf(() =>
      parseCsvTrace('time_ms,prompt_tokens,output_tokens,hash_ids\n0,10,1,1 x\n', 'bad.csv'),
    );
    expect(e.message).toContain('bad.csv:2: column hash_ids');
    expect(e.message).toContain("got 'x'");
  });
});

describe('bounds on block hashes', () => {
  it('refuses a record with more than 131072 hashes, with its line', () => {
    const ids = Array.from({ length: 131_073 }, (_, i) => i);
    const line = JSON.stringify({ timestamp: 0, input_length: 10, output_length: 1, hash_ids: ids });
    const e = errorOf(() => parseJsonlTrace(`${line}\n`, 'big.jsonl'));
    expect(e.message).toContain(
      'big.jsonl:1: field hash_ids: expected at most 131072 block hashes per record',
    );
  });
});
