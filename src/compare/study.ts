/**
 * What a study (a compare, sweep or capacity search) is before it runs: the inputs its result is
 * assembled from. A shard's part carries it (src/shard), so shards of different studies are told
 * apart by its hash.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FloodgateError } from '../errors.ts';

/** What a study is: the command, and everything its result is assembled from. */
export interface StudyBase {
  command: 'compare' | 'sweep' | 'capacity';
  /** The scenario path as given on the command line (results name it so). */
  scenario: string;
  /** SHA-256 of the scenario file's bytes: shards that read different files are refused. */
  scenarioSha256: string;
  seeds: number[];
}

/** SHA-256 of a file's bytes (hex). */
export function fileSha256(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch (e) {
    throw new FloodgateError(
      'FG_SCENARIO_UNREADABLE',
      `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}
