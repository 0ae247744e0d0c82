/**
 * Reading the files a scenario names: only regular files, under a size limit, read with a cap;
 * and the optional TypeScript check of user modules.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { readInputFile, sizeText } from '../../src/scenario/read-input.ts';
import { typeCheckModules } from '../../src/scenario/type-check.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floodgate-files-'));
});

const options = { context: 'x: cannot read', code: 'FG_TRACE_INVALID', maxBytes: 1024 } as const;

describe('readInputFile', () => {
  it('reads a regular file within the limit', async () => {
    await writeFile(join(dir, 'ok.csv'), 'a,b\n');
    expect(await readInputFile(join(dir, 'ok.csv'), options)).toBe('a,b\n');
  });

  it('refuses a file above the limit with its size, before reading it', async () => {
    await writeFile(join(dir, 'big.csv'), 'x'.repeat(3000));
    await expect(readInputFile(join(dir, 'big.csv'), options)).rejects.toThrow(
      'x: cannot read: the file is 2.9 kB, more than the limit of 1 kB',
    );
  });

  it.each([
    ['a directory', () => dir, 'expected a regular file, found a directory'],
    [
      '/proc/self/status',
      () => '/proc/self/status',
      'expected a regular file, found a file under /proc or /sys',
    ],
    ['/dev/zero', () => '/dev/zero', 'expected a regular file, found a device'],
    ['a missing file', () => join(dir, 'nope'), 'ENOENT'],
  ])('refuses %s', async (_, path, why) => {
    await expect(readInputFile(path(), options)).rejects.toThrow(`x: cannot read: ${why}`);
  });

  it('prints sizes as people read them', () => {
    expect([sizeText(512), sizeText(1024), sizeText(1024 * 1024), sizeText(10 * 1024 * 1024 + 1)]).toEqual([
      '512 bytes',
      '1 kB',
      '1 MB',
      '10.0 MB',
    ]);
  });
});

describe('loadScenarioText', () => {
  it('refuses text above the scenario limit before parsing it', async () => {
    await expect(loadScenarioText(`# ${'x'.repeat(2 * 1024 * 1024)}\n`, 's.yaml')).rejects.toThrow(
      's.yaml: (top level): expected a scenario of at most 1 MB, got 2.0 MB',
    );
  });
});

describe('typeCheckModules', () => {
  it('skips the check with a reason when the TypeScript compiler is not installed', async () => {
    const file = join(dir, 'p.ts');
    await writeFile(file, 'export default 1;\n');
    expect(await typeCheckModules([file], () => Promise.reject(new Error('not found')))).toEqual({
      checked: false,
      reason: 'the typescript package is not installed (npm install -D typescript)',
    });
  });

  it('checks nothing for JavaScript modules', async () => {
    expect(await typeCheckModules([join(dir, 'p.js')])).toEqual({ checked: true, problems: [] });
  });
});
