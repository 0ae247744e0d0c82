/**
 * A deterministic generator of small traces with block hashes, in Mooncake's JSONL format
 * (`timestamp` ms, `input_length`, `output_length`, `hash_ids`: one id per `blockTokens` tokens,
 * the last block partial). Its traffic is chat-like: conversations open with one of a few shared
 * system prompts and repeat their whole history each turn, so consecutive turns share all but
 * their last blocks, and conversations on one system prompt share its blocks.
 *
 * A turn's hashes: the system prompt's ids, the conversation's full history blocks, then 1 to 3
 * new ids (the previous answer and the new message; the last of them partial, so the next turn,
 * whose text there has grown, names it anew). Ids are remapped to small integers, as Mooncake's.
 */
import { RngStreams } from '../../src/engine/rng.ts';

export interface TraceRecord {
  timestamp: number;
  input_length: number;
  output_length: number;
  hash_ids: number[];
}

export interface PrefixTraceOptions {
  seed: number;
  /** Conversations (each 2 to 6 turns). */
  conversations: number;
  /** Shared system prompts (2 to 6 blocks each). */
  systemPrompts: number;
  /** Conversations started per second (Poisson). */
  rateRps: number;
  /** Mean think time between a conversation's turns (ms, exponential). */
  thinkMs?: number;
  blockTokens?: number;
}

export function prefixTrace(o: PrefixTraceOptions): TraceRecord[] {
  const rng = new RngStreams(o.seed).get('fixture/prefix-trace');
  const bt = o.blockTokens ?? 512;
  const think = o.thinkMs ?? 5000;
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const exp = (mean: number) => -mean * Math.log(1 - rng());
  let nextId = 0;
  const systems = Array.from({ length: o.systemPrompts }, () =>
    Array.from({ length: int(2, 6) }, () => nextId++),
  );
  const records: TraceRecord[] = [];
  let start = 0;
  for (let c = 0; c < o.conversations; c++) {
    start += exp(1000 / o.rateRps);
    const system = systems[int(0, systems.length - 1)]!;
    const history: number[] = [];
    let t = start;
    const turns = int(2, 6);
    for (let turn = 0; turn < turns; turn++) {
      const fresh = Array.from({ length: int(1, 3) }, () => nextId++);
      const hashIds = [...system, ...history, ...fresh];
      records.push({
        timestamp: Math.round(t),
        input_length: (hashIds.length - 1) * bt + int(1, bt - 1),
        output_length: int(20, 200),
        hash_ids: hashIds,
      });
      history.push(...fresh.slice(0, -1));
      t += exp(think) + 500;
    }
  }
  records.sort((a, b) => a.timestamp - b.timestamp);
  return records;
}

/** The records as JSONL text. */
export function toJsonl(records: readonly TraceRecord[]): string {
  return `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
}
