/**
 * `X-Floodgate-Deadline-Ms` (src/emulator/deadline.ts): a request still waiting in its
 * provider's queue at its deadline is dropped with 503 `deadline_exceeded` (the queue slot it
 * held is given back); one in service runs on; a malformed value gets 400 and never a 500,
 * whatever it holds (fuzzed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeadlineHeader } from '../../src/emulator/deadline.ts';
import { type Emulator, startEmulator } from '../../src/emulator/server.ts';
import { RngStreams } from '../../src/engine/rng.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { postTinyChat } from './fixtures.ts';
import { postText, rawRequest } from './raw-http.ts';

const YAML = `
name: deadlines
duration: 1h
providers:
  - name: one-slot
    kind: api
    capacity: 1
    queueCapacity: 100
    ttft: { dist: deterministic, value: 400ms }
    outputRate: { dist: deterministic, value: 1000/s }
workload:
  arrivals: { rate: 1/s }
  classes: [{ name: tab }]
`;

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator(await loadScenarioText(YAML, 'deadlines.yaml'), { port: 0 });
});
afterAll(async () => {
  await emu?.close();
});

async function chat(deadline?: string) {
  const r = await postTinyChat(emu, { 'x-floodgate-deadline-ms': deadline });
  const body = (await r.json()) as { error?: { code: string; message: string } };
  return { status: r.status, code: body.error?.code };
}

describe('X-Floodgate-Deadline-Ms', () => {
  it('drops a request still queued at its deadline; the one in service (deadline passed too) completes', async () => {
    const first = chat('50'); // takes the only slot: in service, its deadline passes, it runs on
    await new Promise((r) => setTimeout(r, 20));
    const queued = chat('100');
    const late = await queued;
    expect(late).toEqual({ status: 503, code: 'deadline_exceeded' });
    expect((await first).status).toBe(200);
    expect(emu.stats().providers['one-slot']!.requests['deadline_exceeded']).toBe(1);
    // The dropped request left the queue: the next one is served.
    expect((await chat('5000')).status).toBe(200);
  });

  it.each(['', 'abc', '0', '-5', '1e3', '1.5', '99999999999', '86400001', '5, 6', ' 12 34 '])(
    'answers 400 invalid_deadline to %j, one fixed message (the value is never echoed)',
    async (value) => {
      const r = await rawRequest(emu.port, (s) =>
        s.end(
          postText(
            '/v1/chat/completions',
            JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
            `x-floodgate-deadline-ms: ${value}\r\n`,
          ),
        ),
      );
      expect(r.status).toBe(400);
      const error = (JSON.parse(r.body) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('invalid_deadline');
      expect(error.message).toBe(
        'Invalid X-Floodgate-Deadline-Ms: expected one whole number of milliseconds from 1 to 86400000.',
      );
    },
  );

  it('parses whole milliseconds 1..86400000 only (fuzzed: never throws, never anything else)', () => {
    expect(parseDeadlineHeader(undefined)).toBeUndefined();
    expect(parseDeadlineHeader('500')).toBe(500);
    expect(parseDeadlineHeader(' 86400000 ')).toBe(86_400_000);
    expect(parseDeadlineHeader(['7'])).toBe(7);
    expect(parseDeadlineHeader(['7', '8'])).toMatchObject({ status: 400 });
    const rng = new RngStreams(1).get('fuzz/deadline');
    const alphabet = '0123456789 -+.eE,xX\t\u0000\u00ff\u2028';
    for (let i = 0; i < 20_000; i++) {
      const n = Math.floor(rng() * 14);
      let text = '';
      for (let k = 0; k < n; k++) text += alphabet[Math.floor(rng() * alphabet.length)];
      const v = parseDeadlineHeader(text);
      if (typeof v === 'number') {
        expect(Number.isInteger(v) && v >= 1 && v <= 86_400_000, JSON.stringify(text)).toBe(true);
        expect(String(v)).toBe(text.trim().replace(/^0+(?=\d)/, ''));
      } else expect(v, JSON.stringify(text)).toMatchObject({ status: 400, code: 'invalid_deadline' });
    }
  });

  it('stays up under random header values sent over the wire (no 500, the emulator still answers)', async () => {
    const rng = new RngStreams(2).get('fuzz/deadline-wire');
    const alphabet = '0123456789 -+.eE,;=x"\'\\';
    for (let i = 0; i < 40; i++) {
      let value = '';
      const n = 1 + Math.floor(rng() * 12);
      for (let k = 0; k < n; k++) value += alphabet[Math.floor(rng() * alphabet.length)];
      const r = await rawRequest(emu.port, (s) =>
        s.write(
          postText(
            '/v1/chat/completions',
            JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
            `x-floodgate-deadline-ms: ${value}\r\n`,
          ),
        ),
      );
      expect([200, 400, 503], JSON.stringify(value)).toContain(r.status);
    }
    expect(emu.stats().internalErrors).toBe(0);
    expect((await fetch(`${emu.url}/healthz`)).status).toBe(200);
  });
});
