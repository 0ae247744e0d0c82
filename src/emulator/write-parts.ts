import type { ServerResponse } from 'node:http';

/**
 * Writes `parts` to a response one after the other, waiting for `drain` whenever the socket's
 * buffer is full (the client reads slower than we write), then calls `finish` (which ends the
 * response, or drops the connection). A response that is destroyed (the client left) stops it.
 * Memory per response stays one part plus the socket's buffer, however long the output.
 */
export function writeParts(
  res: ServerResponse,
  parts: Iterable<string>,
  finish: () => void,
  onError: (error: unknown) => void,
): void {
  const it = parts[Symbol.iterator]();
  const step = (): void => {
    try {
      for (;;) {
        if (res.destroyed) return;
        const next = it.next();
        if (next.done) {
          finish();
          return;
        }
        if (!res.write(next.value)) {
          res.once('drain', step);
          return;
        }
      }
    } catch (e) {
      onError(e);
    }
  };
  step();
}
