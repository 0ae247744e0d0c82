import type { IncomingMessage } from 'node:http';
import type { WireError } from './openai.ts';

/**
 * Bytes of request bodies being read: each at most `maxBodyBytes`, all together at most
 * `maxTotalBytes`, so many clients sending large bodies at once cannot exhaust memory either.
 */
export class BodyBudget {
  readonly maxBodyBytes: number;
  readonly maxTotalBytes: number;
  /** Bytes held by bodies still being read. */
  used = 0;
  constructor(maxBodyBytes: number, maxTotalBytes: number) {
    this.maxBodyBytes = maxBodyBytes;
    this.maxTotalBytes = maxTotalBytes;
  }
}

/** The 413 of a body over the cap (its `content-length`, or what arrived so far). */
function bodyTooLarge(maxBytes: number): WireError {
  return {
    status: 413,
    message: `Request body too large: at most ${maxBytes} bytes.`,
    type: 'invalid_request_error',
    param: null,
    code: 'request_too_large',
  };
}

/** The 503 when the bodies being read together pass their budget. */
function bodiesOverBudget(maxTotalBytes: number): WireError {
  return {
    status: 503,
    message: `The emulator is reading too many request bodies at once (at most ${maxTotalBytes} bytes together). You can retry your request.`,
    type: 'server_error',
    param: null,
    code: 'server_is_overloaded',
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
 * Reads a request body and parses it as JSON, then calls `done` once with the value or the error
 * to answer: 413 as soon as the declared `content-length` or the bytes received pass the cap, 503
 * when the bodies being read together pass the budget (what follows is dropped, not kept), 400
 * for text that is not JSON. A body that never ends is Node's `requestTimeout` to cut; a client
 * that leaves gets no call.
 */
export function readJsonBody(
  req: IncomingMessage,
  budget: BodyBudget,
  done: (result: { body: unknown } | WireError) => void,
): void {
  const declared = Number(req.headers['content-length']);
  if (declared > budget.maxBodyBytes) {
    done(bodyTooLarge(budget.maxBodyBytes));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  const release = () => {
    budget.used -= size;
    size = 0;
    chunks.length = 0;
  };
  const refuse = (error: WireError) => {
    refused = true;
    release();
    done(error);
  };
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    if (size + chunk.length > budget.maxBodyBytes) return refuse(bodyTooLarge(budget.maxBodyBytes));
    if (budget.used + chunk.length > budget.maxTotalBytes)
      return refuse(bodiesOverBudget(budget.maxTotalBytes));
    size += chunk.length;
    budget.used += chunk.length;
    chunks.push(chunk);
  });
  // A client that leaves mid-body gives its share back.
  req.on('close', () => {
    if (!refused) release();
  });
  req.on('end', () => {
    if (refused) return;
    const text = Buffer.concat(chunks, size).toString('utf8');
    refused = true; // nothing more to read; the budget is free again
    release();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      done(NOT_JSON);
      return;
    }
    done({ body });
  });
}
