/**
 * Commander prints its own usage errors (an invalid option value, an unknown option or command)
 * with the raw argument in them: main.ts configures its output so every argument it quotes is
 * escaped onto one line and shortened, and only its own line breaks stay.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapedOutput } from '../../src/cli/main.ts';
import { ROOT, runCli } from './process.ts';

const QUICKSTART = join(ROOT, 'scenarios/quickstart.yaml');

const floodgate = (args: string[]) => runCli(args);

describe("commander's own messages escape the arguments they quote", () => {
  it('k6 --target with a newline: one line, the newline shown as \\n', async () => {
    const r = await floodgate(['k6', QUICKSTART, '--target', 'http://a\nEVIL']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: option '--target <url>' argument 'http://a\\nEVIL' is invalid. expected an http:// or https:// URL such as http://localhost:8000, without spaces or control characters\n",
    );
    expect(r.stdout).toBe('');
  });

  it('--flag=value carrying a newline is escaped too', async () => {
    const r = await floodgate(['k6', QUICKSTART, '--target=http://a\nEVIL']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: option '--target <url>' argument 'http://a\\nEVIL' is invalid. expected an http:// or https:// URL such as http://localhost:8000, without spaces or control characters\n",
    );
  });

  it('emulate --host with a terminal escape code', async () => {
    const r = await floodgate(['emulate', QUICKSTART, '--host', 'a\x1b[31m']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: option '--host <address>' argument 'a\\x1b[31m' is invalid. expected a host name or IP address (e.g. 127.0.0.1, localhost, 0.0.0.0), got 'a\\x1b[31m'\n",
    );
  });

  it('an unknown command or option: escaped, and its own second line kept', async () => {
    const command = await floodgate(['bogus\x1b[2J\nEVIL']);
    expect(command.code).toBe(2);
    expect(command.stderr).toBe(
      "error: unknown command 'bogus\\x1b[2J\\nEVIL'\n(run with --help for usage)\n",
    );
    const option = await floodgate(['run', QUICKSTART, '--sed\nEVIL', '1']);
    expect(option.code).toBe(2);
    expect(option.stderr).toBe("error: unknown option '--sed\\nEVIL'\n");
    const suggestion = await floodgate(['run', QUICKSTART, '--sed', '1']);
    expect(suggestion.stderr).toBe("error: unknown option '--sed'\n(Did you mean one of --seed, --set?)\n");
  });

  it('a very long argument is shortened', async () => {
    const long = 'x'.repeat(5000);
    const r = await floodgate(['run', QUICKSTART, '--seed', long]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: option '--seed <n>' argument '${'x'.repeat(100)}... (5000 characters)' is invalid. expected an integer of at most 9007199254740991 in size, got '${'x'.repeat(40)}... (5000 characters)'\n`,
    );
  });

  it('escapedOutput escapes quoted arguments and other control characters, keeping line breaks', () => {
    const written: string[] = [];
    escapedOutput(['--x=a\nb', 'c\rd']).outputError("error: 'a\nb' 'c\rd'\n(hint)\x07\n", (t) =>
      written.push(t),
    );
    expect(written).toEqual(["error: 'a\\nb' 'c\\rd'\n(hint)\\x07\n"]);
  });
});
