/**
 * Hostile bodies against the dialects' request parsers (fast-check): whatever JSON a client sends
 * to /v1/responses, /v1/messages or Gemini's generateContent, the parser returns a request or a
 * 400 error, never throws, and quotes nothing of the body (messages stay short). Over the wire,
 * random bodies to every dialect's path get answers in that dialect's error shape or a normal
 * answer, never a 500, and the emulator keeps serving.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WIRE_DIALECTS } from '../../src/emulator/dialects/index.ts';
import { DEFAULT_LIMITS } from '../../src/emulator/limits.ts';
import { isWireError } from '../../src/emulator/openai.ts';
import { type Emulator, startEmulator } from '../../src/emulator/server.ts';
import { API_DIALECTS } from '../../src/providers/dialects.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { postText, rawRequest } from './raw-http.ts';

const CAP = DEFAULT_LIMITS.maxOutputTokens;

/** A value of any JSON kind, nested a little. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
/** A content: a string, parts with text of any kind, or anything. */
const content = fc.oneof(
  fc.string(),
  fc.array(fc.oneof(fc.record({ type: fc.constant('text'), text: anyJson }), anyJson), { maxLength: 4 }),
  anyJson,
);
const message = fc.oneof(
  fc.record({
    role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'developer'), anyJson),
    content,
  }),
  fc.record({ role: fc.constant('user'), parts: content }),
  anyJson,
);
const length = fc.oneof(fc.integer({ min: -5, max: CAP + 5 }), fc.double(), fc.string(), anyJson);
/** A body shaped like any dialect's request, each field valid or not. */
const body = fc.oneof(
  fc.record(
    {
      model: fc.oneof(fc.constant('m'), fc.string({ maxLength: 300 }), anyJson),
      messages: fc.oneof(fc.array(message, { maxLength: 4 }), anyJson),
      input: fc.oneof(fc.string(), fc.array(message, { maxLength: 4 }), anyJson),
      contents: fc.oneof(fc.array(message, { maxLength: 4 }), anyJson),
      system: content,
      instructions: fc.oneof(fc.string(), anyJson),
      systemInstruction: fc.oneof(fc.record({ parts: content }), anyJson),
      max_tokens: length,
      max_output_tokens: length,
      generationConfig: fc.oneof(fc.record({ maxOutputTokens: length }), anyJson),
      stream: fc.oneof(fc.boolean(), anyJson),
      prompt_cache_key: fc.oneof(fc.string(), anyJson),
      cachedContent: fc.oneof(fc.string(), anyJson),
    },
    { requiredKeys: [] },
  ),
  anyJson,
);

describe('dialect request parsers under hostile bodies', () => {
  for (const api of API_DIALECTS) {
    it(`${api}: a request or a short 400, never a throw`, () => {
      const dialect = WIRE_DIALECTS[api];
      fc.assert(
        fc.property(body, fc.boolean(), (b, stream) => {
          const r = dialect.parse(b, CAP, { model: 'm', stream });
          if (isWireError(r)) {
            expect(r.status).toBe(400);
            expect(r.message.length).toBeLessThan(400);
            expect(dialect.errorBody(r).length).toBeLessThan(600);
            return;
          }
          expect(Number.isSafeInteger(r.promptTokens) && r.promptTokens >= 1).toBe(true);
          if (r.maxTokens !== undefined)
            expect(Number.isInteger(r.maxTokens) && r.maxTokens >= 1 && r.maxTokens <= CAP).toBe(true);
          expect(typeof r.stream).toBe('boolean');
          expect(r.prefixTokens).toBeGreaterThanOrEqual(0);
        }),
        { numRuns: 1500, seed: 18 },
      );
    });
  }
});

const YAML = `
name: dialect-fuzz
duration: 1h
seed: 1
providers:
  - name: api
    kind: api
    models: [m]
    capacity: 1000
    ttft: { dist: deterministic, value: 5ms }
    outputRate: { dist: deterministic, value: 100000/s }
workload:
  arrivals: { rate: 1/s }
  classes: [{ name: c }]
`;

describe('dialect routes under hostile bodies over the wire', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator(await loadScenarioText(YAML, 'dialect-fuzz.yaml'));
  });
  afterAll(async () => {
    await emu?.close();
  });

  const routes = [
    {
      path: '/v1/responses',
      shape: (b: Record<string, unknown>) => 'error' in b || b['object'] === 'response',
    },
    {
      path: '/v1/messages',
      shape: (b: Record<string, unknown>) => b['type'] === 'error' || b['type'] === 'message',
    },
    {
      path: '/v1beta/models/m:generateContent',
      shape: (b: Record<string, unknown>) =>
        typeof (b['error'] as { status?: unknown } | undefined)?.status === 'string' || 'candidates' in b,
    },
  ];

  it('answers every random body in the route dialect, never 500, and keeps serving', async () => {
    const samples = fc.sample(body, { numRuns: 30, seed: 7 });
    for (const route of routes) {
      for (const b of samples) {
        // Streams are asked for in the body; answer them whole by turning them off.
        const sent = typeof b === 'object' && b !== null && !Array.isArray(b) ? { ...b, stream: false } : b;
        const r = await rawRequest(emu.port, (s) =>
          s.write(postText(route.path, JSON.stringify(sent), 'anthropic-version: 2023-06-01\r\n')),
        );
        expect(r.status, `${route.path} ${JSON.stringify(sent)}`).not.toBe(500);
        expect(r.status, `${route.path} ${JSON.stringify(sent)} ${r.body}`).toBeGreaterThan(0);
        expect(route.shape(JSON.parse(r.body) as Record<string, unknown>), r.body).toBe(true);
      }
    }
    expect(emu.stats().internalErrors).toBe(0);
    const ok = await fetch(`${emu.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(ok.status).toBe(200);
  });
});
