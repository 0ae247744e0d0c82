/**
 * One request of a class, planned from its seeded stream: sizes from the class's distributions
 * (the simulator's own samplers, src/engine/dist) or from its trace record, the prefix group, the
 * user's patience, and the OpenAI chat-completions body. Draw order per request: prompt, output,
 * prefix group, patience; then backoff jitter as tries fail. A class with a `prefix` sends it as a
 * system message (the same text for every request of its group), which is what the emulator and
 * prefix caches treat as a shared prefix.
 *
 * Example body: {"model":"small-model","messages":[{"role":"user","content":"the of people ..."}],
 *   "max_tokens":24,"stream":true,"stream_options":{"include_usage":true}}
 */
import type { Distribution } from '../../src/engine/dist/distribution.ts';
import { createDistribution } from '../../src/engine/dist/spec.ts';
import type { ClassPlan } from '../../src/k6/script-config.ts';
import { prefixText, words } from './prompt.ts';
import { createStream, type Random } from './rng.ts';

export interface PlannedRequest {
  promptTokens: number;
  maxTokens: number;
  /** -1 without a prefix. */
  prefixGroup: number;
  /** How long the user waits before abandoning (ms), or null. */
  patienceMs: number | null;
  body: string;
  headers: Record<string, string>;
  /** The request's stream, for the client's backoff jitter. */
  rng: Random;
}

interface Samplers {
  prompt: Distribution;
  output: Distribution;
  patience: Distribution | null;
}
const samplers = new Map<string, Samplers>();

function samplersOf(c: ClassPlan): Samplers {
  let s = samplers.get(c.name);
  if (!s) {
    s = {
      prompt: createDistribution(c.promptTokens),
      output: createDistribution(c.outputTokens),
      patience: c.client.abandonAfter ? createDistribution(c.client.abandonAfter) : null,
    };
    samplers.set(c.name, s);
  }
  return s;
}

/** Trace records [prompt, output] by index (a k6 SharedArray). */
export type TraceRecordList = readonly (readonly [number, number])[];

/**
 * Plans iteration `iteration` of class `c`. `model` and `bodyExtra` come from the environment
 * (FLOODGATE_MODEL, FLOODGATE_BODY); `records` are the class's trace records when it replays one.
 */
export function planRequest(
  c: ClassPlan,
  seed: number,
  iteration: number,
  model: string | null,
  bodyExtra: Record<string, unknown>,
  records: TraceRecordList | null,
): PlannedRequest {
  const rng = createStream(seed, `k6/${c.name}/${iteration}`);
  const s = samplersOf(c);
  let promptTokens: number;
  let maxTokens: number;
  if (c.trace && records && records.length > 0) {
    const k = Math.min(records.length - 1, Math.floor(iteration / c.trace.iterationsPerRecord));
    const [prompt, output] = records[k]!;
    promptTokens = Math.max(1, prompt);
    maxTokens = Math.max(1, output);
  } else {
    promptTokens = Math.max(1, Math.round(s.prompt.sample(rng)));
    maxTokens = Math.max(1, Math.round(s.output.sample(rng)));
  }
  // A shared prefix is a system message (a system prompt), the rest the user's message.
  const messages: { role: 'system' | 'user'; content: string }[] = [];
  let prefixGroup = -1;
  let own = promptTokens;
  if (c.prefix) {
    prefixGroup = Math.floor(rng() * c.prefix.groups);
    const shared = Math.min(c.prefix.tokens, promptTokens);
    messages.push({ role: 'system', content: prefixText(seed, c.name, prefixGroup, shared) });
    own = Math.max(1, promptTokens - shared);
  }
  messages.push({ role: 'user', content: words(rng, own) });
  const patienceMs = s.patience ? s.patience.sample(rng) : null;
  const body: Record<string, unknown> = {
    model: model ?? c.model,
    messages,
    max_tokens: maxTokens,
    stream: c.stream,
  };
  if (c.stream) body['stream_options'] = { include_usage: true };
  Object.assign(body, bodyExtra);
  const headers: Record<string, string> = {
    'X-Floodgate-Class': c.name,
    'X-Floodgate-Priority': String(c.priority),
  };
  if (c.tenant !== null) headers['X-Floodgate-Tenant'] = c.tenant;
  if (c.deadlineMs !== null) headers['X-Floodgate-Deadline-Ms'] = String(Math.round(c.deadlineMs));
  return { promptTokens, maxTokens, prefixGroup, patienceMs, body: JSON.stringify(body), headers, rng };
}
