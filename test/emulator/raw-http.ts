/** HTTP/1.1 by hand over one TCP connection to 127.0.0.1, for requests no HTTP client would send. */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
  /** Resolves when the server closes the connection (or resets it). */
  closed: Promise<void>;
}

/**
 * Connects to 127.0.0.1:`port`, lets `send` write whatever it likes (it may go on writing
 * slowly; writes after the server closed are ignored), and resolves with the first response: once
 * its `content-length` bytes of body arrived, or the server closed the connection. Rejects after
 * `timeoutMs` without an answer (a safety net: no test waits for it).
 */
export function rawRequest(
  port: number,
  send: (socket: Socket) => unknown,
  timeoutMs = 15_000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms (${received.length} bytes received)`));
    }, timeoutMs);
    const settle = (atClose: boolean) => {
      if (settled) return;
      const parsed = parseResponse(received, atClose);
      if (!parsed) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...parsed, closed });
    };
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      settle(false);
    });
    socket.on('close', () => settle(true));
    socket.on('error', () => {}); // a reset shows as 'close'
    socket.on('connect', () => {
      Promise.resolve(send(socket)).catch(() => {});
    });
  });
}

function parseResponse(
  data: Buffer,
  atClose: boolean,
): { status: number; headers: Record<string, string>; body: string } | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return atClose ? { status: 0, headers: {}, body: data.toString('utf8') } : undefined;
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = data.subarray(end + 4);
  const length = headers['content-length'];
  // Complete once the declared length arrived; without a length (or cut short), at the close.
  if (!atClose && (length === undefined || body.length < Number(length))) return undefined;
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: body.subarray(0, length !== undefined ? Number(length) : body.length).toString('utf8'),
  };
}

/** A POST with a JSON body text and an exact `content-length`. */
export function postText(path: string, body: string | Buffer, extraHeaders = ''): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${bytes.length}\r\n${extraHeaders}\r\n`,
    ),
    bytes,
  ]);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
