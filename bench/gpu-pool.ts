/**
 * The GPU-pool benchmark: the whole `floodgate run` process on bench/scenarios/gpu-16x8b.yaml
 * (16 x Llama-3.1-8B on H100, 1 h at 200 req/s), `runs` times. Reports the process wall time
 * (the bench compares it with the typed-array floor's), simulated seconds per wall second and
 * simulated requests per second.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, median, note, REPO_ROOT, runTimed } from './common.ts';

export const GPU_SCENARIO = join(REPO_ROOT, 'bench', 'scenarios', 'gpu-16x8b.yaml');

export interface GpuBench {
  /** Best process wall time. */
  wallMs: number;
  medianWallMs: number;
  samplesWallMs: number[];
  simulatedMs: number;
  offered: number;
  events: number;
  iterations: number;
  /** Simulated time over wall time. */
  speedup: number;
  requestsPerSec: number;
}

export async function benchGpuPool(runs = 1): Promise<GpuBench> {
  const dir = await mkdtemp(join(tmpdir(), 'floodgate-bench-gpu-'));
  const out = join(dir, 'result.json');
  try {
    const walls: number[] = [];
    for (let i = 0; i < runs; i++) {
      note(`floodgate run bench/scenarios/gpu-16x8b.yaml (${i + 1}/${runs})`);
      const p = await runTimed(process.execPath, [CLI, 'run', GPU_SCENARIO, '--quiet', '--out', out]);
      if (p.code !== 0 && p.code !== 3)
        throw new Error(`floodgate run exited ${p.code}:\n${p.stderr || p.stdout}`);
      walls.push(p.wallMs);
    }
    const wallMs = Math.min(...walls);
    const r = JSON.parse(await readFile(out, 'utf8')) as {
      endMs: number;
      events: number;
      requests: { offered: number };
      providers: Record<string, { details?: { iterations?: number } }>;
    };
    return {
      wallMs,
      medianWallMs: median(walls),
      samplesWallMs: walls,
      simulatedMs: r.endMs,
      offered: r.requests.offered,
      events: r.events,
      iterations: r.providers['llama-8b']?.details?.iterations ?? 0,
      speedup: r.endMs / wallMs,
      requestsPerSec: r.requests.offered / (wallMs / 1000),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
