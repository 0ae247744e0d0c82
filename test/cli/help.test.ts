/**
 * Every command's --help as users read it: exit codes stated, --max where the work estimate
 * applies, defaults shown only where they say something, and the README's command table in step.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { ROOT, runCli } from './process.ts';

const floodgate = (args: string[]) => runCli(args);

/** Commands that load a scenario, so estimate its work and take --max. */
const WITH_WORK_LIMIT = ['run', 'validate', 'compare', 'capacity', 'sweep', 'k6', 'emulate'];
const OTHERS = ['schema', 'observe', 'calibrate', 'merge', 'import'];

describe('floodgate <command> --help', () => {
  it.each([...WITH_WORK_LIMIT, ...OTHERS])('%s: exit codes stated, exit 0', async (command) => {
    const r = await floodgate([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nExit codes: 0 [^\n]*, 1 [^\n]*, 2 bad usage, 70 a bug\.\n/);
    expect(r.stdout).not.toContain('(default: [])');
    expect(r.stdout.includes('--max <limit=n>')).toBe(WITH_WORK_LIMIT.includes(command));
  });

  it('covers every command the program has', () => {
    const commands = buildProgram().commands.map((c) => c.name());
    expect([...commands].sort()).toEqual([...WITH_WORK_LIMIT, ...OTHERS].sort());
  });

  it('the top level states the exit codes; no command is a usage mistake (exit 2)', async () => {
    const help = await floodgate(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      '\nExit codes: 0 ok, 3 an SLO, recovery or tolerance verdict failed (run, capacity, observe), 1 bad input, 2 bad usage, 70 a bug in Floodgate.\n',
    );
    expect((await floodgate(['help', 'run'])).code).toBe(0);
    const bare = await floodgate([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: floodgate [options] [command]');
  });

  it('the README command table names --max on the rows of those commands', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const command of [...WITH_WORK_LIMIT, ...OTHERS]) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`floodgate ${command} `));
      expect(row, command).toBeDefined();
      expect(row!.includes('[--max LIMIT=N ...]'), command).toBe(WITH_WORK_LIMIT.includes(command));
    }
  });
});
