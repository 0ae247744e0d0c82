/**
 * The fault wrapper (src/providers/faults/faulty-provider.ts) over every provider kind, built as
 * a scenario builds it (`createProvider`): outage, hang, error rate and stream cut behave the
 * same on a queue, an api and a GPU pool, and each provider still spends its own capacity on the
 * attempts a fault ends.
 */
import { describe, expect, it } from 'vitest';
import { RngStreams } from '../../src/engine/rng.ts';
import type { Attempt } from '../../src/providers/attempt.ts';
import { FaultyProvider } from '../../src/providers/faults/faulty-provider.ts';
import { createProvider } from '../../src/providers/index.ts';
import { QueueProvider } from '../../src/providers/queue/queue-provider.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { gpuInput } from './gpu/gpu-harness.ts';
import { makeAttempt, queueConfig, run, Simulation, SinkLog, submitAt } from './harness.ts';

type ProviderInput = ScenarioInput['providers'][number];

const KINDS: Record<string, ProviderInput> = {
  queue: { name: 'p', kind: 'queue', servers: 10_000, service: '100ms' },
  api: { name: 'p', kind: 'api', capacity: 10_000, ttft: '100ms', outputRate: '1000/s', rtt: '20ms' },
  gpu: gpuInput({ replicas: 2 }),
};

/** The provider `input` describes, under its fault wrapper, on a fresh simulation. */
function build(input: ProviderInput, seed = 1) {
  const scenario = validateScenario({
    name: 'faulty',
    duration: '1m',
    providers: [input],
    workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
  });
  const sim = new Simulation();
  const sink = new SinkLog(sim);
  const provider = createProvider(scenario.providers[0]!, sim, sink, new RngStreams(seed));
  const submit = (atMs: number, output = 50): Attempt => {
    const a = makeAttempt({ atMs, prompt: 100, output });
    submitAt(sim, provider, a);
    return a;
  };
  return { sim, sink, provider, submit };
}

describe.each(Object.keys(KINDS))('the fault wrapper over a %s provider', (kind) => {
  const input = KINDS[kind]!;
  const answerMs = kind === 'api' ? 20 : 0;

  it('is what createProvider builds', () => {
    const { provider } = build(input);
    expect(provider).toBeInstanceOf(FaultyProvider);
    expect((provider as FaultyProvider).inner.kind).toBe(kind);
    expect(provider.kind).toBe(kind);
  });

  it('answers an outage with a fast server_error that never reaches the provider', () => {
    const { sim, sink, provider, submit } = build(input);
    provider.faults.outage = true;
    const down = submit(10);
    sim.run(15);
    expect(provider.inService() + provider.queued()).toBe(0);
    sim.run(Number.POSITIVE_INFINITY);
    expect(down.status).toBe('server_error');
    expect(sink.of(down)).toEqual([{ attempt: down, atMs: 10 + answerMs }]);
    expect(down.endMs).toBe(10 + answerMs);
    expect(Number.isNaN(down.serviceStartMs)).toBe(true);
    expect(provider.utilization(sim.now())).toBe(0);
  });

  it('holds an attempt submitted during a hang unanswered until it is cancelled, and serves later ones', () => {
    const { sim, sink, provider, submit } = build(input);
    provider.faults.hang = true;
    const hung = submit(0);
    sim.run(5);
    provider.faults.hang = false;
    const later = submit(10);
    sim.run(60_000);
    expect(sink.of(hung)).toEqual([]);
    expect(hung.status).toBe('pending');
    hung.abandoned = true;
    provider.cancel(hung);
    sim.run(Number.POSITIVE_INFINITY);
    expect(sink.of(hung)).toEqual([]);
    expect(later.status).toBe('ok');
    expect(provider.inService() + provider.queued()).toBe(0);
  });

  it('fails about errorRate of the attempts (binomial bounds) and keeps the rest whole', () => {
    const { sim, sink, provider, submit } = build(input, 7);
    provider.faults.errorRate = 0.2;
    const n = 1000;
    const attempts = Array.from({ length: n }, (_, i) => submit(i * 50, 20));
    sim.run(Number.POSITIVE_INFINITY);
    expect(sink.reports).toHaveLength(n);
    const failed = attempts.filter((a) => a.status === 'server_error');
    expect(failed.length + attempts.filter((a) => a.status === 'ok').length).toBe(n);
    // Binomial(1000, 0.2): mean 200, sd 12.6; 4.5 sd either side.
    expect(Math.abs(failed.length - 200)).toBeLessThan(4.5 * Math.sqrt(n * 0.2 * 0.8));
    for (const a of failed) {
      expect(a.outputTokens).toBe(0);
      expect(a.endMs).toBeGreaterThanOrEqual(a.startMs);
    }
  });

  it('cuts streams longer than afterTokens to that many tokens (nothing for a response that comes whole)', () => {
    const { sim, provider, submit } = build(input);
    provider.faults.streamCutAfter = 5;
    provider.faults.streamCutProbability = 1;
    const long = submit(0, 50);
    const short = submit(0, 5);
    sim.run(Number.POSITIVE_INFINITY);
    expect(long.status).toBe('stream_cut');
    expect(long.outputTokens).toBe(kind === 'queue' ? 0 : 5);
    expect(short.status).toBe('ok');
    expect(short.outputTokens).toBe(5);
  });
});

