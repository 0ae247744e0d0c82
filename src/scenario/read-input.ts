/**
 * Reads a file a user named (a scenario, a trace, a JSON result) as text, refusing what is not a
 * plain file before reading a byte: FIFOs and devices (`/dev/zero` would fill memory, a FIFO would
 * block), anything under /proc or /sys (they report size 0 and hold secrets such as
 * /proc/self/environ), and files larger than the caller's limit, so a mistake gets a clear error
 * instead of a hang or an out-of-memory crash.
 */
import { constants, type Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { type ErrorCode, FloodgateError } from '../errors.ts';

/**
 * Scenario files (YAML): 150 times the largest bundled scenario, and small enough that the worst
 * file (every line a problem) is answered in about a second.
 */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
/** Request traces (and result JSON): about a million records, parsed in well under a gigabyte. */
export const MAX_TRACE_BYTES = 128 * 1024 * 1024;

export interface ReadInputOptions {
  /** Starts every error: "scenario.yaml: cannot read the scenario"; the reason follows. */
  context: string;
  code: ErrorCode;
  maxBytes: number;
}

export async function readInputFile(file: string, o: ReadInputOptions): Promise<string> {
  const fail = (why: string): never => {
    throw new FloodgateError(o.code, `${o.context}: ${why}`);
  };
  const real = await checkInputFile(file, o);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: a FIFO swapped in after the check above must not block the read.
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return fail(errnoText(e));
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) fail(`expected a regular file, found ${kindOf(info)}`);
    if (info.size > o.maxBytes)
      fail(`the file is ${sizeText(info.size)}, more than the limit of ${sizeText(o.maxBytes)}`);
    // Read at most one byte past the limit, whatever the size claimed.
    const buffer = Buffer.alloc(Math.min(info.size, o.maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > o.maxBytes) fail(`the file is more than the limit of ${sizeText(o.maxBytes)}`);
    return buffer.subarray(0, length).toString('utf8');
  } catch (e) {
    if (e instanceof FloodgateError) throw e;
    return fail(errnoText(e));
  } finally {
    await handle.close();
  }
}

/**
 * Checks that `file` is a regular file outside /proc and /sys and at most `maxBytes` long, without
 * opening it; returns its real path. For files another tool reads (esbuild bundles policy modules).
 */
export async function checkInputFile(file: string, o: ReadInputOptions): Promise<string> {
  const fail = (why: string): never => {
    throw new FloodgateError(o.code, `${o.context}: ${why}`);
  };
  let real: string;
  let info: Stats;
  try {
    real = await realpath(file);
    info = await stat(real);
  } catch (e) {
    return fail(errnoText(e));
  }
  if (!info.isFile()) fail(`expected a regular file, found ${kindOf(info)}`);
  if (/^\/(proc|sys)(\/|$)/.test(real)) fail('expected a regular file, found a file under /proc or /sys');
  if (info.size > o.maxBytes)
    fail(`the file is ${sizeText(info.size)}, more than the limit of ${sizeText(o.maxBytes)}`);
  return real;
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'a special file';
}

function errnoText(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** 4194304 -> "4 MB", 10485761 -> "10.0 MB" */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} kB`;
  const mb = bytes / (1024 * 1024);
  return `${mb.toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MB`;
}
