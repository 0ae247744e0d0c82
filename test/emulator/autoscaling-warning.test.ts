/**
 * The emulator serves a pool with the replicas it starts with and runs no autoscaler: a scenario
 * whose pool autoscales gets a warning saying so, and one without autoscaling gets none.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';

const SCENARIOS = join(import.meta.dirname, '../../scenarios');

async function warningsOf(file: string): Promise<string[]> {
  const warnings: string[] = [];
  const emu = await startEmulator(await loadScenarioFile(join(SCENARIOS, file)), {
    onWarning: (m) => warnings.push(m),
  });
  await emu.close();
  return warnings;
}

describe('emulate an autoscaled pool', () => {
  it('warns that autoscaling is not emulated, naming the pool', async () => {
    expect(await warningsOf('autoscale-spike.yaml')).toContainEqual(
      expect.stringMatching(
        /^provider '[^']+': autoscaling is not emulated: the pool serves with a fixed replica count$/,
      ),
    );
  });

  it('says nothing about autoscaling for a fixed pool', async () => {
    expect((await warningsOf('gpu-pool.yaml')).filter((w) => w.includes('autoscaling'))).toEqual([]);
  });
});
