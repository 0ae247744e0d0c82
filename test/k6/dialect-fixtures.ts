/**
 * Answers of each API dialect, hand-built after the examples in the providers' API references
 * (OpenAI "Chat Completions" and "Responses: streaming events", Anthropic "Messages" and
 * "Streaming Messages", Gemini "generateContent" / "streamGenerateContent?alt=sse") and the
 * official SDKs' types: a whole response, a stream of events (for k6/http as one SSE text, for
 * xk6-sse as timed events), and error bodies. Ids and texts are shortened; the field names and
 * event sequences are the providers'.
 */
import type { ApiDialect } from '../../src/providers/dialects.ts';
import type { FakeEvent } from './harness.ts';

/** Token counts every fixture reports: prompt (cached part included), cached, output. */
export interface FixtureUsage {
  prompt: number;
  cached: number;
  output: number;
}

export const USAGE: FixtureUsage = { prompt: 300, cached: 200, output: 3 };

/** One stream event: its SSE name (Anthropic and Responses name theirs) and JSON data. */
interface Event {
  name?: string;
  data: unknown;
  /** Carries generated text (the first one is the first token). */
  content: boolean;
}

const TEXT = ['Hello', ' there', '!'];

/** The events of a streamed answer of `TEXT`, in the dialect's order. */
export function dialectEvents(api: ApiDialect, u: FixtureUsage = USAGE): Event[] {
  switch (api) {
    case 'openai-chat':
      return [
        {
          data: {
            id: 'chatcmpl-1',
            object: 'chat.completion.chunk',
            model: 'm-1',
            choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
          },
          content: false,
        },
        ...TEXT.map((t) => ({
          data: {
            id: 'chatcmpl-1',
            object: 'chat.completion.chunk',
            model: 'm-1',
            choices: [{ index: 0, delta: { content: t }, finish_reason: null }],
          },
          content: true,
        })),
        {
          data: {
            id: 'chatcmpl-1',
            object: 'chat.completion.chunk',
            choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
          },
          content: false,
        },
        {
          data: {
            id: 'chatcmpl-1',
            object: 'chat.completion.chunk',
            choices: [],
            usage: {
              prompt_tokens: u.prompt,
              completion_tokens: u.output,
              total_tokens: u.prompt + u.output,
              prompt_tokens_details: { cached_tokens: u.cached },
            },
          },
          content: false,
        },
      ];
    case 'openai-responses': {
      const response = (status: string, usage: unknown) => ({
        id: 'resp_1',
        object: 'response',
        status,
        model: 'm-1',
        output: [],
        usage,
      });
      const item = { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
      const at = { item_id: 'msg_1', output_index: 0, content_index: 0 };
      return [
        {
          name: 'response.created',
          data: { type: 'response.created', sequence_number: 0, response: response('in_progress', null) },
          content: false,
        },
        {
          name: 'response.in_progress',
          data: { type: 'response.in_progress', sequence_number: 1, response: response('in_progress', null) },
          content: false,
        },
        {
          name: 'response.output_item.added',
          data: { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item },
          content: false,
        },
        {
          name: 'response.content_part.added',
          data: {
            type: 'response.content_part.added',
            sequence_number: 3,
            ...at,
            part: { type: 'output_text', text: '', annotations: [] },
          },
          content: false,
        },
        ...TEXT.map((t, i) => ({
          name: 'response.output_text.delta',
          data: { type: 'response.output_text.delta', sequence_number: 4 + i, ...at, delta: t },
          content: true,
        })),
        {
          name: 'response.output_text.done',
          data: { type: 'response.output_text.done', sequence_number: 7, ...at, text: TEXT.join('') },
          content: false,
        },
        {
          name: 'response.completed',
          data: {
            type: 'response.completed',
            sequence_number: 8,
            response: response('completed', {
              input_tokens: u.prompt,
              input_tokens_details: { cached_tokens: u.cached },
              output_tokens: u.output,
              output_tokens_details: { reasoning_tokens: 0 },
              total_tokens: u.prompt + u.output,
            }),
          },
          content: false,
        },
      ];
    }
    case 'anthropic-messages':
      // input_tokens are the tokens after the last cache breakpoint: prompt = input + reads + writes.
      return [
        {
          name: 'message_start',
          data: {
            type: 'message_start',
            message: {
              id: 'msg_1',
              type: 'message',
              role: 'assistant',
              content: [],
              model: 'm-1',
              stop_reason: null,
              stop_sequence: null,
              usage: {
                input_tokens: u.prompt - u.cached - 10,
                cache_creation_input_tokens: 10,
                cache_read_input_tokens: u.cached,
                output_tokens: 1,
              },
            },
          },
          content: false,
        },
        {
          name: 'content_block_start',
          data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
          content: false,
        },
        { name: 'ping', data: { type: 'ping' }, content: false },
        ...TEXT.map((t) => ({
          name: 'content_block_delta',
          data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } },
          content: true,
        })),
        { name: 'content_block_stop', data: { type: 'content_block_stop', index: 0 }, content: false },
        {
          name: 'message_delta',
          data: {
            type: 'message_delta',
            delta: { stop_reason: 'end_turn', stop_sequence: null },
            usage: { output_tokens: u.output },
          },
          content: false,
        },
        { name: 'message_stop', data: { type: 'message_stop' }, content: false },
      ];
    case 'gemini': {
      const chunk = (text: string, last: boolean) => ({
        candidates: [
          {
            content: { parts: [{ text }], role: 'model' },
            ...(last ? { finishReason: 'STOP' } : {}),
            index: 0,
          },
        ],
        usageMetadata: last
          ? {
              promptTokenCount: u.prompt,
              candidatesTokenCount: u.output,
              totalTokenCount: u.prompt + u.output,
              cachedContentTokenCount: u.cached,
            }
          : { promptTokenCount: u.prompt, totalTokenCount: u.prompt },
        modelVersion: 'm-1',
      });
      return TEXT.map((t, i) => ({ data: chunk(t, i === TEXT.length - 1), content: true }));
    }
  }
}

