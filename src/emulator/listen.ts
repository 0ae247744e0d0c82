import type { Server } from 'node:http';
import { FloodgateError } from '../errors.ts';
import { shorten } from '../text/quote.ts';

/** Resolver failures of `getaddrinfo` (a host name that does not resolve, no resolver at hand). */
const RESOLVER_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'ENODATA']);

/** A host as printed in a message: shortened and escaped, in brackets when it is an IPv6 address. */
function hostText(host: string): string {
  const short = shorten(host, 100);
  return short.includes(':') ? `[${short}]` : short;
}

/**
 * The user-facing error for a failed `listen` (FG_EMULATOR_LISTEN): a host that does not resolve,
 * a port in use or needing privileges, an address not on this machine. Anything without an
 * errno-style code is returned as is (a bug).
 */
export function listenError(error: unknown, host: string, port: number): unknown {
  const e = error as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code === undefined) return error;
  if (e.syscall === 'getaddrinfo' || RESOLVER_CODES.has(code))
    return new FloodgateError(
      'FG_EMULATOR_LISTEN',
      `cannot listen on ${hostText(host)}:${port}: the host name does not resolve (${code})`,
      'use an IP address or a name this machine resolves (127.0.0.1, localhost; 0.0.0.0 for every interface)',
    );
  const where = `cannot listen on ${hostText(host)}:${port}: ${code}`;
  switch (code) {
    case 'EADDRINUSE':
      return new FloodgateError(
        'FG_EMULATOR_LISTEN',
        `${where} (the port is in use)`,
        'choose another --port (0 picks a free one)',
      );
    case 'EACCES':
    case 'EPERM':
      return new FloodgateError(
        'FG_EMULATOR_LISTEN',
        `${where} (permission denied)`,
        'ports below 1024 need privileges: choose --port 1024 or above (0 picks a free one)',
      );
    case 'EADDRNOTAVAIL':
      return new FloodgateError(
        'FG_EMULATOR_LISTEN',
        `${where} (no interface of this machine has that address)`,
        'use an address of this machine (127.0.0.1; 0.0.0.0 for every interface)',
      );
    default:
      return new FloodgateError('FG_EMULATOR_LISTEN', where);
  }
}

/** Listens on `host:port`; rejects with `listenError`'s FG_EMULATOR_LISTEN error. */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onListenError = (e: Error) => reject(listenError(e, host, port));
    server.once('error', onListenError);
    try {
      server.listen({ port, host, backlog: 4096 }, () => {
        server.off('error', onListenError);
        resolve();
      });
    } catch (e) {
      server.off('error', onListenError);
      reject(listenError(e, host, port));
    }
  });
}
