/**
 * `X-Floodgate-Traffic-Key` and `luck: 'request'` (src/emulator/traffic-key.ts, engine/luck.ts):
 * under per-request luck a keyed call's provider draws follow its key and its attempt count at the
 * provider, whatever order calls arrive in; a malformed key is a 400, never a 500 (fuzzed).
 * Observed through a brownout failing half the calls (an error-rate draw per call), not timing.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/server.ts';
import { parseTrafficKey } from '../../src/engine/luck.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { postTinyChat } from './fixtures.ts';
import { postText, rawRequest } from './raw-http.ts';

const YAML = `
name: traffic-keys
duration: 1h
providers:
  - name: coin
    kind: api
    capacity: 100
    ttft: { dist: deterministic, value: 1ms }
    outputRate: { dist: deterministic, value: 100000/s }
faults:
  - { provider: coin, kind: brownout, at: 0, for: 1h, latency: 1, errorRate: 0.5 }
workload:
  arrivals: { rate: 1/s }
  classes: [{ name: chat }]
`;

const open: Emulator[] = [];
afterAll(async () => {
  for (const e of open) await e.close();
});

async function emulator(luck: 'arrival' | 'request'): Promise<Emulator> {
  const e = await startEmulator(await loadScenarioText(YAML, 'traffic-keys.yaml'), { seed: 7, luck });
  open.push(e);
  return e;
}

/** Whether a call with traffic key `key` was answered ok (one at a time: the order is the caller's). */
async function ok(e: Emulator, key: string | undefined): Promise<boolean> {
  const r = await postTinyChat(e, { 'x-floodgate-traffic-key': key });
  await r.arrayBuffer();
  return r.status === 200;
}

/** A chat call with the raw header line `x-floodgate-traffic-key: value` (fetch would refuse some values). */
function sendKey(port: number, value: string) {
  return rawRequest(port, (s) =>
    s.end(
      postText(
        '/v1/chat/completions',
        JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
        `x-floodgate-traffic-key: ${value}\r\n`,
      ),
    ),
  );
}

/** Header values: anything printable, and keys near and past their bounds. */
const header = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 24 }),
  fc
    .tuple(fc.nat(1100), fc.nat(2 ** 32), fc.nat(5000), fc.constantFrom('', ' ', '.', '.0', '0'))
    .map(([c, o, s, tail]) => `${c}.${o}.${s}${tail}`),
);

const keys = Array.from({ length: 24 }, (_, i) => `0.${i}.0`);

async function outcomes(e: Emulator, order: readonly string[]): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  for (const k of order) out.set(k, await ok(e, k));
  return out;
}

describe('X-Floodgate-Traffic-Key under per-request luck', () => {
  it('a keyed call meets the same draws in whatever order the calls arrive', async () => {
    const forward = await outcomes(await emulator('request'), keys);
    const backward = await outcomes(await emulator('request'), [...keys].reverse());
    for (const k of keys) expect([k, backward.get(k)]).toEqual([k, forward.get(k)]);
    // Half fail, by their own luck: both outcomes occur.
    const failed = [...forward.values()].filter((v) => !v).length;
    expect(failed).toBeGreaterThan(2);
    expect(failed).toBeLessThan(22);
  });

  it("each attempt of a key is counted: a key's later attempts draw anew, the same on every emulator", async () => {
    const a = await emulator('request');
    const b = await emulator('request');
    const first: boolean[] = [];
    for (let i = 0; i < 16; i++) first.push(await ok(a, '0.3.1'));
    // Other traffic in between changes nothing for the key's attempts on the second emulator.
    const second: boolean[] = [];
    for (let i = 0; i < 16; i++) {
      await ok(b, `0.${100 + i}.0`);
      second.push(await ok(b, '0.3.1'));
    }
    expect(second).toEqual(first);
    expect(new Set(first).size).toBe(2);
  });

  it('arrival luck ignores the key: the order of calls decides their draws', async () => {
    const forward = await outcomes(await emulator('arrival'), keys);
    const backward = await outcomes(await emulator('arrival'), [...keys].reverse());
    expect(keys.some((k) => forward.get(k) !== backward.get(k))).toBe(true);
  });

  it('a call without the key draws from the arrival-order stream, as under arrival luck', async () => {
    const keyed = await emulator('request');
    const plain = await emulator('arrival');
    const a: boolean[] = [];
    const b: boolean[] = [];
    for (let i = 0; i < 16; i++) {
      a.push(await ok(keyed, undefined));
      b.push(await ok(plain, undefined));
    }
    expect(a).toEqual(b);
  });

  it.each([
    '',
    '1',
    '0.1',
    '0.1.2.3',
    '01.2.3',
    '0.-1.0',
    '0.1.4096',
    '1024.0.0',
    '0.2147483648.0',
    '0. 1.2',
    '0x1.2.3',
    '1e3.0.0',
    '0.1.2, 0.1.3',
  ])(
    'answers 400 invalid_traffic_key to %j, one fixed message (the value is never echoed)',
    async (value) => {
      const e = open[0] ?? (await emulator('request'));
      const r = await sendKey(e.port, value);
      expect(r.status).toBe(400);
      const error = (JSON.parse(r.body) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('invalid_traffic_key');
      expect(error.message).toBe(
        'Invalid X-Floodgate-Traffic-Key: expected class.ordinal.send, three whole numbers (class 0-1023, ordinal 0-2147483647, send 0-4095), sent once.',
      );
    },
  );

  it('any header value: a 400 exactly when it is no key, never an internal error (fuzzed)', async () => {
    const e = await emulator('request');
    await fc.assert(
      fc.asyncProperty(header, async (text) => {
        const value = [...text].filter((ch) => ch >= ' ' && ch <= '~').join('');
        const r = await sendKey(e.port, value);
        // HTTP drops the value's surrounding spaces.
        expect(r.status === 400).toBe(parseTrafficKey(value.trim()) === undefined);
      }),
      { numRuns: 60 },
    );
    expect(e.stats().internalErrors).toBe(0);
  });
});
