/**
 * The emulator's HTTP server settings against clients that misbehave: deadlines for headers and
 * whole requests, header and connection caps (see limits.ts), and an answer in OpenAI's error
 * shape where Node would reply with an empty 400, 408 or 431 (`clientError`: a request its parser
 * refuses, or one that did not arrive in time).
 */
import {
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { formatDuration } from '../scenario/units.ts';
import type { EmulatorLimits } from './limits.ts';
import { errorBody, type WireError } from './openai.ts';

/** Real ms a refused connection is still read (and what arrives dropped) before it is closed. */
const LINGER_MS = 1000;

/** `createServer` options: Node's own deadlines and header cap, from the limits. */
export function serverOptions(limits: EmulatorLimits): ServerOptions {
  return {
    noDelay: true,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
    // Node checks both deadlines on this period (30 s by default): a quarter of the shorter one
    // enforces each within 25 percent.
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** The error a request refused by Node's HTTP layer gets. */
function clientErrorFor(error: NodeJS.ErrnoException, limits: EmulatorLimits): WireError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        message: `Request header fields too large: at most ${limits.maxHeaderBytes} bytes of headers.`,
        type: 'invalid_request_error',
        param: null,
        code: 'request_headers_too_large',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        message:
          `Request timeout: the headers must arrive within ${formatDuration(limits.headersTimeoutMs)} ` +
          `and the whole request within ${formatDuration(limits.requestTimeoutMs)}.`,
        type: 'invalid_request_error',
        param: null,
        code: 'request_timeout',
      };
    default: {
      // Node's parser codes (HPE_INVALID_METHOD, ...) are constants; anything else is not echoed.
      const code = typeof error.code === 'string' && /^[A-Z0-9_]{1,40}$/.test(error.code) ? error.code : '';
      return {
        status: 400,
        message: `Malformed HTTP request${code ? ` (${code})` : ''}.`,
        type: 'invalid_request_error',
        param: null,
        code: 'malformed_request',
      };
    }
  }
}

/** A complete HTTP/1.1 response carrying `e`, closing the connection. */
function rawErrorResponse(e: WireError): string {
  const body = errorBody(e);
  return (
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}

/**
 * Applies the connection caps to a server and answers `clientError` in OpenAI's shape, when the
 * socket is writable and no response has started on it (else it only closes it, as Node does).
 * Connections past `maxConnections` are closed by Node at once, without an answer.
 */
export function guardServer(server: Server, limits: EmulatorLimits): void {
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = limits.maxHeadersCount;
  // The response in progress on each socket: an answer must not be written into the middle of it.
  const responses = new WeakMap<Duplex, ServerResponse>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    responses.set(socket, res);
    res.once('finish', () => {
      if (responses.get(socket) === res) responses.delete(socket);
    });
  });
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    try {
      // Node's parser reports each later chunk of a broken request again: answer once.
      if (answered.has(socket)) return;
      answered.add(socket);
      if (error.code === 'ECONNRESET' || !socket.writable || responses.get(socket)?.headersSent) {
        socket.destroy();
        return;
      }
      socket.end(rawErrorResponse(clientErrorFor(error, limits)));
      // Closing a socket with unread input resets it, and the client may lose the answer: keep
      // reading (and dropping) for a moment first.
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    } catch {
      socket.destroy();
    }
  });
}
