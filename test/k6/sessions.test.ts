/// <reference path="../../k6/runtime/modules.d.ts" />
// (the runtime's session planner is imported below; its Alea import is declared there)
/**
 * Agent sessions in the generated script (class `session`), run under the fake k6 of
 * harness.ts: one iteration plays one session, its calls in sequence with growing prompts that
 * share their prefix, think time as sleep, failed calls tried again then the session aborted;
 * session metrics in the summary and in observe; VUs by Little's law on the session length; and
 * scenarios/editor-mix.yaml compiled with nothing left out of these fields.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSession } from '../../k6/runtime/session.ts';
import { bundleK6Script, scriptImports } from '../../src/k6/bundle.ts';
import { compileK6 } from '../../src/k6/compile.ts';
import { asK6Summary, compareRun, formatComparison } from '../../src/k6/observe.ts';
import type { K6Summary } from '../../src/k6/summary-schema.ts';
import { loadScenarioFile, loadScenarioObject } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import {
  bodyOf,
  type FakePost,
  type FakeResponse,
  fakeAfterWarmup,
  iterate,
  loadScript,
  type SentBody,
  slowServer,
  streamBody,
} from './harness.ts';

type ClassInput = ScenarioInput['workload']['classes'][number];
type SessionInput = NonNullable<ClassInput['session']>;

function agents(session: Partial<SessionInput> = {}, cls: Partial<ClassInput> = {}): ScenarioInput {
  return {
    name: 'agents',
    duration: '10m',
    seed: 21,
    providers: [
      {
        name: 'api',
        kind: 'api',
        models: ['big'],
        ttft: { dist: 'deterministic', value: '100ms' },
        outputRate: { dist: 'deterministic', value: '100/s' },
      },
    ],
    workload: {
      classes: [
        {
          name: 'agent',
          arrivals: { process: 'uniform', rate: '5/s' },
          promptTokens: 100,
          outputTokens: 20,
          session: { calls: 4, toolTokens: 30, thinkTime: '2s', retries: 1, ...session },
          ...cls,
        },
      ],
      client: { timeout: '10s' },
    },
  };
}

async function scriptFor(input: ScenarioInput, options: { timeScale?: number } = {}) {
  const compiled = compileK6(await loadScenarioObject(input), options);
  const fake = fakeAfterWarmup();
  const script = await loadScript(await bundleK6Script(compiled.config), fake);
  return { compiled, fake, script };
}

/** A streamed answer of `tokens` tokens whose usage says so. */
const answer = (tokens: number): FakeResponse => ({ status: 200, body: streamBody(tokens) });
/** Every word of a body's messages, in order (one token each). */
const wordsOf = (b: SentBody) => b.messages.flatMap((m) => m.content.split(' '));
const sessionOf = (p: FakePost) => p.params.headers['X-Floodgate-Session'];

