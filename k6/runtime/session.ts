/**
 * Agent sessions inside k6, as src/workload/sessions.ts plays them: one k6 iteration is one
 * session, a closed loop of calls inside the open loop of session arrivals (FG-4). Everything the
 * session will do is drawn when it starts, from the iteration's stream `k6/<class>/<iteration>`
 * (first prompt, then as SessionRunner: the call count, and per call its output tokens, tool
 * tokens and think time). Call k+1 is sent `thinkTime` after call k succeeded, with the context so
 * far as its prompt: the previous prompt, call k's answer (as many tokens as the server's
 * `usage.completion_tokens` says, else max_tokens) and the tool output, the latest `maxContext`
 * tokens kept. A failed call is tried again after its think time, up to `retries` times; then the
 * session aborts.
 *
 * The context is an append-only conversation: [system prefix], user (first prompt), assistant
 * (answer 1), user (tool output 1), assistant (answer 2)... so each call's messages start with the
 * previous call's messages, word for word, and a real prompt cache can reuse them (each call also
 * names the session: header X-Floodgate-Session and body field prompt_cache_key). Once the
 * context passes maxContext the oldest tokens are dropped (a sliding window), and that sharing
 * ends. Each call's user behaviour (patience, keystroke, backoff jitter) comes from its own stream
 * `k6/<class>/<iteration>/<n>` (n counts the session's requests), and the answer and tool words
 * from `k6/<class>/<iteration>/context/<k>`, so the draws never depend on retries or timing.
 */
import type { Distribution } from '../../src/engine/dist/distribution.ts';
import { createDistribution } from '../../src/engine/dist/spec.ts';
import type { ClassPlan, SessionPlan } from '../../src/k6/script-config.ts';
import type { ClientClock, RequestResult } from './client.ts';
import type { SessionEnd } from './metrics.ts';
import { dropWords, words } from './prompt.ts';
import {
  type BodyEnv,
  type ChatMessage,
  classHeaders,
  drawSizes,
  drawUser,
  firstMessages,
  headerValue,
  type PlannedRequest,
  requestBody,
  samplersOf,
  type TraceRecordList,
} from './request.ts';
import { createStream } from './rng.ts';

/** The growing prompt of a session: messages and the tokens of each (one word per token). */
export class SessionContext {
  readonly messages: ChatMessage[];
  private readonly tokens: number[];
  total: number;

  constructor(messages: ChatMessage[], tokens: number[]) {
    this.messages = messages;
    this.tokens = tokens;
    this.total = tokens.reduce((a, t) => a + t, 0);
  }

  /** Appends a message of `tokens` tokens (none for 0). */
  append(role: ChatMessage['role'], content: string, tokens: number): void {
    if (tokens <= 0) return;
    this.messages.push({ role, content });
    this.tokens.push(tokens);
    this.total += tokens;
  }

  /** Keeps the latest `max` tokens (SessionRunner's min(context, maxContext)), at least one message. */
  trim(max: number): void {
    if (this.total <= max) return;
    let excess = this.total - max;
    while (excess > 0 && this.messages.length > 1 && this.tokens[0]! <= excess) {
      excess -= this.tokens[0]!;
      this.total -= this.tokens[0]!;
      this.messages.shift();
      this.tokens.shift();
    }
    if (excess > 0 && this.tokens[0]! > excess) {
      this.messages[0] = { ...this.messages[0]!, content: dropWords(this.messages[0]!.content, excess) };
      this.tokens[0]! -= excess;
      this.total -= excess;
    }
    // Chat templates want a conversation to open with the user (the window broke sharing anyway).
    if (this.messages[0]!.role === 'assistant') this.messages[0] = { ...this.messages[0]!, role: 'user' };
  }
}

/** A session's plan, drawn when it starts. */
export interface PlannedSession {
  /** Per call: output tokens (max_tokens), tool output appended after it, think time after it (ms). */
  outputs: number[];
  tools: number[];
  thinks: number[];
  context: SessionContext;
  /** -1 without a class prefix. */
  prefixGroup: number;
}

