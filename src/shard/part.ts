/**
 * Part files of a sharded study (`floodgate compare|sweep|capacity --shard K/N --out PART`), and
 * what `floodgate merge` checks before it combines them.
 *
 * A part carries the study it belongs to (every input the merge needs to assemble the result:
 * the scenario's path and SHA-256, seeds, entries or values, options), the study's hash, its
 * shard, and the figures of its runs by their index in the study's run order. Numbers are kept
 * exactly: JSON keeps every finite double, and NaN and infinities (which JSON cannot hold) are
 * written as {"$number": "NaN"} (and -0 as {"$number": "-0"}), so a merged result is byte-identical to an unsharded one.
 */
import { createHash } from 'node:crypto';
import type { SeedFigures } from '../compare/job.ts';
import type { StudyBase } from '../compare/study.ts';
import { FloodgateError } from '../errors.ts';
import type { Shard } from './shard.ts';

export type { StudyBase } from '../compare/study.ts';

export const PART_SCHEMA = 'floodgate/shard-part@1';

export interface Run {
  /** Index in the study's (or the wave's) run order. */
  run: number;
  figures: SeedFigures;
}

export interface StudyPart<S extends StudyBase = StudyBase> {
  schema: typeof PART_SCHEMA;
  study: S;
  studyHash: string;
  shard: Shard;
  /** Runs in the study (or this wave), over all shards. */
  totalRuns: number;
  /** Capacity searches run in waves; absent for compare and sweep. */
  wave?: WaveInfo;
  runs: Run[];
}

export interface WaveInfo {
  /** 1 for the first wave. */
  number: number;
  /** Probe keys this wave runs (every seed of each), in order. */
  candidates: string[];
  /** Probes known before this wave (the merged earlier waves), by key. */
  prior: Record<string, unknown>;
}

/** JSON with object keys sorted at every level: the same text for the same value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export function studyHash(study: StudyBase): string {
  return createHash('sha256').update(canonicalJson(study)).digest('hex');
}

/** JSON that keeps NaN and infinities (as {"$number": "NaN"}); read back with decodeJson. */
export function encodeJson(value: unknown): string {
  return `${JSON.stringify(
    value,
    (_k, v: unknown) =>
      typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))
        ? { $number: Object.is(v, -0) ? '-0' : String(v) }
        : v,
    2,
  )}\n`;
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const n = (v as { $number?: unknown }).$number;
      if (keys.length === 1 && (n === 'NaN' || n === 'Infinity' || n === '-Infinity' || n === '-0'))
        return Number(n);
    }
    return v;
  });
}

export function makePart<S extends StudyBase>(
  study: S,
  shard: Shard,
  totalRuns: number,
  runs: Run[],
  wave?: WaveInfo,
): StudyPart<S> {
  return {
    schema: PART_SCHEMA,
    study,
    studyHash: studyHash(study),
    shard,
    totalRuns,
    ...(wave ? { wave } : {}),
    runs,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a parsed part file's shape; `file` labels errors. */
export function asPart(json: unknown, file: string): StudyPart {
  const bad = (what: string) =>
    new FloodgateError('FG_SCENARIO_INVALID', `${file}: not a usable study part: ${what}`);
  if (!isObject(json) || json['schema'] !== PART_SCHEMA)
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `${file}: expected a study part (schema ${PART_SCHEMA}, written by compare, sweep or capacity with --shard), got ${isObject(json) && 'schema' in json ? `schema '${String(json['schema']).slice(0, 60)}'` : 'something else'}`,
    );
  const p = json as unknown as StudyPart;
  if (!isObject(p.study) || typeof p.study.command !== 'string') throw bad('no study');
  if (typeof p.studyHash !== 'string' || p.studyHash !== studyHash(p.study))
    throw bad('its study does not match its hash (the file was edited or damaged)');
  const s = p.shard;
  if (
    !isObject(s) ||
    !Number.isSafeInteger(s.index) ||
    !Number.isSafeInteger(s.count) ||
    s.index < 1 ||
    s.index > s.count
  )
    throw bad('shard: expected {index: K, count: N} with 1 <= K <= N');
  if (!Number.isSafeInteger(p.totalRuns) || p.totalRuns < 0) throw bad('totalRuns: expected a count');
  if (!Array.isArray(p.runs)) throw bad('runs: expected a list');
  for (const r of p.runs)
    if (
      !isObject(r) ||
      !Number.isSafeInteger(r.run) ||
      r.run < 0 ||
      r.run >= p.totalRuns ||
      !isObject(r.figures) ||
      r.run % s.count !== s.index - 1
    )
      throw bad(`runs: expected runs of shard ${s.index}/${s.count} numbered 0..${p.totalRuns - 1}`);
  return p;
}

/**
 * The figures of every run of one study (or wave) from its parts: same study, same shard count,
 * same wave, each shard exactly once, each run exactly once.
 */
export function combineParts(parts: readonly { file: string; part: StudyPart }[]): {
  study: StudyBase;
  figures: SeedFigures[];
  wave?: WaveInfo;
} {
  const first = parts[0];
  if (!first) throw new FloodgateError('FG_USAGE', 'merge: expected at least one part file');
  const { part: p0, file: f0 } = first;
  const seen = new Map<number, string>();
  for (const { file, part } of parts) {
    if (part.studyHash !== p0.studyHash)
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${file}: a part of a different study than ${f0} (${differences(p0.study, part.study)}): every shard must run the same scenario file with the same command and flags`,
      );
    if (part.shard.count !== p0.shard.count)
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${file}: shard ${part.shard.index}/${part.shard.count}, but ${f0} is one of ${p0.shard.count} shards: merge the parts of one sharding`,
      );
    if (canonicalJson(part.wave ?? null) !== canonicalJson(p0.wave ?? null))
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${file}: wave ${part.wave?.number ?? '-'} from another starting state than ${f0} (wave ${p0.wave?.number ?? '-'}): merge the parts of one wave, all run from the same --wave-in file`,
      );
    const other = seen.get(part.shard.index);
    if (other !== undefined)
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${file}: shard ${part.shard.index}/${part.shard.count} again (also in ${other}): pass each part once`,
      );
    seen.set(part.shard.index, file);
  }
  const missing = Array.from({ length: p0.shard.count }, (_, i) => i + 1).filter((k) => !seen.has(k));
  if (missing.length > 0)
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `merge: missing shard${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''} of ${p0.shard.count}: every shard's part is needed`,
    );
  const figures: (SeedFigures | undefined)[] = new Array(p0.totalRuns);
  for (const { file, part } of parts)
    for (const r of part.runs) {
      if (figures[r.run])
        throw new FloodgateError('FG_SCENARIO_INVALID', `${file}: run ${r.run} appears twice`);
      figures[r.run] = r.figures;
    }
  for (let i = 0; i < figures.length; i++)
    if (!figures[i])
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${seen.get((i % p0.shard.count) + 1)}: run ${i} is missing (an incomplete part)`,
      );
  return { study: p0.study, figures: figures as SeedFigures[], ...(p0.wave ? { wave: p0.wave } : {}) };
}

/** Which top-level fields of two studies differ, for the refusal message. */
function differences(a: StudyBase, b: StudyBase): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const differ = keys.filter(
    (k) =>
      canonicalJson((a as unknown as Record<string, unknown>)[k]) !==
      canonicalJson((b as unknown as Record<string, unknown>)[k]),
  );
  const named = differ.map((k) => (k === 'scenarioSha256' ? 'the scenario file content' : k));
  return named.length ? `differs in ${named.join(', ')}` : 'different study';
}
