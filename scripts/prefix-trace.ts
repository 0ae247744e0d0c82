/**
 * Writes a small generated trace with block hashes (Mooncake's JSONL format) to stdout: chat
 * conversations over a few shared system prompts, each turn repeating its history (see
 * test/workload/trace-prefix-fixture.ts). Deterministic for a seed.
 *
 *   npx tsx scripts/prefix-trace.ts [seed] [conversations] [rate/s] > trace.jsonl
 */
import { prefixTrace, toJsonl } from '../test/workload/trace-prefix-fixture.ts';

const [seed = '1', conversations = '300', rate = '3'] = process.argv.slice(2);
process.stdout.write(
  toJsonl(
    prefixTrace({
      seed: Number(seed),
      conversations: Number(conversations),
      systemPrompts: 4,
      rateRps: Number(rate),
    }),
  ),
);
