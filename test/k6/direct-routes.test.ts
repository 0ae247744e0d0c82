/**
 * The provider a direct run's requests reach is the one its prediction assumes: the generated
 * script's own requests (recorded under the fake k6: the `model` it sends, its
 * X-Floodgate-Class header) are sent to the real emulator, whose `x-floodgate-provider` answer
 * must name the class's route in `floodgate run --topology direct`'s prediction. For every bundled
 * scenario whose classes could go to more than one provider.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/server.ts';
import { bundleK6Script } from '../../src/k6/bundle.ts';
import { compileK6 } from '../../src/k6/compile.ts';
import { predictionScenario } from '../../src/k6/predict.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { fakeAfterWarmup, iterate, loadScript, streamBody } from './harness.ts';

const started: Emulator[] = [];
afterAll(async () => {
  await Promise.all(started.map((e) => e.close()));
});

describe('a direct run sends each class where its prediction routes it', () => {
  it.each(['tab-spike', 'outage-failover', 'editor-mix', 'quickstart'])('%s', async (name) => {
    const loaded = await loadScenarioFile(join(import.meta.dirname, `../../scenarios/${name}.yaml`));
    const routes = predictionScenario(loaded, { topology: 'direct' }).prediction.routes!;
    const config = compileK6(loaded, { timeScale: 0.1 }).config;
    const fake = fakeAfterWarmup();
    fake.respond = () => ({ status: 200, body: streamBody(2), timings: { waiting: 10 } });
    const script = await loadScript(await bundleK6Script(config), fake, {});
    for (const c of config.classes) iterate(script, fake, c.scenario, 0, 1);

    const emu = await startEmulator(loaded, { port: 0 });
    started.push(emu);
    const reached: Record<string, string> = {};
    for (const post of fake.posts) {
      const headers = { ...post.params.headers };
      const className = headers['X-Floodgate-Class']!;
      delete headers['X-Floodgate-Deadline-Ms']; // answered by whichever provider: not what is checked here
      const body = { ...JSON.parse(post.body), max_tokens: 1, stream: false };
      const r = await fetch(`${emu.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await r.text();
      reached[decodeURIComponent(className)] = r.headers.get('x-floodgate-provider')!;
    }
    expect(reached).toEqual(routes);
  });
});
