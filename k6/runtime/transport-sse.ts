/**
 * The xk6-sse transport (k6 built with `xk6 build --with github.com/phymbert/xk6-sse`): streamed
 * requests are read event by event, so the first token is the first content event of the
 * request's dialect (dialect.ts) and the gaps between content events are the inter-token latencies. Requests that do not stream go through
 * k6/http as in stock mode. xk6-sse has no timeout of its own: a try past its timeout is closed at
 * its next event, and a server that sends nothing at all is waited for (the run's gracefulStop
 * still bounds it).
 */
import sse from 'k6/x/sse';
import { errorKind, mergeUsage, noUsage, promptTokens, streamEvent } from './dialect.ts';
import { retryAfterMs, type TryKind, type TryRequest, type TryResult } from './transport.ts';
import { stockTransport } from './transport-stock.ts';

export function sseTransport(req: TryRequest): TryResult {
  if (!req.stream) return stockTransport(req);
  const started = Date.now();
  const deadline = req.timeoutMs === null ? Number.POSITIVE_INFINITY : started + req.timeoutMs;
  let first: number | null = null;
  let last = 0;
  const gapsMs: number[] = [];
  let chunks = 0;
  let complete = false;
  let timedOut = false;
  const usage = noUsage();
  let streamError: TryKind | null = null;
  let error = '';
  const res = sse.open(
    req.url,
    { method: 'POST', body: req.body, headers: req.headers, tags: req.tags },
    (client) => {
      client.on('event', (event) => {
        const now = Date.now();
        if (now > deadline) {
          timedOut = true;
          client.close();
          return;
        }
        const data = event.data.trim();
        if (data === '[DONE]') {
          complete = true;
          client.close();
          return;
        }
        const e = streamEvent(req.api, data);
        if (e.error) {
          streamError = e.error;
          client.close();
          return;
        }
        if (e.content) {
          if (first === null) first = now - started;
          else gapsMs.push(now - last);
          last = now;
          chunks++;
        }
        if (e.finished) complete = true;
        if (e.usage) mergeUsage(usage, e.usage);
      });
      client.on('error', (e) => {
        error = e.error();
      });
    },
  );
  const status = res.error ? 0 : res.status;
  const ok = status >= 200 && status < 300 && streamError === null;
  // xk6-sse hands over no error body: an error answer is classified by its status alone.
  const kind: TryKind = timedOut
    ? 'timeout'
    : status === 0
      ? 'network'
      : status >= 200 && status < 300
        ? (streamError ?? (complete ? 'ok' : 'stream-cut'))
        : errorKind(req.api, status, '');
  return {
    kind,
    status,
    firstTokenMs: ok ? first : null,
    totalMs: Date.now() - started,
    gapsMs: ok ? gapsMs : [],
    chunks,
    inputTokens: promptTokens(req.api, usage),
    outputTokens: usage.output,
    cachedTokens: usage.cached,
    retryAfterMs: status === 429 ? retryAfterMs(res.headers?.['Retry-After']) : null,
    error: res.error || error,
  };
}
