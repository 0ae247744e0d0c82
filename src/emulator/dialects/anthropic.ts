/**
 * Anthropic Messages (`POST /v1/messages`), as @anthropic-ai/sdk's `resources/messages` types
 * describe it. A request needs `model`, `max_tokens` and a non-empty `messages` (content a string
 * or blocks with `text`); `system` (a string or text blocks) is the shared prefix. The answer is
 * a `message` with one text block, `stop_reason` `end_turn` or `max_tokens`, and usage where
 * `input_tokens` counts only the prompt tokens neither read from nor written to the prompt cache
 * (`cache_read_input_tokens`, `cache_creation_input_tokens`). A stream is named events:
 * message_start (usage so far), content_block_start, ping, one content_block_delta per token,
 * content_block_stop, message_delta (stop reason and the final usage), message_stop.
 *
 * `max_tokens` is required, so it is a cap: a request class's draw below it is the length, and
 * without a class the model writes it all (stop reason `max_tokens`).
 */
import {
  boolParam,
  estimateTokens,
  intParam,
  invalid,
  isObject,
  isWireError,
  tokenText,
  type WireError,
  wrongType,
} from '../openai.ts';
import { contentChars, contentText, itemsChars, modelParam } from './request-text.ts';
import {
  type AnswerId,
  namedEvent,
  type StreamWriter,
  type Tally,
  type WireDialect,
  withText,
} from './wire.ts';

/** Anthropic's error types by HTTP status (the dialect table's outcome types agree). */
const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};
/** `{"type":"error","error":{"type":...,"message":...}}` */
function errorBody(e: WireError): string {
  const type = TYPE_BY_STATUS[e.status] ?? 'api_error';
  return JSON.stringify({ type: 'error', error: { type, message: e.message } });
}

function parse(body: unknown, maxOutputTokens: number) {
  if (!isObject(body)) return invalid('The request body must be a JSON object.', null);
  const model = modelParam(body['model'], true);
  if (isWireError(model)) return model;
  if (body['max_tokens'] === undefined || body['max_tokens'] === null)
    return invalid("Missing required parameter: 'max_tokens'.", 'max_tokens', 'missing_required_parameter');
  const maxTokens = intParam(body['max_tokens'], 'max_tokens', 1, maxOutputTokens);
  if (isWireError(maxTokens)) return maxTokens;
  const messages = body['messages'];
  if (messages === undefined || messages === null)
    return invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages)) return wrongType('messages', 'an array', messages);
  if (messages.length === 0)
    return invalid("Invalid 'messages': at least one message is required.", 'messages');
  const chars = itemsChars(messages, 'messages', 'content');
  if (isWireError(chars)) return chars;
  const system = body['system'];
  const systemChars = contentChars(system, 'system');
  if (isWireError(systemChars)) return systemChars;
  const stream = boolParam(body['stream'], 'stream');
  if (isWireError(stream)) return stream;
  const prefixText = contentText(system);
  return {
    model,
    promptTokens: Math.max(1, estimateTokens(chars + systemChars)),
    maxTokens,
    stream: stream === true,
    includeUsage: stream === true,
    prefixText,
    prefixTokens: prefixText.length > 0 ? estimateTokens(prefixText.length) : 0,
    cacheKey: undefined,
    maxIsCap: true,
  };
}

/** Prompt tokens billed at the base price: neither read from nor written to the cache. */
const uncached = (t: Tally) => Math.max(0, t.promptTokens - t.cachedTokens - t.cacheWriteTokens);

function usage(t: Tally, outputTokens: number): string {
  return (
    `{"input_tokens":${uncached(t)},"cache_creation_input_tokens":${t.cacheWriteTokens},` +
    `"cache_read_input_tokens":${t.cachedTokens},"output_tokens":${outputTokens}}`
  );
}

const stopReason = (t: Tally) => (t.finish === 'length' ? 'max_tokens' : 'end_turn');

function messageHead(id: AnswerId): string {
  return `{"id":${JSON.stringify(id.id)},"type":"message","role":"assistant","model":${JSON.stringify(id.model)},"content":[`;
}

const DELTA_HEAD =
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":';

function stream(id: AnswerId): StreamWriter {
  return {
    start(t) {
      return (
        namedEvent(
          'message_start',
          `{"type":"message_start","message":${messageHead(id)}],"stop_reason":null,"stop_sequence":null,"usage":${usage(t, 1)}}}`,
        ) +
        namedEvent(
          'content_block_start',
          '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
        ) +
        namedEvent('ping', '{"type":"ping"}')
      );
    },
    tokens(from, to) {
      let s = '';
      for (let i = from; i < to; i++) s += `${DELTA_HEAD}${JSON.stringify(tokenText(i))}}}\n\n`;
      return s;
    },
    finish(t) {
      return [
        namedEvent('content_block_stop', '{"type":"content_block_stop","index":0}') +
          namedEvent(
            'message_delta',
            `{"type":"message_delta","delta":{"stop_reason":"${stopReason(t)}","stop_sequence":null},"usage":${usage(t, t.outputTokens)}}`,
          ) +
          namedEvent('message_stop', '{"type":"message_stop"}'),
      ];
    },
    error: (e) => namedEvent('error', errorBody(e)),
  };
}

export const ANTHROPIC_MESSAGES: WireDialect = {
  api: 'anthropic-messages',
  idPrefix: 'msg_',
  parse,
  body(id, t) {
    return withText(
      `${messageHead(id)}{"type":"text","text":"`,
      t.outputTokens,
      `"}],"stop_reason":"${stopReason(t)}","stop_sequence":null,"usage":${usage(t, t.outputTokens)}}`,
    );
  },
  stream,
  errorBody,
};
