/**
 * OpenAI Responses (`POST /v1/responses`), as openai-node's `resources/responses` types describe
 * it. A request's prompt is `input` (a string, or message items whose `content` is a string or
 * parts with `text`) plus `instructions`; its length `max_output_tokens`. The answer is a
 * `response` object with one `message` output item holding one `output_text` part, and usage
 * `input_tokens` (cached ones in `input_tokens_details.cached_tokens`), `output_tokens`,
 * `total_tokens`. A stream is named events, each with its `sequence_number`: response.created,
 * response.in_progress, response.output_item.added, response.content_part.added, one
 * response.output_text.delta per token, response.output_text.done, response.content_part.done,
 * response.output_item.done, then response.completed (response.incomplete, reason
 * `max_output_tokens`, when the output stopped at the maximum) carrying the whole response.
 */
import {
  boolParam,
  errorBody,
  estimateTokens,
  intParam,
  invalid,
  isObject,
  isWireError,
  tokenText,
  type WireError,
  wrongType,
} from '../openai.ts';
import { contentText, itemsChars, modelParam, stringParam } from './request-text.ts';
import {
  type AnswerId,
  namedEvent,
  type StreamWriter,
  type Tally,
  type WireDialect,
  withText,
} from './wire.ts';

function parse(body: unknown, maxOutputTokens: number) {
  if (!isObject(body)) return invalid('The request body must be a JSON object.', null);
  const input = body['input'];
  if (input === undefined || input === null)
    return invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  let chars: number | WireError;
  if (typeof input === 'string') chars = input.length;
  else if (Array.isArray(input)) chars = itemsChars(input, 'input', 'content');
  else return wrongType('input', 'a string or an array of input items', input);
  if (isWireError(chars)) return chars;
  const instructions = stringParam(body['instructions'], 'instructions');
  if (isWireError(instructions)) return instructions;
  const model = modelParam(body['model'], false);
  if (isWireError(model)) return model;
  const maxTokens = intParam(body['max_output_tokens'], 'max_output_tokens', 1, maxOutputTokens);
  if (isWireError(maxTokens)) return maxTokens;
  const cacheKey = stringParam(body['prompt_cache_key'], 'prompt_cache_key');
  if (isWireError(cacheKey)) return cacheKey;
  const stream = boolParam(body['stream'], 'stream');
  if (isWireError(stream)) return stream;
  // The shared prefix: the instructions, else a leading system/developer message before more.
  let prefixText = instructions ?? '';
  if (prefixText === '' && Array.isArray(input) && input.length > 1) {
    const first = input[0] as { role?: unknown; content?: unknown };
    if (first.role === 'system' || first.role === 'developer') prefixText = contentText(first.content);
  }
  const total = chars + (instructions?.length ?? 0);
  return {
    model,
    promptTokens: Math.max(1, estimateTokens(total)),
    maxTokens,
    stream: stream === true,
    includeUsage: stream === true,
    prefixText,
    prefixTokens: prefixText.length > 0 ? estimateTokens(prefixText.length) : 0,
    cacheKey: cacheKey !== undefined && cacheKey !== '' ? cacheKey : undefined,
    maxIsCap: false,
  };
}

function usage(t: Tally): string {
  return JSON.stringify({
    input_tokens: t.promptTokens,
    input_tokens_details: { cached_tokens: t.cachedTokens },
    output_tokens: t.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: t.promptTokens + t.outputTokens,
  });
}

const itemIdOf = (id: AnswerId) => `msg_${id.id.slice('resp_'.length)}`;
const PART_HEAD = '{"type":"output_text","annotations":[],"logprobs":[],"text":"';