describe('agent sessions in the k6 script', () => {
  it('sends exactly the calls of one session, each prompt the previous one plus answer and tool output', async () => {
    const { fake, script } = await scriptFor(agents());
    fake.respond = slowServer(300, answer(7));
    iterate(script, fake, 'agent', 0, 1);
    expect(fake.posts).toHaveLength(4);
    const bodies = fake.posts.map(bodyOf);
    // Answers count what usage.completion_tokens says (7), not max_tokens (20).
    expect(bodies.map((b) => wordsOf(b).length)).toEqual([100, 137, 174, 211]);
    expect(bodies.map((b) => b.max_tokens)).toEqual([20, 20, 20, 20]);
    expect(bodies.map((b) => b.messages.map((m) => m.role).join(','))).toEqual([
      'user',
      'user,assistant,user',
      'user,assistant,user,assistant,user',
      'user,assistant,user,assistant,user,assistant,user',
    ]);
    for (let k = 1; k < bodies.length; k++) {
      // The previous call's messages are the start of this one's, word for word: a prompt cache can hit.
      const previous = bodies[k - 1]!.messages;
      expect(bodies[k]!.messages.slice(0, previous.length)).toEqual(previous);
      expect(bodies[k]!.messages.at(-2)!.content.split(' ')).toHaveLength(7);
      expect(bodies[k]!.messages.at(-1)!.content.split(' ')).toHaveLength(30);
    }
    expect(new Set(fake.posts.map(sessionOf))).toEqual(new Set(['agent-0']));
    // The same id in the body, OpenAI's field for sending a shared prefix to one cache.
    expect(bodies.map((b) => b.prompt_cache_key)).toEqual(['agent-0', 'agent-0', 'agent-0', 'agent-0']);
    // Think time between calls, none after the last.
    expect(fake.sleeps).toEqual([2, 2, 2]);
    expect(fake.count('floodgate_agent_requests')).toBe(4);
    expect(fake.count('floodgate_agent_ok')).toBe(4);
    expect(fake.count('floodgate_agent_sessions')).toBe(1);
    expect(fake.count('floodgate_agent_sessions_completed')).toBe(1);
    expect(fake.count('floodgate_agent_sessions_aborted')).toBe(0);
    expect(fake.samples('floodgate_agent_session_duration')).toEqual([4 * 300 + 3 * 2000]);
    expect(fake.samples('floodgate_agent_session_calls')).toEqual([4]);
    expect(fake.count('floodgate_sessions_completed')).toBe(1);

    iterate(script, fake, 'agent', 1, 2);
    expect(new Set(fake.posts.slice(4).map(sessionOf))).toEqual(new Set(['agent-1']));
    expect(new Set(fake.posts.slice(4).map((p) => bodyOf(p).prompt_cache_key))).toEqual(new Set(['agent-1']));
    expect(fake.posts[4]!.body).not.toBe(fake.posts[0]!.body);
  });

  it('counts max_tokens as the answer when the server reports no usage', async () => {
    const { fake, script } = await scriptFor(agents({}, { stream: false }));
    fake.respond = slowServer(300, { status: 200, body: '{"choices":[{"message":{"content":"ok"}}]}' });
    iterate(script, fake, 'agent', 0, 1);
    expect(fake.posts.map((p) => wordsOf(bodyOf(p)).length)).toEqual([100, 150, 200, 250]);
  });

  it('tries a failed call again after its think time, up to retries, then aborts the session', async () => {
    const { fake, script } = await scriptFor(agents({ retries: 2 }));
    fake.respond = () => ({ status: 500, timings: { waiting: 50 } });
    iterate(script, fake, 'agent', 0, 1);
    expect(fake.posts).toHaveLength(3);
    expect(new Set(fake.posts.map((p) => p.body)).size).toBe(1);
    expect(fake.sleeps).toEqual([2, 2]);
    expect(fake.count('floodgate_agent_server_error')).toBe(3);
    expect(fake.count('floodgate_agent_sessions_aborted')).toBe(1);
    expect(fake.count('floodgate_agent_sessions_completed')).toBe(0);
    expect(fake.samples('floodgate_agent_session_duration')).toEqual([]);
    expect(fake.samples('floodgate_agent_session_calls')).toEqual([3]);

    // One failure, then the same call again (same context) and on to the end.
    const again = await scriptFor(agents({ retries: 1 }));
    let n = 0;
    again.fake.respond = (p) =>
      ++n === 2 ? { status: 503, timings: { waiting: 50 } } : slowServer(300, answer(7))(p);
    iterate(again.script, again.fake, 'agent', 0, 1);
    expect(again.fake.posts).toHaveLength(5);
    expect(again.fake.posts[2]!.body).toBe(again.fake.posts[1]!.body);
    expect(again.fake.sleeps).toEqual([2, 2, 2, 2]);
    expect(again.fake.count('floodgate_agent_sessions_completed')).toBe(1);
    expect(again.fake.samples('floodgate_agent_session_calls')).toEqual([5]);
    expect(again.fake.samples('floodgate_agent_session_duration')).toEqual([4 * 300 + 50 + 4 * 2000]);
  });

  it('keeps the latest maxContext tokens of a longer context', async () => {
    const { fake, script } = await scriptFor(agents({ maxContext: 150 }));
    fake.respond = slowServer(300, answer(7));
    iterate(script, fake, 'agent', 0, 1);
    const bodies = fake.posts.map(bodyOf);
    expect(bodies.map((b) => wordsOf(b).length)).toEqual([100, 137, 150, 150]);
    for (const k of [2, 3]) {
      // The window slid by what was appended: the oldest words went, the newest 37 came.
      const kept = 150 - 37;
      expect(wordsOf(bodies[k]!).slice(0, kept)).toEqual(wordsOf(bodies[k - 1]!).slice(-kept));
      expect(bodies[k]!.messages[0]!.role).toBe('user');
    }
  });

  it('draws calls, output sizes and think times per session from its seeded stream', async () => {
    const input = agents(
      { calls: { dist: 'uniform', min: 1, max: 6 }, thinkTime: { dist: 'exponential', mean: '1s' } },
      { outputTokens: { dist: 'uniform', min: 5, max: 50 } },
    );
    const { compiled, fake, script } = await scriptFor(input);
    fake.respond = slowServer(100, answer(3));
    iterate(script, fake, 'agent', 0, 30);
    const plan = compiled.config.classes[0]!;
    let post = 0;
    let sleep = 0;
    const sizes = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const drawn = planSession(plan, plan.session!, compiled.config.scenario.seed, i, null);
      const calls = fake.posts.slice(post, post + drawn.outputs.length);
      expect(calls.map(sessionOf)).toEqual(new Array(drawn.outputs.length).fill(`agent-${i}`));
      expect(calls.map((p) => bodyOf(p).prompt_cache_key)).toEqual(calls.map(sessionOf));
      expect(calls.map((p) => bodyOf(p).max_tokens)).toEqual(drawn.outputs);
      const thinks = drawn.thinks.slice(0, -1).map((ms) => ms / 1000);
      expect(fake.sleeps.slice(sleep, sleep + thinks.length)).toEqual(thinks);
      post += drawn.outputs.length;
      sleep += thinks.length;
      sizes.add(drawn.outputs.length);
    }
    expect(fake.posts).toHaveLength(post);
    expect(fake.sleeps).toHaveLength(sleep);
    expect(sizes.size).toBeGreaterThan(3);
  });

  it('measures a session that starts after the warmup; its calls each by when they are sent', async () => {
    const input = { ...agents(), warmup: '1m' };
    const { fake, script } = await scriptFor(input);
    fake.exec.scenario.startTime = fake.now - 59_000;
    fake.respond = slowServer(500, answer(7));
    iterate(script, fake, 'agent', 0, 1);
    expect(fake.posts).toHaveLength(4);
    expect(fake.count('floodgate_warmup_requests')).toBe(1);
    expect(fake.count('floodgate_agent_requests')).toBe(3);
    expect(fake.count('floodgate_agent_sessions')).toBe(0);
    expect(fake.samples('floodgate_agent_session_calls')).toEqual([]);
  });

  it('writes a sessions block per session class and overall, unfinished when k6 stopped them', async () => {
    const { compiled, fake, script } = await scriptFor(agents());
    fake.respond = (p) => {
      const s = sessionOf(p);
      if (s === 'agent-3') return { status: 500, timings: { waiting: 50 } };
      // k6 interrupting an iteration at the end of gracefulStop, as an exception in the fake.
      if (s === 'agent-7' && fake.posts.filter((q) => sessionOf(q) === s).length === 2)
        throw new Error('interrupted');
      return slowServer(300, answer(7))(p);
    };
    for (let i = 0; i < 10; i++) {
      try {
        iterate(script, fake, 'agent', i, i + 1);
      } catch (e) {
        expect(String(e)).toMatch(/interrupted/);
      }
    }
    const files = script.handleSummary(fake.summaryData(compiled.config.options.thresholds));
    const s = JSON.parse(files['floodgate-k6-summary.json']!) as K6Summary;
    const expected = {
      started: 10,
      completed: 8,
      aborted: 1,
      unfinished: 1,
      successShare: 0.8,
      duration: { count: 8, p50: 7200, p99: 7200 },
      callsPerSession: (8 * 4 + 2) / 9,
    };
    for (const c of [s.classes['agent']!, s.overall]) {
      expect(c.sessions).toMatchObject({
        ...expected,
        callsPerSession: expect.closeTo(expected.callsPerSession, 3),
      });
    }
    expect(files['stdout']).toMatch(
      /\nsessions agent: started 10, completed 8 \(80\.0%\), aborted 1, unfinished 1; duration p50 7\.20 s, p99 7\.20 s; 3\.8 calls per session\n/,
    );
    expect(asK6Summary(s, 's.json').classes['agent']!.sessions!.started).toBe(10);
  });

  it("sizes VUs by Little's law on the session length, not one call's latency", async () => {
    const { compiled } = await scriptFor(agents());
    const agent = compiled.config.options.scenarios['agent']!;
    // A call: 100 ms to the first token + 20 tokens at 100/s = 300 ms; a session: 4 calls and 3 thinks.
    const sessionMs = 4 * 300 + 3 * 2000;
    // 36 sessions in flight at 5/s: x1.5 headroom, plus 3 standard deviations (sqrt 36).
    const inFlight = 5 * (sessionMs / 1000);
    expect(agent.preAllocatedVUs).toBe(Math.ceil(inFlight * 1.5 + 3 * Math.sqrt(inFlight)));
    // Worst: 4 calls each up to the 10 s client timeout, each followed by a 2 s think.
    expect(agent.maxVUs).toBe(Math.ceil(5 * 4 * (10 + 2) * 1.5));
    expect(compiled.config.classes[0]!.expectedIterations).toBe(3000);
    expect(compiled.expectedRequests).toBe(4 * 3000);
    expect(agent.gracefulStop).toBe('60s');

    // No session can outlast the run plus gracefulStop: k6 stops it by then.
    const long = await scriptFor(agents({ thinkTime: '60s' }), { timeScale: 0.1 });
    expect(long.compiled.config.options.scenarios['agent']).toMatchObject({
      preAllocatedVUs: Math.ceil(5 * (60 + 60) * 1.5),
      maxVUs: Math.ceil(5 * (60 + 60) * 1.5),
    });
    expect(long.compiled.notes.join('\n')).toMatch(/sessions last as long as unscaled/);
  });

  it('notes a session context that may outgrow maxContext, and nothing otherwise', async () => {
    expect((await scriptFor(agents())).compiled.notes.join('\n')).not.toMatch(/session|maxContext/);
    const { compiled } = await scriptFor(agents({ maxContext: 200 }));
    expect(compiled.notes.filter((n) => /maxContext/.test(n))).toEqual([
      expect.stringMatching(/^workload\.classes\[0\]\.session\.maxContext: .* no longer share a prefix/),
    ]);
  });

  it('observe: session success share, duration p50/p99 and calls per session against the prediction', async () => {
    const input = { ...agents(), duration: '2m', warmup: '10s' };
    input.workload.classes[0]!.arrivals = { process: 'uniform', rate: '0.5/s' };
    const predicted = await simulate(await loadScenarioObject(input));
    const sessions = predicted.classes['agent']!.sessions!;
    expect(sessions.completed).toBeGreaterThan(40);
    const run = async (latencyMs: number) => {
      const { compiled, fake, script } = await scriptFor(input);
      fake.respond = slowServer(latencyMs, answer(20));
      iterate(script, fake, 'agent', 0, 55);
      const files = script.handleSummary(fake.summaryData(compiled.config.options.thresholds));
      return asK6Summary(JSON.parse(files['floodgate-k6-summary.json']!), 's.json');
    };
    const e2e = predicted.classes['agent']!.latency.e2e.mean!;
    const c = compareRun(predicted, await run(e2e), { tolerance: 0.2 });
    const rows = c.rows.filter((r) => r.scope === 'agent' && /session|Session/.test(r.metric));
    expect(rows.map((r) => [r.metric, r.verdict])).toEqual([
      ['sessionSuccessShare', 'ok'],
      ['sessionDuration.p50', 'ok'],
      ['sessionDuration.p99', 'ok'],
      ['callsPerSession', 'ok'],
    ]);
    expect(rows[0]!.predicted).toBe(sessions.successShare);
    expect(rows[3]!.observed).toBe(4);
    expect(c.rows.filter((r) => r.scope === 'all').map((r) => r.metric)).toContain('sessionDuration.p99');
    expect(formatComparison(c)).toMatch(/\nagent +callsPerSession +4\.00 +4\.00 +\+0\.0% +ok\n/);

    // Calls five times slower: the sessions last longer than predicted.
    const slow = compareRun(predicted, await run(5 * e2e), { tolerance: 0.2 });
    expect(slow.rows.find((r) => r.scope === 'agent' && r.metric === 'sessionDuration.p50')!.verdict).toBe(
      'differs',
    );
  });
});

