/**
 * Listening fails with FG_EMULATOR_LISTEN (exit 1 in the CLI), naming the host and port and the
 * system's code, never with a raw exception: a host name that does not resolve, a port in use, an
 * address of another machine, a port that needs privileges.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listenError } from '../../src/emulator/listen.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { FloodgateError } from '../../src/errors.ts';
import { loadEmulatorScenario } from './fixtures.ts';

async function startError(host: string, port: number): Promise<FloodgateError> {
  const e = await startEmulator(await loadEmulatorScenario(), { host, port }).then(
    async (emu) => {
      await emu.close();
      throw new Error('listened');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FloodgateError);
  expect((e as FloodgateError).code).toBe('FG_EMULATOR_LISTEN');
  return e as FloodgateError;
}

describe('listen errors', () => {
  it('names a host that does not resolve and the resolver code', async () => {
    const e = await startError('no-such-host.invalid', 0);
    // Without a resolver at hand the code is EAI_AGAIN instead of ENOTFOUND.
    expect(e.message).toMatch(
      /^cannot listen on no-such-host\.invalid:0: the host name does not resolve \((ENOTFOUND|EAI_AGAIN)\)$/,
    );
    expect(e.hint).toBe(
      'use an IP address or a name this machine resolves (127.0.0.1, localhost; 0.0.0.0 for every interface)',
    );
  });

  it('names a port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const e = await startError('127.0.0.1', port);
      expect(e.message).toBe(`cannot listen on 127.0.0.1:${port}: EADDRINUSE (the port is in use)`);
      expect(e.hint).toBe('choose another --port (0 picks a free one)');
    } finally {
      blocker.close();
    }
  });

  it('names an address that is not on this machine', async () => {
    const e = await startError('192.0.2.1', 0); // TEST-NET-1: documentation only
    expect(e.message).toBe(
      'cannot listen on 192.0.2.1:0: EADDRNOTAVAIL (no interface of this machine has that address)',
    );
    expect(e.hint).toBe('use an address of this machine (127.0.0.1; 0.0.0.0 for every interface)');
  });

  it('names a port that needs privileges (the error as the system reports it)', () => {
    const err = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), {
      code: 'EACCES',
      syscall: 'listen',
    });
    const e = listenError(err, '0.0.0.0', 80) as FloodgateError;
    expect(e.code).toBe('FG_EMULATOR_LISTEN');
    expect(e.message).toBe('cannot listen on 0.0.0.0:80: EACCES (permission denied)');
    expect(e.hint).toBe('ports below 1024 need privileges: choose --port 1024 or above (0 picks a free one)');
  });

  it('brackets an IPv6 host and escapes control characters in a host', () => {
    const err = Object.assign(new Error('x'), { code: 'EADDRINUSE' });
    expect((listenError(err, '::1', 8000) as FloodgateError).message).toBe(
      'cannot listen on [::1]:8000: EADDRINUSE (the port is in use)',
    );
    const dns = Object.assign(new Error('x'), { code: 'ENOTFOUND', syscall: 'getaddrinfo' });
    expect((listenError(dns, 'evil\u001b[31mhost', 0) as FloodgateError).message).toBe(
      'cannot listen on evil\\x1b[31mhost:0: the host name does not resolve (ENOTFOUND)',
    );
  });

  it('leaves an error without a system code as it is (a bug)', () => {
    const bug = new TypeError('not a listen failure');
    expect(listenError(bug, '127.0.0.1', 0)).toBe(bug);
  });

  it('refuses a port outside 0..65535 given to the API', async () => {
    await expect(startEmulator(await loadEmulatorScenario(), { port: 70_000 })).rejects.toThrow(
      'port must be a whole number in 0..65535, got 70000',
    );
  });
});
