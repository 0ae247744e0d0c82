/**
 * The sharding flags `compare`, `sweep` and `capacity` share: `--shard K/N`, `--shards N` (with
 * a Kubernetes Indexed Job's JOB_COMPLETION_INDEX), writing a part, and `--k8s DIR`.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Option } from 'commander';
import { UsageError } from '../../errors.ts';
import { type K8sStudyOptions, k8sManifests } from '../../shard/k8s.ts';
import { encodeJson, type StudyPart } from '../../shard/part.ts';
import { partFileName, type Shard, shardOf } from '../../shard/shard.ts';
import { escapeLine, shorten } from '../../text/quote.ts';
import { positiveInt } from '../options.ts';
import { checkOutputs, writeFileAtomic } from '../output.ts';

export interface ShardFlags {
  shard?: string;
  shards?: number;
  k8s?: string;
  image?: string;
  parallelism?: number;
}

export const DEFAULT_IMAGE = 'floodgate:0.1.0';

export function shardOptions(): Option[] {
  return [
    new Option(
      '--shard <K/N>',
      'run only shard K of N (1 <= K <= N) and write its part to --out; `floodgate merge` combines the parts',
    ),
    new Option(
      '--shards <n>',
      'shard count inside a Kubernetes Indexed Job: the shard is JOB_COMPLETION_INDEX + 1 (or set FLOODGATE_SHARDS)',
    ).argParser(positiveInt),
    new Option(
      '--k8s <dir>',
      'write Kubernetes manifests (ConfigMap, Indexed Job of --shards shards, merge Job, parts volume) and run.sh to DIR instead of running',
    ),
    new Option('--image <ref>', `container image for --k8s (built by the Dockerfile)`).default(DEFAULT_IMAGE),
    new Option('--parallelism <n>', 'pods running at once for --k8s (default: every shard)').argParser(
      positiveInt,
    ),
  ];
}

export function shardOfFlags(flags: ShardFlags): Shard | undefined {
  if (flags.k8s !== undefined) return undefined;
  return shardOf(flags.shard, flags.shards, process.env);
}

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** The part's path: `--out FILE`, or `part-K-of-N.json` in `--out DIR/` (an existing folder or one ending in /). */
export function partPath(
  out: string | undefined,
  shard: Shard,
  inputs: readonly string[],
  wave?: number,
): string {
  if (out === undefined)
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: needs --out, the part file (or a folder for ${partFileName(shard, wave)})`,
    );
  const file = out.endsWith('/') || isDirectory(out) ? join(out, partFileName(shard, wave)) : out;
  checkOutputs(inputs, [{ flag: '--out', file }]);
  return file;
}

export async function writePart(file: string, part: StudyPart, label: string): Promise<void> {
  await writeFileAtomic(file, encodeJson(part));
  process.stdout.write(
    `${label} shard ${part.shard.index}/${part.shard.count}: ${part.runs.length} of ${part.totalRuns} runs, part written to ${escapeLine(shorten(file))}\n` +
      `merge the ${part.shard.count} parts with: floodgate merge PARTS... --out result.json\n`,
  );
}

/** `--k8s DIR`: writes the manifests and run.sh, and says how to use them. */
export async function writeK8s(
  flags: ShardFlags,
  o: Omit<K8sStudyOptions, 'scenarioFile' | 'scenarioText' | 'shards' | 'image' | 'parallelism'> & {
    scenario: string;
    inputs: readonly string[];
  },
): Promise<void> {
  const dir = flags.k8s!;
  if (flags.shards === undefined)
    throw new UsageError("--k8s: needs --shards N, the number of shards (the Job's completions)");
  const files = k8sManifests({
    ...o,
    scenarioFile: basename(o.scenario),
    scenarioText: readFileSync(o.scenario, 'utf8'),
    shards: flags.shards,
    image: flags.image ?? DEFAULT_IMAGE,
    ...(flags.parallelism !== undefined ? { parallelism: flags.parallelism } : {}),
  });
  const paths = Object.keys(files).map((f) => join(dir, f));
  checkOutputs(
    o.inputs,
    paths.map((file) => ({ flag: '--k8s', file })),
  );
  for (const [f, text] of Object.entries(files)) await writeFileAtomic(join(dir, f), text);
  process.stdout.write(
    `Kubernetes manifests for ${flags.shards} shards written to ${escapeLine(shorten(dir))}: ${Object.keys(files).join(', ')}\n` +
      `build the image (see Dockerfile), push it as ${escapeLine(flags.image ?? DEFAULT_IMAGE)} (or pass --image), then: sh ${escapeLine(shorten(join(dir, 'run.sh')))}\n`,
  );
}

/** `--set` and `--max` flags as given, for a shard's command line. */
export function studyFlags(opts: { set?: string[]; max?: Record<string, number | undefined> }): string[] {
  return [
    ...(opts.set ?? []).flatMap((s) => ['--set', s]),
    ...Object.entries(opts.max ?? {}).flatMap(([k, v]) => (v === undefined ? [] : ['--max', `${k}=${v}`])),
  ];
}