describe('scenarios/editor-mix.yaml in k6', () => {
  it('compiles and bundles tab cancellation and agent sessions with no coverage note on them', async () => {
    const loaded = await loadScenarioFile(join(import.meta.dirname, '../../scenarios/editor-mix.yaml'));
    for (const mode of ['stock', 'sse'] as const) {
      const compiled = compileK6(loaded, { mode });
      // In sse mode the keystroke, like the client timeout, cuts a stream at its next event.
      const notes = compiled.notes.filter(
        (n) => !(mode === 'sse' && n.startsWith('cancelAfter: in sse mode')),
      );
      expect(notes.join('\n')).not.toMatch(/session|cancelAfter|debounce|cancelledShare|unsupported/);
      const [tab, , agent] = compiled.config.classes;
      expect(tab).toMatchObject({
        debounceMs: 50,
        cancelAfter: { dist: 'exponential', mean: 600 },
        session: null,
      });
      expect(agent!.session).toMatchObject({
        calls: { dist: 'uniform', min: 4, max: 30 },
        maxContext: 120_000,
      });
      const text = await bundleK6Script(compiled.config);
      expect(scriptImports(text).filter((m) => !m.startsWith('k6'))).toEqual([]);
    }
    const compiled = compileK6(loaded);
    const fake = fakeAfterWarmup();
    const script = await loadScript(await bundleK6Script(compiled.config), fake);
    fake.respond = slowServer(400, answer(10));
    iterate(script, fake, 'tab', 0, 200);
    const cancelled = fake.count('floodgate_tab_cancelled') / 200;
    // Exponential keystroke gaps of mean 600 ms against 50 ms + 400 ms: about 1 - exp(-0.75) = 53%.
    expect(cancelled).toBeGreaterThan(0.4);
    expect(cancelled).toBeLessThan(0.65);
    iterate(script, fake, 'agent', 0, 1);
    const calls = fake.posts.filter((p) => p.params.headers['X-Floodgate-Class'] === 'agent');
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(fake.count('floodgate_agent_sessions_completed')).toBe(1);
  });
});