describe('the provider still spends its own capacity on an attempt the error rate fails', () => {
  it('queue: holds its server for the whole service', () => {
    const { sim, sink, provider, submit } = build({ name: 'p', kind: 'queue', servers: 1, service: '1s' });
    provider.faults.errorRate = 1;
    const failed = submit(0);
    const next = submit(0);
    sim.run(Number.POSITIVE_INFINITY);
    expect(failed.status).toBe('server_error');
    expect(sink.of(failed)).toEqual([{ attempt: failed, atMs: 1000 }]);
    expect(next.serviceStartMs).toBe(1000);
  });

  it('api: holds its slot until the first token would have come, and bills the prompt only', () => {
    const { sim, provider, submit } = build({
      name: 'p',
      kind: 'api',
      capacity: 1,
      degradation: { from: 1 },
      ttft: '100ms',
      outputRate: '100/s',
      pricing: { inputPerMTok: 1, outputPerMTok: 1 },
    });
    provider.faults.errorRate = 1;
    const failed = submit(0);
    const next = submit(0);
    sim.run(Number.POSITIVE_INFINITY);
    expect(failed.status).toBe('server_error');
    expect(failed.endMs).toBe(100);
    expect(failed.billedInputTokens).toBe(100);
    expect(failed.billedOutputTokens).toBe(0);
    expect(next.serviceStartMs).toBe(100);
  });

  it('api: a stream a fault ends runs to that end even if the caller leaves first (it fails before it sees the cancel)', () => {
    const { sim, sink, provider, submit } = build({
      name: 'p',
      kind: 'api',
      capacity: 1,
      degradation: { from: 1 },
      ttft: '100ms',
      outputRate: '100/s',
      pricing: { outputPerMTok: 1 },
      cancelBilling: 'full',
    });
    provider.faults.streamCutAfter = 5;
    provider.faults.streamCutProbability = 1;
    const cut = submit(0, 50);
    sim.at(
      110,
      () => {
        cut.abandoned = true;
        provider.cancel(cut);
      },
      undefined,
    );
    sim.run(Number.POSITIVE_INFINITY);
    expect(sink.of(cut)).toEqual([{ attempt: cut, atMs: 140 }]);
    expect(cut.status).toBe('stream_cut');
    expect(cut.billedOutputTokens).toBe(5);
  });

  it('gpu: fails at the end of its prefill, when the first token would come out', () => {
    const { sim, submit } = build(gpuInput({ replicas: 1 }));
    const fine = submit(0);
    sim.run(Number.POSITIVE_INFINITY);
    const prefillEnd = fine.firstTokenMs;
    const again = build(gpuInput({ replicas: 1 }));
    again.provider.faults.errorRate = 1;
    const failed = again.submit(0);
    again.sim.run(Number.POSITIVE_INFINITY);
    expect(failed.status).toBe('server_error');
    expect(failed.endMs).toBe(prefillEnd);
    expect(failed.outputTokens).toBe(0);
    // The replica was busy prefilling it.
    expect(again.provider.utilization(again.sim.now())).toBe(1);
  });
});

describe('a provider used without the wrapper', () => {
  it('never draws a fault outcome: the error rate and stream cut are the wrapper’s', () => {
    const sim = new Simulation();
    const sink = new SinkLog(sim);
    const provider = new QueueProvider(queueConfig({ servers: 1, service: '100ms' }), sim, sink, () => 0.5);
    provider.faults.errorRate = 1;
    provider.faults.streamCutAfter = 0;
    provider.faults.streamCutProbability = 1;
    const a = makeAttempt({ output: 10 });
    submitAt(sim, provider, a);
    sim.run(Number.POSITIVE_INFINITY);
    expect(a.status).toBe('ok');
    expect(a.outputTokens).toBe(10);
  });
});

describe('a GPU pool exposed as replicas', () => {
  it('refuses attempts sent to one replica during an outage, as it does attempts sent to the pool', async () => {
    const r = await run({
      name: 'replica-outage',
      duration: '10s',
      providers: [gpuInput({ replicas: 2, expose: 'replicas' })],
      faults: [{ provider: 'p', kind: 'outage', at: '2s', for: '2s' }],
      workload: {
        arrivals: { process: 'uniform', rate: '10/s' },
        classes: [{ name: 'c', promptTokens: 100, outputTokens: 10 }],
      },
    });
    expect(r.providers['p']!.statuses).toEqual({ ok: 80, server_error: 20 });
    expect(r.requests.failed).toBe(20);
  });
});