/** The response object, split around the output text (`text` false: no output yet). */
function responseParts(id: AnswerId, t: Tally | undefined): { before: string; after: string } {
  const status = t === undefined ? 'in_progress' : t.finish === 'length' ? 'incomplete' : 'completed';
  const head =
    `{"id":${JSON.stringify(id.id)},"object":"response","created_at":${id.created},"status":"${status}",` +
    `"error":null,"incomplete_details":${status === 'incomplete' ? '{"reason":"max_output_tokens"}' : 'null'},` +
    `"model":${JSON.stringify(id.model)},"output":[`;
  const tail = `],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"usage":${t === undefined ? 'null' : usage(t)}}`;
  if (t === undefined) return { before: head + tail, after: '' };
  return {
    before: `${head}{"id":${JSON.stringify(itemIdOf(id))},"type":"message","status":"completed","role":"assistant","content":[${PART_HEAD}`,
    after: `"}]}${tail}`,
  };
}

function stream(id: AnswerId): StreamWriter {
  const itemId = JSON.stringify(itemIdOf(id));
  const at = `"item_id":${itemId},"output_index":0,"content_index":0`;
  /** Events before the first token: sequence numbers 0..3; token i is event 4 + i. */
  const FIRST_TOKEN_SEQ = 4;
  const deltaHead = `event: response.output_text.delta\ndata: {"type":"response.output_text.delta",${at},"delta":`;
  return {
    start() {
      const created = responseParts(id, undefined).before;
      return (
        namedEvent(
          'response.created',
          `{"type":"response.created","sequence_number":0,"response":${created}}`,
        ) +
        namedEvent(
          'response.in_progress',
          `{"type":"response.in_progress","sequence_number":1,"response":${created}}`,
        ) +
        namedEvent(
          'response.output_item.added',
          `{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":${itemId},"type":"message","status":"in_progress","role":"assistant","content":[]}}`,
        ) +
        namedEvent(
          'response.content_part.added',
          `{"type":"response.content_part.added","sequence_number":3,${at},"part":${PART_HEAD}"}}`,
        )
      );
    },
    tokens(from, to) {
      let s = '';
      for (let i = from; i < to; i++)
        s += `${deltaHead}${JSON.stringify(tokenText(i))},"logprobs":[],"sequence_number":${FIRST_TOKEN_SEQ + i}}\n\n`;
      return s;
    },
    *finish(t) {
      const n = t.outputTokens;
      const seq = FIRST_TOKEN_SEQ + n;
      yield* withText(
        `event: response.output_text.done\ndata: {"type":"response.output_text.done","sequence_number":${seq},${at},"text":"`,
        n,
        '","logprobs":[]}\n\n',
      ).parts;
      yield* withText(
        `event: response.content_part.done\ndata: {"type":"response.content_part.done","sequence_number":${seq + 1},${at},"part":${PART_HEAD}`,
        n,
        '"}}\n\n',
      ).parts;
      yield* withText(
        `event: response.output_item.done\ndata: {"type":"response.output_item.done","sequence_number":${seq + 2},"output_index":0,"item":{"id":${itemId},"type":"message","status":"completed","role":"assistant","content":[${PART_HEAD}`,
        n,
        '"}]}}\n\n',
      ).parts;
      const name = t.finish === 'length' ? 'response.incomplete' : 'response.completed';
      const r = responseParts(id, t);
      yield* withText(
        `event: ${name}\ndata: {"type":"${name}","sequence_number":${seq + 3},"response":${r.before}`,
        n,
        `${r.after}}\n\n`,
      ).parts;
    },
    error(e) {
      // The Responses API's stream error event: `{type: 'error', code, message, param}`.
      return namedEvent(
        'error',
        JSON.stringify({ type: 'error', code: e.code ?? e.type, message: e.message, param: e.param }),
      );
    },
  };
}

export const OPENAI_RESPONSES: WireDialect = {
  api: 'openai-responses',
  idPrefix: 'resp_',
  parse,
  body(id, t) {
    const r = responseParts(id, t);
    return withText(r.before, t.outputTokens, r.after);
  },
  stream,
  errorBody,
};