/** The stream as k6/http returns it: one SSE text (Gemini's lines end in CRLF). */
export function dialectStreamBody(api: ApiDialect, u: FixtureUsage = USAGE): string {
  const eol = api === 'gemini' ? '\r\n' : '\n';
  let body = '';
  for (const e of dialectEvents(api, u))
    body += `${e.name ? `event: ${e.name}${eol}` : ''}data: ${JSON.stringify(e.data)}${eol}${eol}`;
  return api === 'openai-chat' ? `${body}data: [DONE]\n\n` : body;
}

/**
 * The stream as xk6-sse events: `firstMs` to the first event, `gapMs` between the events before
 * the first content, `tokenGapMs` from then on. Returns the events and when the first content
 * event came (ms after the request).
 */
export function dialectStreamEvents(
  api: ApiDialect,
  firstMs: number,
  gapMs: number,
  tokenGapMs: number,
  u: FixtureUsage = USAGE,
): { events: FakeEvent[]; firstContentMs: number } {
  let at = 0;
  let firstContentMs = -1;
  const events = dialectEvents(api, u).map((e, i) => {
    const delayMs = i === 0 ? firstMs : firstContentMs < 0 ? gapMs : tokenGapMs;
    at += delayMs;
    if (e.content && firstContentMs < 0) firstContentMs = at;
    return { delayMs, data: JSON.stringify(e.data) };
  });
  const done = api === 'openai-chat' ? [{ delayMs: 0, data: '[DONE]' }] : [];
  return { events: [...events, ...done], firstContentMs };
}

/** A whole (non-streamed) answer. */
export function dialectResponse(api: ApiDialect, u: FixtureUsage = USAGE): string {
  const text = TEXT.join('');
  switch (api) {
    case 'openai-chat':
      return JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        model: 'm-1',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: u.prompt,
          completion_tokens: u.output,
          total_tokens: u.prompt + u.output,
          prompt_tokens_details: { cached_tokens: u.cached },
        },
      });
    case 'openai-responses':
      return JSON.stringify({
        id: 'resp_1',
        object: 'response',
        status: 'completed',
        model: 'm-1',
        output: [
          {
            type: 'message',
            id: 'msg_1',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text, annotations: [] }],
          },
        ],
        usage: {
          input_tokens: u.prompt,
          input_tokens_details: { cached_tokens: u.cached },
          output_tokens: u.output,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: u.prompt + u.output,
        },
      });
    case 'anthropic-messages':
      return JSON.stringify({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'm-1',
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: u.prompt - u.cached - 10,
          cache_creation_input_tokens: 10,
          cache_read_input_tokens: u.cached,
          output_tokens: u.output,
        },
      });
    case 'gemini':
      return JSON.stringify({
        candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', index: 0 }],
        usageMetadata: {
          promptTokenCount: u.prompt,
          candidatesTokenCount: u.output,
          totalTokenCount: u.prompt + u.output,
          cachedContentTokenCount: u.cached,
        },
        modelVersion: 'm-1',
      });
  }
}

/** Error bodies as each API sends them. */
export const ERROR_BODIES = {
  openaiRateLimit: JSON.stringify({
    error: {
      message: 'Rate limit reached for m-1 on requests per min (RPM): Limit 3, Used 3, Requested 1.',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    },
  }),
  openaiQuota: JSON.stringify({
    error: {
      message: 'You exceeded your current quota, please check your plan and billing details.',
      type: 'insufficient_quota',
      param: null,
      code: 'insufficient_quota',
    },
  }),
  openaiOverloaded: JSON.stringify({
    error: {
      message: 'The engine is currently overloaded, please try again later.',
      type: 'server_error',
      param: null,
      code: null,
    },
  }),
  anthropicRateLimit: JSON.stringify({
    type: 'error',
    error: {
      type: 'rate_limit_error',
      message: 'Number of request tokens has exceeded your per-minute rate limit',
    },
  }),
  anthropicOverloaded: JSON.stringify({
    type: 'error',
    error: { type: 'overloaded_error', message: 'Overloaded' },
  }),
  anthropicApiError: JSON.stringify({
    type: 'error',
    error: { type: 'api_error', message: 'Internal server error' },
  }),
  geminiExhausted: JSON.stringify({
    error: {
      code: 429,
      message: 'Resource has been exhausted (e.g. check quota).',
      status: 'RESOURCE_EXHAUSTED',
    },
  }),
  geminiUnavailable: JSON.stringify({
    error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
  }),
  geminiInternal: JSON.stringify({
    error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' },
  }),
} as const;

/** An Anthropic stream that starts, then reports the API overloaded (an `error` event after the 200). */
export function anthropicOverloadedStream(): { body: string; events: FakeEvent[] } {
  const start = dialectEvents('anthropic-messages').slice(0, 4);
  const error = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
  const body =
    start.map((e) => `event: ${e.name}\ndata: ${JSON.stringify(e.data)}\n\n`).join('') +
    `event: error\ndata: ${JSON.stringify(error)}\n\n`;
  const events = [...start.map((e) => e.data), error].map((d) => ({ delayMs: 50, data: JSON.stringify(d) }));
  return { body, events };
}
