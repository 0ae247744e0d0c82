/**
 * The sharding flags `compare`, `sweep` and `capacity` share: `--shard K/N`, `--shards N` (with
 * a Kubernetes Indexed Job's JOB_COMPLETION_INDEX), writing a part, and `--k8s DIR`.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Option } from 'commander';
import { UsageError } from '../../errors.ts';
import { type K8sStudyOptions, k8sManifests } from '../../shard/k8s.ts';
import { encodeJson, type StudyPart } from '../../shard/part.ts';
import { partFileName, type Shard, shardOf } from '../../shard/shard.ts';
import { escapeLine, shorten } from '../../text/quote.ts';
import { positiveInt } from '../options.ts';
import { checkOutputs, fmtMs, writeFileAtomic } from '../output.ts';
import { batchProgressLine, jobProgress } from '../progress.ts';

export interface ShardFlags {
  shard?: string;
  shards?: number;
  k8s?: string;
  image?: string;
  parallelism?: number;
  storageClass?: string;
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
    new Option(
      '--storage-class <name>',
      "storage class of the --k8s parts volume: one with ReadWriteMany (NFS, CephFS, EFS, Filestore, Azure Files); default: the cluster's",
    ).argParser(storageClassName),
  ];
}

/** A StorageClass name is a DNS subdomain (RFC 1123): lowercase letters, digits, '-' and '.', at most 253. */
function storageClassName(value: string): string {
  if (value.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) return value;
  throw new UsageError(
    `--storage-class: expected a storage class name (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters), got '${escapeLine(shorten(value, 60))}'`,
  );
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
  const scenarioText = readFileSync(o.scenario, 'utf8');
  // A ConfigMap holds at most 1 MiB, its keys and metadata included.
  if (Buffer.byteLength(scenarioText) > 1_000_000)
    throw new UsageError(
      `--k8s: ${shorten(o.scenario)} is ${Buffer.byteLength(scenarioText)} bytes, more than a ConfigMap holds (1 MiB): put it in the image or on a volume`,
    );
  const files = k8sManifests({
    ...o,
    scenarioFile: basename(o.scenario),
    scenarioText,
    shards: flags.shards,
    image: flags.image ?? DEFAULT_IMAGE,
    ...(flags.parallelism !== undefined ? { parallelism: flags.parallelism } : {}),
    ...(flags.storageClass !== undefined ? { storageClass: flags.storageClass } : {}),
  });
  const paths = Object.keys(files).map((f) => join(dir, f));
  checkOutputs(
    o.inputs,
    paths.map((file) => ({ flag: '--k8s', file })),
  );
  for (const [f, text] of Object.entries(files)) await writeFileAtomic(join(dir, f), text);
  const others = o.inputs.slice(1);
  if (others.length > 0)
    process.stdout.write(
      `note: the ConfigMap holds the scenario only; the pods also need ${others.map((f) => escapeLine(shorten(f, 60))).join(', ')} at the same path (in the image or on a volume)\n`,
    );
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

const PROGRESS_SCHEMA = 'floodgate/shard-progress@1';

interface ShardProgress {
  schema: typeof PROGRESS_SCHEMA;
  shard: Shard;
  wave?: number;
  done: number;
  total: number;
  elapsedMs: number;
}

/**
 * A shard's progress on stderr with its estimate, and in `progress-K-of-N.json` beside its part
 * (rewritten at most every 5 s) so `floodgate merge --status DIR` can sum up every shard's.
 */
export function shardProgress(
  label: string,
  quiet: boolean | undefined,
  partFile: string,
  shard: Shard,
  wave?: number,
): (done: number, total: number) => void {
  const file = join(
    dirname(partFile),
    `progress-${wave !== undefined ? `w${wave}-` : ''}${shard.index}-of-${shard.count}.json`,
  );
  const tmp = join(dirname(partFile), `.${basename(file)}.${process.pid}.tmp`);
  let last = Number.NEGATIVE_INFINITY;
  return jobProgress(label, quiet, (done, total, elapsedMs) => {
    const now = performance.now();
    if (done !== 0 && done !== total && now - last < 5000) return;
    last = now;
    const p: ShardProgress = {
      schema: PROGRESS_SCHEMA,
      shard,
      ...(wave !== undefined ? { wave } : {}),
      done,
      total,
      elapsedMs: Math.round(elapsedMs),
    };
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(tmp, `${JSON.stringify(p)}\n`);
      renameSync(tmp, file);
    } catch {
      // Progress is advisory: a full or read-only disk fails the part's write, not the runs.
    }
  });
}

/** `floodgate merge --status DIR`: every shard's progress and the estimate for the slowest. */
export function shardStatus(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => /^progress-.*\.json$/.test(f));
  } catch (e) {
    throw new UsageError(
      `${shorten(dir)}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const all: ShardProgress[] = [];
  for (const n of names) {
    try {
      const p = JSON.parse(readFileSync(join(dir, n), 'utf8')) as ShardProgress;
      if (p.schema === PROGRESS_SCHEMA && Number.isSafeInteger(p.done) && Number.isSafeInteger(p.total))
        all.push(p);
    } catch {
      // A progress file being replaced or damaged: that shard counts as not reporting.
    }
  }
  if (all.length === 0) return `${escapeLine(shorten(dir))}: no shard has reported progress yet`;
  const wave = Math.max(...all.map((p) => p.wave ?? 0));
  const current = all.filter((p) => (p.wave ?? 0) === wave).sort((a, b) => a.shard.index - b.shard.index);
  const count = current[0]!.shard.count;
  const done = current.reduce((a, p) => a + p.done, 0);
  const total = current.reduce((a, p) => a + p.total, 0);
  const left = current.map((p) =>
    p.done > 0 && p.done < p.total ? (p.elapsedMs / p.done) * (p.total - p.done) : 0,
  );
  const waiting = count - current.length;
  const slowest = Math.max(...left);
  const state =
    waiting === 0 && current.every((p) => p.done === p.total)
      ? 'every shard is done: merge the parts'
      : [
          slowest > 0 ? `the slowest about ${fmtMs(slowest)} left` : '',
          waiting > 0 ? `${waiting} not reporting yet` : '',
        ]
          .filter(Boolean)
          .join('; ');
  return [
    ...current.map((p) =>
      batchProgressLine(`shard ${p.shard.index}/${p.shard.count}`, p.done, p.total, p.elapsedMs),
    ),
    `${wave ? `wave ${wave}: ` : ''}${current.length} of ${count} shards reporting, ${done}/${total} runs of those: ${state}`,
  ].join('\n');
}
