/**
 * The stock-k6 transport: one `http.post` per try. k6/http reads the whole body before it
 * returns, so a streamed response cannot be timed token by token: the first token is taken as the
 * first response byte (blocked + connecting + TLS + sending + waiting, i.e. `timings.waiting`
 * after the connection), a proxy that reads low when the server sends its headers before the first
 * token. Token counts come from the `usage` the server reports (stream_options.include_usage).
 */
import http from 'k6/http';
import { classify, parseCompletion, retryAfterMs, type TryRequest, type TryResult } from './transport.ts';

/** k6 answers a request that ran out of time with error_code 1050. */
const K6_TIMEOUT_CODE = 1050;
/** Without a client timeout, still stop waiting at some point (k6's own default is 60 s). */
const NO_TIMEOUT_MS = 3_600_000;

export function stockTransport(req: TryRequest): TryResult {
  const started = Date.now();
  const res = http.post(req.url, req.body, {
    headers: req.headers,
    timeout: req.timeoutMs ?? NO_TIMEOUT_MS,
    tags: req.tags,
    responseType: 'text',
  });
  const totalMs = Date.now() - started;
  const t = res.timings;
  const timedOut = res.error_code === K6_TIMEOUT_CODE;
  const body = typeof res.body === 'string' ? res.body : '';
  const parsed =
    res.status >= 200 && res.status < 300
      ? parseCompletion(body, req.stream)
      : { inputTokens: null, outputTokens: null, chunks: 0, complete: false };
  const kind = classify(res.status, timedOut, parsed.complete);
  return {
    kind,
    status: res.status,
    firstTokenMs:
      res.status > 0 ? t.blocked + t.connecting + t.tls_handshaking + t.sending + t.waiting : null,
    totalMs,
    gapsMs: [],
    chunks: parsed.chunks,
    inputTokens: parsed.inputTokens,
    outputTokens: parsed.outputTokens,
    retryAfterMs: res.status === 429 ? retryAfterMs(res.headers['Retry-After']) : null,
    error: res.error ?? '',
  };
}
