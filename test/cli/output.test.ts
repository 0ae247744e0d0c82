/**
 * Output files: writeFileAtomic's temporary file (hidden, beside the target, removed on failure and
 * on SIGINT/SIGTERM, never masking the cause) and the checks run before any work.
 */
import { execFile } from 'node:child_process';
import { link, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkOutputs, writeFileAtomic } from '../../src/cli/output.ts';

const execFileAsync = promisify(execFile);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floodgate-output-'));
});

describe('writeFileAtomic', () => {
  it('refuses a target that is a directory, leaving nothing behind', async () => {
    const target = join(dir, 'taken');
    await mkdir(join(target, 'inside'), { recursive: true });
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow(`${target}: cannot write: it is a directory`);
    expect(await readdir(dir)).toEqual(['taken']);
  });

  it('reports the cause when a parent is a regular file (the cleanup cannot hide it)', async () => {
    await writeFile(join(dir, 'file.txt'), 'x');
    const target = join(dir, 'file.txt', 'out.json');
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow(
      `${target}: cannot write: '${join(dir, 'file.txt')}' is not a directory`,
    );
  });

  it('removes its hidden temporary file when the process is killed mid-write', async () => {
    const script = join(dir, 'killed.ts');
    const out = join(dir, 'big.json');
    await writeFile(
      script,
      `import { existsSync, readdirSync } from 'node:fs';
import { writeFileAtomic } from ${JSON.stringify(join(import.meta.dirname, '../../src/cli/output.ts'))};
const tmp = ${JSON.stringify(join(dir, `.big.json.`))} + process.pid + '.tmp';
void writeFileAtomic(${JSON.stringify(out)}, 'x'.repeat(200 * 1024 * 1024));
const poll = setInterval(() => {
  if (existsSync(tmp)) {
    clearInterval(poll);
    process.stdout.write(readdirSync(${JSON.stringify(dir)}).filter((f) => f.endsWith('.tmp')).join(',') + '\\n');
    process.kill(process.pid, 'SIGTERM');
  }
}, 0);
`,
    );
    const result = await execFileAsync(process.execPath, ['--import', 'tsx', script], {
      cwd: join(import.meta.dirname, '../..'),
      timeout: 60_000,
    }).catch((e: { code: number; signal: string | null; stdout: string }) => e);
    const { code, stdout } = result as { code: number; stdout: string };
    expect(stdout).toMatch(/^\.big\.json\.\d+\.tmp\n$/);
    expect(code).toBe(143);
    expect((await readdir(dir)).sort()).toEqual(['killed.ts']);
  });
});

describe('checkOutputs', () => {
  it('accepts outputs in folders still to be created', () => {
    expect(() =>
      checkOutputs([join(dir, 'in.yaml')], [{ flag: '--out', file: join(dir, 'a', 'b', 'c.json') }]),
    ).not.toThrow();
  });

  it('refuses an output that is a hard link to an input', async () => {
    const input = join(dir, 'in.yaml');
    await writeFile(input, 'name: x\n');
    await link(input, join(dir, 'hard.yaml'));
    expect(() => checkOutputs([input], [{ flag: '--out', file: join(dir, 'hard.yaml') }])).toThrow(
      `--out ${join(dir, 'hard.yaml')}: this is the input file ${input}; refusing to overwrite it`,
    );
  });

  it('refuses a device as an output (a rename would replace /dev/null with a file)', () => {
    expect(() => checkOutputs([], [{ flag: '--out', file: '/dev/null' }])).toThrow(
      '/dev/null: cannot write: expected a regular file or a new path, found a device, FIFO or socket',
    );
  });

  it('refuses an output that is a directory', () => {
    expect(() => checkOutputs([], [{ flag: '--out', file: dir }])).toThrow(
      `${dir}: cannot write: it is a directory`,
    );
  });
});
