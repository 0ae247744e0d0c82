import type { IncomingMessage } from 'node:http';
import type { WireError } from './openai.ts';

/** The 413 of a body over the cap (its `content-length`, or what arrived so far). */
export function bodyTooLarge(maxBytes: number): WireError {
  return {
    status: 413,
    message: `Request body too large: at most ${maxBytes} bytes.`,
    type: 'invalid_request_error',
    param: null,
    code: 'request_too_large',
  };
}

const NOT_JSON: WireError = {
  status: 400,
  message: 'We could not parse the JSON body of your request. The body must be one JSON object.',
  type: 'invalid_request_error',
  param: null,
  code: 'invalid_json',
};

/**
 * Reads a request body of at most `maxBytes` and parses it as JSON, then calls `done` once with
 * the value or the error to answer: 413 as soon as the declared `content-length` or the bytes
 * received pass the cap (what follows is dropped, not kept), 400 for text that is not JSON. A
 * body that never ends is Node's `requestTimeout` to cut; a client that leaves gets no call.
 */
export function readJsonBody(
  req: IncomingMessage,
  maxBytes: number,
  done: (result: { body: unknown } | WireError) => void,
): void {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) {
    done(bodyTooLarge(maxBytes));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > maxBytes) {
      refused = true;
      chunks.length = 0;
      done(bodyTooLarge(maxBytes));
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (refused) return;
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
    } catch {
      done(NOT_JSON);
      return;
    }
    done({ body });
  });
}
