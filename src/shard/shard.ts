/**
 * Shards of a study: `--shard K/N` (K in 1..N) or, inside a Kubernetes Indexed Job, the
 * `JOB_COMPLETION_INDEX` the Job controller sets (0..N-1) with N from `--shards` or
 * `FLOODGATE_SHARDS`. Run i of a study belongs to shard (i mod N) + 1: every shard gets an even,
 * deterministic slice whatever the run order, and the runs keep their seeds.
 */
import { UsageError } from '../errors.ts';

export interface Shard {
  /** 1..count. */
  index: number;
  count: number;
}

/** Most shards a study may be split into (a Kubernetes Job's completions stay far below it). */
export const MAX_SHARDS = 10_000;

export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !(count >= 1 && count <= MAX_SHARDS) || !(index >= 1 && index <= count))
    throw new UsageError(
      `--shard: expected K/N with 1 <= K <= N <= ${MAX_SHARDS}, such as 1/4, got '${text.slice(0, 40)}'`,
    );
  return { index, count };
}

/**
 * The shard of this process: `--shard` when given, else the Indexed Job's completion index with
 * N from `--shards` or FLOODGATE_SHARDS (both needed: an index alone says nothing about N), else
 * none (the whole study).
 */
export function shardOf(
  flag: string | undefined,
  shards: number | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Shard | undefined {
  if (flag !== undefined) return parseShard(flag);
  const index = env['JOB_COMPLETION_INDEX'] ?? '';
  const count = shards !== undefined ? String(shards) : (env['FLOODGATE_SHARDS'] ?? '');
  if (shards !== undefined && index === '')
    throw new UsageError(
      '--shards: needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job) to know which shard this is; outside a Job pass --shard K/N',
    );
  if (index === '' || count === '') return undefined;
  if (!/^\d+$/.test(count) || !(Number(count) >= 1 && Number(count) <= MAX_SHARDS))
    throw new UsageError(
      `FLOODGATE_SHARDS: expected a whole number 1..${MAX_SHARDS}, got '${count.slice(0, 40)}'`,
    );
  if (!/^\d+$/.test(index) || Number(index) >= Number(count))
    throw new UsageError(
      `JOB_COMPLETION_INDEX: expected a whole number 0..${Number(count) - 1} (the Job's completions are the shard count), got '${index.slice(0, 40)}'`,
    );
  return { index: Number(index) + 1, count: Number(count) };
}

/** Whether run `i` (0-based, in the study's order) belongs to `shard`. */
export function inShard(i: number, shard: Shard): boolean {
  return i % shard.count === shard.index - 1;
}

/** `part-3-of-4.json`, `part-w2-3-of-4.json` for capacity waves. */
export function partFileName(shard: Shard, wave?: number): string {
  const w = wave !== undefined ? `w${wave}-` : '';
  return `part-${w}${shard.index}-of-${shard.count}.json`;
}
