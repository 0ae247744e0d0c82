/**
 * What a direct run (k6 straight to the emulator) needs of the emulator: the provider it serves
 * a model with is the one the prediction assumes (provider-choice.ts; tab-spike's tab traffic on
 * the GPU pool, not on the hosted overflow); idle keep-alive connections outlive clients' pools
 * (so reused connections are never closed under a client); and `timelineScale` (the CLI's
 * `--time-scale`) plays the fault timeline F real seconds per scenario second.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/emulator/limits.ts';
import { chooseProvider } from '../../src/emulator/provider-choice.ts';
import { type Emulator, startEmulator } from '../../src/emulator/server.ts';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load.ts';
import { rawRequest, sleep } from './raw-http.ts';

const started: Emulator[] = [];
afterAll(async () => {
  await Promise.all(started.map((e) => e.close()));
});

async function emulator(...args: Parameters<typeof startEmulator>): Promise<Emulator> {
  const emu = await startEmulator(...args);
  started.push(emu);
  return emu;
}

async function chat(emu: Emulator, model: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${emu.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
  });
  await r.text();
  return r.status;
}

const served = (emu: Emulator, provider: string) =>
  Object.values(emu.stats().providers[provider]?.requests ?? {}).reduce((a, b) => a + b, 0);

describe('chooseProvider', () => {
  const providers = [
    { name: 'hosted', models: ['large', 'small'] },
    { name: 'gpu-pool', models: ['small'] },
    { name: 'small-b', models: ['other'] },
  ];

  it('prefers the provider named as the model, then one whose first model it is, then the first listing it', () => {
    expect(chooseProvider(providers, 'small')).toBe(1);
    expect(chooseProvider(providers, 'large')).toBe(0);
    expect(chooseProvider(providers, 'small-b')).toBe(2);
    expect(chooseProvider([providers[0]!, { name: 'b', models: ['x', 'small'] }], 'small')).toBe(0);
    expect(chooseProvider(providers, 'nope')).toBeUndefined();
  });

  it("keeps to the providers the request's class may use, when any of them serves the model", () => {
    expect(chooseProvider(providers, 'small', { providers: ['hosted'] })).toBe(0);
    expect(chooseProvider(providers, 'small', { models: ['large'] })).toBe(0);
    // A class whose providers do not serve the model (FLOODGATE_MODEL): the model decides.
    expect(chooseProvider(providers, 'small', { providers: ['small-b'] })).toBe(1);
  });
});

describe('the emulator serves a model where the direct prediction sends it', () => {
  it("tab-spike: 'small' (the tab class) on the GPU pool, with or without X-Floodgate-Class", async () => {
    const emu = await emulator(await loadScenarioFile('scenarios/tab-spike.yaml'), { port: 0 });
    expect(await chat(emu, 'small')).toBe(200);
    expect(await chat(emu, 'small', { 'x-floodgate-class': 'tab' })).toBe(200);
    expect(await chat(emu, 'large', { 'x-floodgate-class': 'chat' })).toBe(200);
    expect(served(emu, 'gpu-pool')).toBe(2);
    expect(served(emu, 'hosted')).toBe(1);
  });

  it("outage-failover: the review class (providers: [secondary]) on secondary, though 'coder' is primary's too", async () => {
    const emu = await emulator(await loadScenarioFile('scenarios/outage-failover.yaml'), { port: 0 });
    await chat(emu, 'coder', { 'x-floodgate-class': 'review' });
    await chat(emu, 'coder', { 'x-floodgate-class': 'chat' });
    expect(served(emu, 'secondary')).toBe(1);
    expect(served(emu, 'primary')).toBe(1);
  });
});

const FAULTED = `
name: faulted
duration: 10m
providers:
  - name: api
    kind: api
    ttft: { dist: deterministic, value: 10ms }
    outputRate: { dist: deterministic, value: 1000/s }
faults:
  - { provider: api, kind: outage, at: 30s, for: 10m }
workload:
  arrivals: { rate: 1/s }
  classes: [{ name: chat }]
`;

describe('keep-alive and the fault timeline', () => {
  it("keeps idle connections longer than clients' pools (Go and k6: 90 s) and says so", async () => {
    expect(DEFAULT_LIMITS.keepAliveTimeoutMs).toBeGreaterThan(90_000);
    const emu = await emulator(await loadScenarioText(FAULTED, 'f.yaml'), { port: 0 });
    const r = await fetch(`${emu.url}/healthz`);
    await r.text();
    expect(r.headers.get('keep-alive')).toBe(`timeout=${DEFAULT_LIMITS.keepAliveTimeoutMs / 1000}`);
  });

  it('serves a kept-alive connection idle past the headers deadline (that deadline starts with a request)', async () => {
    const emu = await emulator(await loadScenarioText(FAULTED, 'f.yaml'), {
      port: 0,
      limits: { headersTimeoutMs: 200, requestTimeoutMs: 400, keepAliveTimeoutMs: 5_000 },
    });
    const get = 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n';
    const answers: string[] = [];
    let sent: () => void = () => {};
    const bothSent = new Promise<void>((resolve) => {
      sent = resolve;
    });
    const first = await rawRequest(emu.port, async (socket) => {
      socket.on('data', (d: Buffer) =>
        answers.push(...(d.toString('latin1').match(/HTTP\/1\.1 \d+/g) ?? [])),
      );
      socket.write(get);
      await sleep(700); // idle: longer than both the headers and the request deadline
      socket.write(get, () => sent());
    });
    expect(first.status).toBe(200);
    await bothSent;
    for (let i = 0; i < 50 && answers.length < 2; i++) await sleep(20);
    expect(answers).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
  });

  it('timelineScale 0.001 brings an outage at 30 s to 30 ms of real time', async () => {
    const scenario = await loadScenarioText(FAULTED, 'f.yaml');
    const scaled = await emulator(scenario, { port: 0, timelineScale: 0.001 });
    const plain = await emulator(scenario, { port: 0 });
    await sleep(100);
    expect(await chat(scaled, 'api')).toBe(503);
    expect(await chat(plain, 'api')).toBe(200);
    await expect(emulator(scenario, { port: 0, timelineScale: 0 })).rejects.toThrow(/greater than 0/);
  });
});
