/**
 * Portkey's open-source gateway (@portkey-ai/gateway, a devDependency) as a child process on
 * loopback, for the gateway-loop tests. It is started with --port=N (its own flag syntax) and
 * --headless, trusts 127.0.0.1 as a custom_host (TRUSTED_CUSTOM_HOSTS: it refuses private hosts
 * otherwise), and is stopped by its process id.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const START = join(import.meta.dirname, '../../node_modules/@portkey-ai/gateway/build/start-server.js');

export interface PortkeyGateway {
  url: string;
  /** Everything it wrote (errors it logged show up here). */
  output(): string;
  stop(): Promise<void>;
}

/** A free loopback port (the OS picks one; a short race with other processes is possible). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPortkey(timeoutMs = 30_000): Promise<PortkeyGateway> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [START, `--port=${port}`, '--headless'], {
    env: { ...process.env, TRUSTED_CUSTOM_HOSTS: '127.0.0.1,localhost', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A test that times out never reaches its stop(): the gateway goes when the test process does.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  child.once('exit', () => process.off('exit', orphan));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Portkey gateway exited at start:\n${output}`);
    try {
      const r = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Portkey gateway did not answer within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, output: () => output, stop };
}
