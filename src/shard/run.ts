/**
 * Running one shard of a study: its slice of the runs (shard.ts), the same jobs and seeds an
 * unsharded run makes, into a part (part.ts). Capacity searches run a wave at a time: the wave's
 * probes are the search's possible next probes (waves.ts), split across the shards.
 */
import {
  type Candidate,
  type CapacityStudy,
  nextProbe,
  type ProbeData,
  probeJobs,
} from '../compare/capacity.ts';
import { runJobs } from '../compare/compare.ts';
import type { CompareJob } from '../compare/job.ts';
import { speculate } from '../compare/waves.ts';
import { FloodgateError } from '../errors.ts';
import { makePart, type StudyBase, type StudyPart, studyHash, type WaveInfo } from './part.ts';
import { inShard, type Shard } from './shard.ts';

export const WAVE_SCHEMA = 'floodgate/capacity-wave@1';

/** Where a capacity search stands between waves: `floodgate merge` writes it, the next wave reads it. */
export interface WaveState {
  schema: typeof WAVE_SCHEMA;
  study: CapacityStudy;
  studyHash: string;
  /** Waves merged so far. */
  wave: number;
  /** Every probe run so far, by key (speculative ones too: a later wave may need them). */
  probes: Record<string, ProbeData>;
}

export async function runShard<S extends StudyBase>(
  study: S,
  jobs: readonly CompareJob[],
  shard: Shard,
  parallel: number,
  onProgress?: (done: number, total: number) => void,
  wave?: WaveInfo,
): Promise<StudyPart<S>> {
  const mine = jobs.flatMap((job, run) => (inShard(run, shard) ? [{ run, job }] : []));
  onProgress?.(0, mine.length);
  const figures = await runJobs(
    mine.map((m) => m.job),
    parallel,
    onProgress,
  );
  return makePart(
    study,
    shard,
    jobs.length,
    mine.map((m, k) => ({ run: m.run, figures: figures[k]! })),
    wave,
  );
}

/** Probes per wave by default: enough that every shard has a run (seeds x probes >= shards). */
export function defaultWaveSize(shards: number, seeds: number): number {
  return Math.max(1, Math.ceil(shards / Math.max(1, seeds)));
}

/** The probes of the next wave after `state` (the first wave without one). */
export function waveCandidates(
  study: CapacityStudy,
  state: WaveState | undefined,
  size: number,
): Candidate[] {
  if (state && state.studyHash !== studyHash(study))
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      '--wave-in: the wave state is of another search (the scenario file, its flags or --seeds differ): run every wave with the same command and flags',
    );
  const passes = new Map(Object.entries(state?.probes ?? {}).map(([k, d]) => [k, d.pass]));
  return speculate(nextProbe(study), passes, size);
}

export async function runCapacityShard(
  study: CapacityStudy,
  shard: Shard,
  parallel: number,
  o: { state?: WaveState; waveSize?: number; onProgress?: (done: number, total: number) => void },
): Promise<StudyPart<CapacityStudy>> {
  const size = o.waveSize ?? defaultWaveSize(shard.count, study.seeds.length);
  const candidates = waveCandidates(study, o.state, size);
  if (candidates.length === 0)
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `--wave-in: the search needs no more probes after wave ${o.state?.wave ?? 0}: \`floodgate merge\` of that wave's parts gives the result`,
    );
  const wave: WaveInfo = {
    number: (o.state?.wave ?? 0) + 1,
    candidates: candidates.map((c) => c.key),
    prior: o.state?.probes ?? {},
  };
  return runShard(
    study,
    candidates.flatMap((c) => probeJobs(study, c)),
    shard,
    parallel,
    o.onProgress,
    wave,
  );
}

/** Checks a parsed wave state's shape; `file` labels errors. */
export function asWaveState(json: unknown, file: string): WaveState {
  const s = json as Partial<WaveState> | null;
  if (!s || typeof s !== 'object' || s.schema !== WAVE_SCHEMA)
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `${file}: expected a capacity wave state (schema ${WAVE_SCHEMA}, written by \`floodgate merge\` of a wave's parts)`,
    );
  if (
    !s.study ||
    typeof s.studyHash !== 'string' ||
    s.studyHash !== studyHash(s.study) ||
    !Number.isSafeInteger(s.wave) ||
    !s.probes ||
    typeof s.probes !== 'object'
  )
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `${file}: a damaged wave state (its study does not match its hash, or wave or probes are missing)`,
    );
  return s as WaveState;
}
