/**
 * The emulator serves a pool with the replicas it starts with and runs no autoscaler: a scenario
 * whose pool autoscales gets a warning saying so, and one without autoscaling gets none.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { until } from './fixtures.ts';

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

describe('a metrics outage in the emulator', () => {
  it('shows in floodgate_emulator_fault_active while in force (no autoscaler reads it, the gauge still tells)', async () => {
    const loaded = await loadScenarioFile(join(SCENARIOS, 'autoscale-spike.yaml'));
    const faults = [{ provider: 'pool', kind: 'metrics-outage' as const, at: 0, for: 3_600_000 }];
    const emu = await startEmulator({ ...loaded, scenario: { ...loaded.scenario, faults } }, {});
    try {
      const line = /^floodgate_emulator_fault_active\{provider="pool",kind="metrics-outage"\} (\d)$/m;
      const value = async () => (await (await fetch(`${emu.url}/metrics`)).text()).match(line)?.[1];
      await until(async () => (await value()) === '1');
    } finally {
      await emu.close();
    }
  });
});
