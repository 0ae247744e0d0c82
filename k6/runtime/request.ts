/**
 * One request of a class, planned from its seeded stream: sizes from the class's distributions
 * (the simulator's own samplers, src/engine/dist) or from its trace record, the prefix group, the
 * user's patience and next keystroke, and the body in the class's dialect (dialect.ts). Draw order per
 * request: prompt, output, prefix group, prompt words, patience, keystroke gap; then backoff
 * jitter as tries fail. A class with a `prefix` sends it as a system message (the same text for
 * every request of its group), which is what the emulator and prefix caches treat as a shared
 * prefix. Agent sessions (session.ts) build their calls from the same pieces.
 *
 * Example chat-completions body: {"model":"small-model","messages":[{"role":"user","content":"the of people ..."}],
 *   "max_tokens":24,"stream":true,"stream_options":{"include_usage":true}}
 */
import type { Distribution } from '../../src/engine/dist/distribution.ts';
import { createDistribution } from '../../src/engine/dist/spec.ts';
import type { ClassPlan } from '../../src/k6/script-config.ts';
import { type ChatMessage, dialectBody } from './dialect.ts';
import { CONTROL_CHARACTER } from './env.ts';
import { prefixText, words } from './prompt.ts';
import { createStream, type Random } from './rng.ts';

export interface PlannedRequest {
  promptTokens: number;
  maxTokens: number;
  /** -1 without a prefix. */
  prefixGroup: number;
  /** How long the user waits before abandoning (ms), or null. */
  patienceMs: number | null;
  /** Time from arrival to the user's next keystroke, which cancels the request (ms), or null. */
  keystrokeMs: number | null;
  body: string;
  headers: Record<string, string>;
  /** The request's stream, for the client's backoff jitter. */
  rng: Random;
}

export type { ChatMessage };

interface Samplers {
  prompt: Distribution;
  output: Distribution;
  patience: Distribution | null;
  keystroke: Distribution | null;
}
const samplers = new Map<string, Samplers>();

export function samplersOf(c: ClassPlan): Samplers {
  let s = samplers.get(c.name);
  if (!s) {
    s = {
      prompt: createDistribution(c.promptTokens),
      output: createDistribution(c.outputTokens),
      patience: c.client.abandonAfter ? createDistribution(c.client.abandonAfter) : null,
      keystroke: c.cancelAfter ? createDistribution(c.cancelAfter) : null,
    };
    samplers.set(c.name, s);
  }
  return s;
}

/** Trace records [prompt, output] by index (a k6 SharedArray). */
export type TraceRecordList = readonly (readonly [number, number])[];

/** Body options from the environment: FLOODGATE_MODEL and FLOODGATE_BODY. */
export interface BodyEnv {
  model: string | null;
  bodyExtra: Record<string, unknown>;
}

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
  const { promptTokens, maxTokens } = drawSizes(c, rng, iteration, records);
  const { messages, prefixGroup } = firstMessages(c, seed, rng, promptTokens);
  const { patienceMs, keystrokeMs } = drawUser(c, rng);
  return {
    promptTokens,
    maxTokens,
    prefixGroup,
    patienceMs,
    keystrokeMs,
    body: requestBody(c, messages, maxTokens, { model, bodyExtra }),
    headers: classHeaders(c),
    rng,
  };
}

/** Prompt and output tokens: the trace record of the iteration, else draws from the class. */
export function drawSizes(
  c: ClassPlan,
  rng: Random,
  iteration: number,
  records: TraceRecordList | null,
): { promptTokens: number; maxTokens: number } {
  if (c.trace && records && records.length > 0) {
    const k = Math.min(records.length - 1, Math.floor(iteration / c.trace.iterationsPerRecord));
    const [prompt, output] = records[k]!;
    return { promptTokens: Math.max(1, prompt), maxTokens: Math.max(1, output) };
  }
  const s = samplersOf(c);
  const promptTokens = Math.max(1, Math.round(s.prompt.sample(rng)));
  return { promptTokens, maxTokens: Math.max(1, Math.round(s.output.sample(rng))) };
}

/**
 * The messages of a fresh prompt of `promptTokens`: a shared prefix is a system message (a
 * system prompt), the rest the user's message.
 */
export function firstMessages(
  c: ClassPlan,
  seed: number,
  rng: Random,
  promptTokens: number,
): { messages: ChatMessage[]; tokens: number[]; prefixGroup: number } {
  const messages: ChatMessage[] = [];
  const tokens: number[] = [];
  let prefixGroup = -1;
  let own = promptTokens;
  if (c.prefix) {
    prefixGroup = Math.floor(rng() * c.prefix.groups);
    const shared = Math.min(c.prefix.tokens, promptTokens);
    messages.push({ role: 'system', content: prefixText(seed, c.name, prefixGroup, shared) });
    tokens.push(shared);
    own = Math.max(1, promptTokens - shared);
  }
  messages.push({ role: 'user', content: words(rng, own) });
  tokens.push(own);
  return { messages, tokens, prefixGroup };
}

/** What the user behind one request does: patience, then the gap to the next keystroke. */
export function drawUser(
  c: ClassPlan,
  rng: Random,
): { patienceMs: number | null; keystrokeMs: number | null } {
  const s = samplersOf(c);
  const patienceMs = s.patience ? s.patience.sample(rng) : null;
  const keystrokeMs = s.keystroke ? Math.max(0, s.keystroke.sample(rng)) : null;
  return { patienceMs, keystrokeMs };
}

/**
 * The request body (JSON text) in the class's dialect (dialect.ts); for chat completions as in the
 * example above. `cacheKey` (a session's id) goes out as `prompt_cache_key`, OpenAI's field for
 * routing requests that share a prefix to one cache (Anthropic's requests mark the conversation
 * with cache_control instead); FLOODGATE_BODY can still override it.
 */
export function requestBody(
  c: ClassPlan,
  messages: readonly ChatMessage[],
  maxTokens: number,
  env: BodyEnv,
  cacheKey?: string,
): string {
  return dialectBody(c.api, {
    model: env.model ?? c.model,
    messages,
    maxTokens,
    stream: c.stream,
    cacheKey,
    bodyExtra: env.bodyExtra,
  });
}

/** What the scenario says about a class's requests, for the gateway. */
export function classHeaders(c: ClassPlan): Record<string, string> {
  const headers: Record<string, string> = {
    'X-Floodgate-Class': headerValue(c.name),
    'X-Floodgate-Priority': String(c.priority),
  };
  if (c.tenant !== null) headers['X-Floodgate-Tenant'] = headerValue(c.tenant);
  if (c.deadlineMs !== null) headers['X-Floodgate-Deadline-Ms'] = String(Math.round(c.deadlineMs));
  return headers;
}

/**
 * Scenario text as a header value: a line break or another control character would make k6 refuse
 * the request (or, in a lax client, start a new header), so they are percent-encoded, and so is
 * `%` whenever something is, to keep the mapping one to one: 'a\nb' -> 'a%0Ab'.
 */
export function headerValue(text: string): string {
  if (!CONTROL_CHARACTER.test(text)) return text;
  let out = '';
  for (const c of text)
    out +=
      c === '%' || CONTROL_CHARACTER.test(c)
        ? `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
        : c;
  return out;
}