interface SessionSamplers {
  calls: Distribution;
  tools: Distribution;
  thinks: Distribution;
}
const sessionSamplers = new Map<string, SessionSamplers>();

function sessionSamplersOf(name: string, s: SessionPlan): SessionSamplers {
  let d = sessionSamplers.get(name);
  if (!d) {
    d = {
      calls: createDistribution(s.calls),
      tools: createDistribution(s.toolTokens),
      thinks: createDistribution(s.thinkTime),
    };
    sessionSamplers.set(name, d);
  }
  return d;
}

/** Plans session `iteration` of class `c` (which has a `session`). */
export function planSession(
  c: ClassPlan,
  s: SessionPlan,
  seed: number,
  iteration: number,
  records: TraceRecordList | null,
): PlannedSession {
  const rng = createStream(seed, `k6/${c.name}/${iteration}`);
  const { promptTokens } = drawSizes(c, rng, iteration, records);
  const { messages, tokens, prefixGroup } = firstMessages(c, seed, rng, promptTokens);
  const context = new SessionContext(messages, tokens);
  context.trim(s.maxContext);
  const d = sessionSamplersOf(c.name, s);
  const output = samplersOf(c).output;
  const n = Math.max(1, Math.round(d.calls.sample(rng)));
  const outputs: number[] = [];
  const tools: number[] = [];
  const thinks: number[] = [];
  for (let i = 0; i < n; i++) {
    outputs.push(Math.max(1, Math.round(output.sample(rng))));
    tools.push(Math.max(0, Math.round(d.tools.sample(rng))));
    thinks.push(Math.max(0, d.thinks.sample(rng)));
  }
  return { outputs, tools, thinks, context, prefixGroup };
}

/**
 * Plays session `iteration` of class `c`: `send` sends one call as the client does (and records
 * it). Returns how the session ended; a session k6 interrupts (gracefulStop) never returns.
 */
export function runSession(
  c: ClassPlan,
  s: SessionPlan,
  plan: PlannedSession,
  seed: number,
  iteration: number,
  env: BodyEnv,
  send: (req: PlannedRequest) => RequestResult,
  clock: ClientClock,
): SessionEnd {
  const started = clock.now();
  // One id per session, so a gateway can keep a session on one provider (its prompt cache), and
  // the same id as the body's prompt_cache_key for a provider's own cache routing.
  const sessionId = `${c.name}-${iteration}`;
  const headers = { ...classHeaders(c), 'X-Floodgate-Session': headerValue(sessionId) };
  const context = plan.context;
  const think = (ms: number) => {
    if (ms > 0) clock.sleep(ms / 1000);
  };
  let k = 0;
  let retriesLeft = s.retries;
  let calls = 0;
  for (;;) {
    const rng = createStream(seed, `k6/${c.name}/${iteration}/${calls}`);
    const user = drawUser(c, rng);
    const maxTokens = plan.outputs[k]!;
    calls++;
    const r = send({
      promptTokens: context.total,
      maxTokens,
      prefixGroup: plan.prefixGroup,
      ...user,
      body: requestBody(c, context.messages, maxTokens, env, sessionId),
      headers,
      rng,
    });
    if (r.outcome === 'ok') {
      const answer = r.completionTokens ?? maxTokens;
      const text = createStream(seed, `k6/${c.name}/${iteration}/context/${k}`);
      context.append('assistant', words(text, answer), answer);
      context.append('user', words(text, plan.tools[k]!), plan.tools[k]!);
      context.trim(s.maxContext);
      k++;
      retriesLeft = s.retries;
      if (k >= plan.outputs.length) return { state: 'completed', durationMs: clock.now() - started, calls };
      think(plan.thinks[k - 1]!);
      continue;
    }
    if (retriesLeft <= 0) return { state: 'aborted', durationMs: clock.now() - started, calls };
    retriesLeft--;
    think(plan.thinks[k]!);
  }
}
