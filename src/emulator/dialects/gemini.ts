/**
 * Gemini `generateContent` (`POST /v1beta/models/{model}:generateContent`) and
 * `streamGenerateContent` (`?alt=sse`), as @google/genai's types describe them. The model and
 * streaming are in the path; the prompt is `contents` (items whose `parts` carry `text`) plus
 * `systemInstruction` (the shared prefix); the length `generationConfig.maxOutputTokens`;
 * `cachedContent` names a cache entry (the emulator's cache key). The answer is a
 * `GenerateContentResponse`: one candidate (`content.parts[0].text`, role `model`,
 * `finishReason` `STOP` or `MAX_TOKENS`) and `usageMetadata` (`promptTokenCount` with the cached
 * ones in `cachedContentTokenCount`, `candidatesTokenCount`, `totalTokenCount`). A stream is one
 * `data:` event per token, then one with the finish reason and the usage, separated by CRLF
 * pairs as Google's servers send them; without `alt=sse` the same objects are the elements of one
 * JSON array, written as they come (`[{...}`, then `\n,\r\n{...}`, then `\n]`: the layout
 * Portkey's Google adapter splits on CRLF). Errors are `{error: {code, message, status}}` with the
 * google.rpc status name (RESOURCE_EXHAUSTED, UNAVAILABLE, ...); a 429 carries a RetryInfo.
 */
import {
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
import type { AnswerId, DialectRequest, RouteFacts, StreamWriter, Tally, WireDialect } from './wire.ts';
import { withText } from './wire.ts';

/** google.rpc status names by HTTP status (the dialect table's outcome types agree). */
const STATUS_BY_HTTP: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'INVALID_ARGUMENT',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** `{"error":{"code":429,"message":...,"status":"RESOURCE_EXHAUSTED"[,"details":[RetryInfo]]}}` */
function errorBody(e: WireError): string {
  const status = STATUS_BY_HTTP[e.status] ?? 'UNKNOWN';
  const error: Record<string, unknown> = { code: e.status, message: e.message, status };
  if (e.retryAfterS !== undefined)
    error['details'] = [
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${e.retryAfterS}s` },
    ];
  return JSON.stringify({ error });
}

function parse(body: unknown, maxOutputTokens: number, route: RouteFacts): DialectRequest | WireError {
  if (!isObject(body)) return invalid('The request body must be a JSON object.', null);
  // The path's model is echoed in every event: held to the same length as a body's.
  const model = modelParam(route.model, false);
  if (isWireError(model)) return model;
  const contents = body['contents'];
  if (contents === undefined || contents === null)
    return invalid('* GenerateContentRequest.contents: contents is not specified', 'contents');
  if (!Array.isArray(contents)) return wrongType('contents', 'an array', contents);
  if (contents.length === 0)
    return invalid('* GenerateContentRequest.contents: contents is not specified', 'contents');
  const chars = itemsChars(contents, 'contents', 'parts');
  if (isWireError(chars)) return chars;
  // The REST API takes either spelling of a field.
  const system = body['systemInstruction'] ?? body['system_instruction'];
  let prefixText = '';
  if (system !== undefined && system !== null) {
    const systemChars = itemsChars([system], 'systemInstruction', 'parts');
    if (isWireError(systemChars)) return systemChars;
    prefixText = contentText((system as { parts?: unknown }).parts);
  }
  const config = body['generationConfig'] ?? body['generation_config'];
  let maxTokens: number | undefined;
  if (config !== undefined && config !== null) {
    if (!isObject(config)) return wrongType('generationConfig', 'an object', config);
    const v = intParam(
      config['maxOutputTokens'] ?? config['max_output_tokens'],
      'generationConfig.maxOutputTokens',
      1,
      maxOutputTokens,
    );
    if (isWireError(v)) return v;
    maxTokens = v;
  }
  const cacheKey = stringParam(body['cachedContent'] ?? body['cached_content'], 'cachedContent');
  if (isWireError(cacheKey)) return cacheKey;
  return {
    model,
    promptTokens: Math.max(1, estimateTokens(chars + prefixText.length)),
    maxTokens,
    stream: route.stream === true,
    includeUsage: route.stream === true,
    prefixText,
    prefixTokens: prefixText.length > 0 ? estimateTokens(prefixText.length) : 0,
    cacheKey: cacheKey !== undefined && cacheKey !== '' ? cacheKey : undefined,
    maxIsCap: false,
    arrayStream: route.stream === true && route.sse === false,
  };
}

function usageMetadata(t: Tally): string {
  return JSON.stringify({
    promptTokenCount: t.promptTokens,
    candidatesTokenCount: t.outputTokens,
    totalTokenCount: t.promptTokens + t.outputTokens,
    cachedContentTokenCount: t.cachedTokens,
  });
}

const finishReason = (t: Tally) => (t.finish === 'length' ? 'MAX_TOKENS' : 'STOP');
const CANDIDATE_HEAD = '{"candidates":[{"content":{"parts":[{"text":"';
/** Google's servers end each event with a CRLF pair. */
const END = '\r\n\r\n';

function trailer(id: AnswerId): string {
  return `"modelVersion":${JSON.stringify(id.model)},"responseId":${JSON.stringify(id.id)}}`;
}

function stream(id: AnswerId, req: DialectRequest): StreamWriter {
  const tail = `"}],"role":"model"},"index":0}],${trailer(id)}`;
  const last = (t: Tally) =>
    `${CANDIDATE_HEAD}"}],"role":"model"},"finishReason":"${finishReason(t)}","index":0}],"usageMetadata":${usageMetadata(t)},${trailer(id)}`;
  if (req.arrayStream) {
    // Element i of the array: the first opens it, the others follow the separator. An error comes
    // only after a token went out (the headers go with the first one).
    const at = (i: number, json: string) => (i === 0 ? '[' : '\n,\r\n') + json;
    return {
      contentType: 'application/json; charset=utf-8',
      start: () => '',
      tokens(from, to) {
        let s = '';
        for (let i = from; i < to; i++)
          s += at(i, `${CANDIDATE_HEAD}${JSON.stringify(tokenText(i)).slice(1, -1)}${tail}`);
        return s;
      },
      finish: (t) => [`${at(t.outputTokens, last(t))}\n]`],
      error: (e) => `${at(1, errorBody(e))}\n]`,
    };
  }
  return {
    start: () => '',
    tokens(from, to) {
      let s = '';
      for (let i = from; i < to; i++)
        s += `data: ${CANDIDATE_HEAD}${JSON.stringify(tokenText(i)).slice(1, -1)}${tail}${END}`;
      return s;
    },
    finish: (t) => [`data: ${last(t)}${END}`],
    error: (e) => `data: ${errorBody(e)}${END}`,
  };
}

export const GEMINI: WireDialect = {
  api: 'gemini',
  idPrefix: '',
  parse,
  body(id, t) {
    return withText(
      CANDIDATE_HEAD,
      t.outputTokens,
      `"}],"role":"model"},"finishReason":"${finishReason(t)}","index":0}],"usageMetadata":${usageMetadata(t)},${trailer(id)}`,
    );
  },
  stream,
  errorBody,
};
