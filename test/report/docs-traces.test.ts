/**
 * The trace formats as docs/guide/scenario-reference.md documents them: its CSV and JSONL
 * examples parse, and every column name its table lists is one the parser accepts. (Lives with
 * the report's tests: the guide is documentation of what users read, like the report.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsvTrace, parseJsonlTrace } from '../../src/workload/trace.ts';

const GUIDE = readFileSync(join(import.meta.dirname, '../../docs/guide/scenario-reference.md'), 'utf8');
const section = GUIDE.slice(GUIDE.indexOf('### Traces'), GUIDE.indexOf('`classes[]`:'));
const block = (lang: string) => new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section)?.[1] ?? '';
/** The accepted names in the columns table's row for `what`. */
const names = (what: string) => {
  const row = section.split('\n').find((l) => l.startsWith(`| ${what} |`)) ?? '';
  return [...row.split('|')[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
};

describe('the traces section of the scenario reference', () => {
  it('has a CSV example that parses, classes included', () => {
    const t = parseCsvTrace(block('csv'), 'example.csv');
    expect([...t.timesMs]).toEqual([0, 850, 910]);
    expect([...t.promptTokens]).toEqual([1200, 300, 4000]);
    expect(t.classes).toEqual(['chat', 'tab', 'agent']);
  });

  it('has a JSONL example that parses, with millisecond timestamps', () => {
    const t = parseJsonlTrace(block('jsonl'), 'example.jsonl');
    expect([...t.timesMs]).toEqual([0, 850]);
    expect([...t.outputTokens]).toEqual([80, 16]);
  });

  it('lists only column names the parser accepts, for time, prompt and output tokens', () => {
    const time = names('arrival time');
    const prompt = names('prompt tokens');
    const output = names('output tokens');
    expect(time).toEqual(['time_ms', 'time_s', 'timestamp', 'TIMESTAMP']);
    expect(prompt).toHaveLength(4);
    expect(output).toHaveLength(3);
    for (const t of time)
      for (const p of prompt)
        for (const o of output) {
          const trace = parseCsvTrace(`${t},${p},${o}\n2,10,5\n4,20,6\n`, 'x.csv');
          expect([...trace.promptTokens], `${t},${p},${o}`).toEqual([10, 20]);
          expect(trace.spanMs, `${t},${p},${o}`).toBe(t === 'time_s' ? 2000 : 2);
        }
  });
});
