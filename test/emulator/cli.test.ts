/**
 * `floodgate emulate` as a process (bin/floodgate.js, built by `npm run build`, which `npm test`
 * runs first): it prints where it listens, serves, and stops cleanly with exit 0 on SIGTERM,
 * SIGINT or after --duration, ending open requests. Everything listens on 127.0.0.1, port 0.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatEmulatorStats } from '../../src/cli/commands/emulate.ts';
import { EMULATOR_YAML } from './fixtures.ts';

const BIN = join(import.meta.dirname, '../../bin/floodgate.js');
const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);

let scenario: string;
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'floodgate-emulate-'));
  scenario = join(dir, 'emulator.yaml');
  await writeFile(scenario, EMULATOR_YAML);
});

interface Running {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.length = 0;
});

/** Spawns `floodgate emulate` and resolves once it printed its URL. */
async function emulate(...args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'emulate', scenario, '--port', '0', ...args], { cwd: ROOT });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${err}`)), 10_000);
    const check = () => {
      const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout.on('data', check);
    void exited.then(() => reject(new Error(`exited early; stderr: ${err}`)));
  });
  return { child, url, stdout: () => out, stderr: () => err, exited };
}

describe('floodgate emulate', () => {
  it('prints usage for --help with exit 0', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'emulate', '--help'], { cwd: ROOT });
    expect(stdout).toMatch(/^Usage: floodgate emulate/);
  });

  it('serves, then on SIGTERM ends open requests, prints a summary and exits 0', async () => {
    const emu = await emulate('--speed', '10');
    expect(emu.stdout()).toMatch(
      /^emulator-test: emulating 6 providers on http:\/\/127\.0\.0\.1:\d+ \(time scale 1, speed 10x, seed 3\)/,
    );
    expect(emu.stdout()).toContain(`${emu.url}/p/fast/v1`);
    const ok = await fetch(`${emu.url}/p/fast/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(3);
    // A request the slow provider holds for 10 simulated minutes is still open at SIGTERM.
    const open = fetch(`${emu.url}/p/slow/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
    });
    await new Promise((r) => setTimeout(r, 100));
    emu.child.kill('SIGTERM');
    const answer = await open;
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('shutting_down');
    expect(await emu.exited).toBe(0);
    // A loaded machine (CI running other test files beside this one) may add ", N events late".
    expect(emu.stdout()).toMatch(/stopped after .* simulated(, \d+ events late \(worst [^)]*\))?\)/);
    expect(emu.stdout()).toMatch(/^fast\s+1\s/m);
    // Nothing on stderr but, on a loaded machine, the emulator's own falling-behind warnings.
    const otherErrors = emu
      .stderr()
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('floodgate emulate: warning: falling behind real time'));
    expect(otherErrors).toEqual([]);
  });

  it('stops on SIGINT with exit 0', async () => {
    const emu = await emulate('--quiet');
    emu.child.kill('SIGINT');
    expect(await emu.exited).toBe(0);
  });

  it('stops by itself after --duration, with exit 0', async () => {
    const emu = await emulate('--duration', '500ms', '--quiet');
    expect(await emu.exited).toBe(0);
    expect(emu.stdout().trim().split('\n')).toHaveLength(1);
  });

  it('exits 1 with one line when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await run(process.execPath, [BIN, 'emulate', scenario, '--port', String(port)], {
        cwd: ROOT,
      }).catch((e: { code: number; stderr: string }) => e);
      expect((r as { code: number }).code).toBe(1);
      expect((r as { stderr: string }).stderr).toBe(
        `error[FG_EMULATOR_LISTEN]: cannot listen on 127.0.0.1:${port}: EADDRINUSE (the port is in use)\n` +
          'hint: choose another --port (0 picks a free one)\n',
      );
    } finally {
      blocker.close();
    }
  });

  it('exits 1 with the resolver code when --host does not resolve', async () => {
    const r = await run(process.execPath, [BIN, 'emulate', scenario, '--host', 'no-such-host.invalid'], {
      cwd: ROOT,
    }).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(1);
    // Without a resolver at hand the code is EAI_AGAIN instead of ENOTFOUND.
    expect((r as { stderr: string }).stderr).toMatch(
      /^error\[FG_EMULATOR_LISTEN\]: cannot listen on no-such-host\.invalid:8000: the host name does not resolve \((ENOTFOUND|EAI_AGAIN)\)\nhint: use an IP address or a name this machine resolves \(127\.0\.0\.1, localhost; 0\.0\.0\.0 for every interface\)\n$/,
    );
  });

  it.each([
    [
      ['--port', '0x10'],
      "error: option '--port <n>' argument '0x10' is invalid. expected a port number 0..65535, got '0x10'",
    ],
    [
      ['--port', '65536'],
      "error: option '--port <n>' argument '65536' is invalid. expected a port number 0..65535, got '65536'",
    ],
    [
      ['--host', ''],
      "error: option '--host <address>' argument '' is invalid. expected a host name or IP address (e.g. 127.0.0.1, localhost, 0.0.0.0), got ''",
    ],
    [
      ['--max-output-tokens', '0'],
      "error: option '--max-output-tokens <n>' argument '0' is invalid. expected a whole number >= 1, got '0'",
    ],
  ])('exits 2 on %j', async (args, message) => {
    const r = await run(process.execPath, [BIN, 'emulate', scenario, ...args], { cwd: ROOT }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr.split('\n')[0]).toBe(message);
  });

  it('exits 2 on a bad --time-scale', async () => {
    const r = await run(process.execPath, [BIN, 'emulate', scenario, '--time-scale', 'fast'], {
      cwd: ROOT,
    }).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr).toMatch(/expected a number greater than 0, got 'fast'/);
  });

  it('exits 2 on --time-scale in the old, inverse convention (10, 10x), naming both readings', async () => {
    for (const value of ['10', '10x']) {
      const r = await run(process.execPath, [BIN, 'emulate', scenario, '--time-scale', value], {
        cwd: ROOT,
      }).catch((e: { code: number; stderr: string }) => e);
      expect((r as { code: number }).code).toBe(2);
      const line = (r as { stderr: string }).stderr.split('\n')[0]!;
      expect(line).toMatch(/expected real seconds per scenario second/);
      expect(line).toMatch(/--time-scale 0\.1/);
      expect(line).toMatch(value === '10' ? /--speed 10 / : /--speed/);
    }
  });
});

describe('the summary printed at the end', () => {
  it('says how many requests got a 500 from an internal error', () => {
    const text = formatEmulatorStats(
      {
        simulatedMs: 2000,
        openRequests: 0,
        providers: {
          fast: { requests: { ok: 3, internal_error: 2 }, promptTokens: 10, completionTokens: 9 },
        },
        events: 10,
        keyedRequests: 0,
        lateEvents: 0,
        maxLagMs: 0,
        internalErrors: 2,
      },
      2000,
    );
    expect(text.split('\n')[0]).toBe('stopped after 2 s (2 s simulated, 2 internal errors answered 500)');
    expect(text).toMatch(/^fast\s+5\s+2\s+3\s+9$/m);
  });
});
