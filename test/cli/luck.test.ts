/**
 * `--luck arrival|request` on run, compare and emulate (engine/luck.ts): the result records
 * request luck and nothing for the default (whose bytes do not change); a bad mode is a usage
 * error (exit 2); the emulator's banner says when it draws by traffic key.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './process.ts';

const floodgate = (...args: string[]) => runCli(args);
const SCENARIO = 'scenarios/outage-failover.yaml';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floodgate-luck-'));
});

describe('floodgate run --luck', () => {
  it('request: the result says so; arrival: the same bytes as without the flag', async () => {
    const out = (name: string) => join(dir, `${name}.json`);
    const args = [SCENARIO, '--quiet'];
    expect((await floodgate('run', ...args, '--luck', 'request', '--out', out('request'))).code).toBe(0);
    expect((await floodgate('run', ...args, '--luck', 'arrival', '--out', out('arrival'))).code).toBe(0);
    expect((await floodgate('run', ...args, '--out', out('default'))).code).toBe(0);
    const request = JSON.parse(await readFile(out('request'), 'utf8'));
    expect(request.luck).toBe('request');
    const arrival = await readFile(out('arrival'), 'utf8');
    expect(arrival).toBe(await readFile(out('default'), 'utf8'));
    expect('luck' in JSON.parse(arrival)).toBe(false);
    // The same traffic, other luck.
    expect(request.requests.offered).toBe(JSON.parse(arrival).requests.offered);
  });

  it('a mode it does not know is a usage error naming the modes', async () => {
    const r = await floodgate('run', SCENARIO, '--luck', 'requests');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected arrival or request, got 'requests'");
  });

  it.each([['run'], ['compare'], ['emulate']])('%s --help documents --luck', async (cmd) => {
    const r = await floodgate(cmd, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--luck <mode>/);
    expect(r.stdout).toMatch(/X-Floodgate-Traffic-Key/);
  });
});

describe('floodgate compare --luck', () => {
  it('runs every job with request luck and records it', async () => {
    const out = join(dir, 'cmp.json');
    const r = await floodgate(
      'compare',
      SCENARIO,
      '--policies',
      'round-robin,random',
      '--seeds',
      '2',
      '--jobs',
      '1',
      '--quiet',
      '--set',
      'duration=2m',
      '--luck',
      'request',
      '--out',
      out,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(out, 'utf8')).luck).toBe('request');
  });
});

describe('floodgate emulate --luck', () => {
  it('request: the banner says the luck is per request', async () => {
    const r = await floodgate(
      'emulate',
      SCENARIO,
      '--port',
      '0',
      '--duration',
      '1s',
      '--quiet',
      '--luck',
      'request',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/seed \d+, request luck\)$/);
  });
  it('a bad mode is a usage error', async () => {
    const r = await floodgate('emulate', SCENARIO, '--luck', 'x');
    expect(r.code).toBe(2);
  });
});
