/**
 * `floodgate import` end to end through the built CLI: a Portkey config and a LiteLLM config using
 * every key the importers know import, validate and run; nothing is dropped silently; bad configs
 * and bad command lines get the project's errors and change nothing.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/process.ts';

const HERE = 'test/import';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floodgate-import-'));
});

describe.each([
  ['portkey', `${HERE}/portkey-all-keys.json`, ['--template', `${HERE}/portkey-template.yaml`]],
  ['litellm', `${HERE}/litellm-all-keys.yaml`, ['--duration', '2m', '--rate', '4/s']],
])('floodgate import %s (every supported key)', (gateway, config, extra) => {
  it('imports, validates and runs; every key it does not translate exactly is a note', async () => {
    const out = join(dir, `${gateway}.yaml`);
    const imported = await runCli(['import', gateway, config, '--out', out, ...extra]);
    expect(imported.stderr).not.toMatch(/^note: unknown/m);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe('');
    const yaml = await readFile(out, 'utf8');
    // The notes are in the scenario too, one comment line each.
    for (const line of imported.stderr.trim().split('\n'))
      expect(yaml).toContain(`#   ${line.slice('note: '.length)}`);
    const validated = await runCli(['validate', out]);
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);
    const ran = await runCli(['run', out, '--quiet', '--json']);
    expect(ran.code).toBe(0);
    const result = JSON.parse(ran.stdout) as { requests: { offered: number; completed: number } };
    expect(result.requests.offered).toBeGreaterThan(0);
    expect(result.requests.completed).toBeGreaterThan(0);
  });

  it('writes the same scenario to stdout, byte for byte, every time', async () => {
    const a = await runCli(['import', gateway, config, '--quiet', ...extra]);
    const b = await runCli(['import', gateway, config, '--quiet', ...extra]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/^# Imported by floodgate import from /);
  });
});

describe('floodgate import: refusals', () => {
  it('never overwrites its input (exit 2, the file unchanged)', async () => {
    const config = join(dir, 'keep.json');
    await writeFile(config, '{ "provider": "openai", "retry": { "attempts": 1 } }');
    const r = await runCli(['import', 'portkey', config, '--out', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to overwrite it/);
    expect(await readFile(config, 'utf8')).toBe('{ "provider": "openai", "retry": { "attempts": 1 } }');
  });

  it('a malformed config: exit 1, one line per problem with file:line:column, no output file', async () => {
    const config = join(dir, 'bad.json');
    const out = join(dir, 'bad-out.yaml');
    await writeFile(
      config,
      '{\n  "strategy": { "mode": "fallback" },\n  "targets": [{ "provider": "a", "weight": -1 }]\n}\n',
    );
    const r = await runCli(['import', 'portkey', config, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_CONFIG_INVALID]: ${config}:3:44: targets[0].weight: expected a number >= 0, got -1\n`,
    );
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });

  it('a template naming a provider the config does not have is an error naming the providers', async () => {
    const template = join(dir, 'template.yaml');
    await writeFile(template, 'providers: [{ name: openai-2 }]\n');
    const r = await runCli(['import', 'litellm', `${HERE}/litellm-all-keys.yaml`, '--template', template]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /template provider 'openai-2' is not in the imported config \(its providers: gpt4o-eu,/,
    );
  });

  it('bad command lines exit 2', async () => {
    expect((await runCli(['import', 'kong', 'x.json'])).code).toBe(2);
    expect((await runCli(['import', 'portkey'])).code).toBe(2);
    expect((await runCli(['import', 'portkey', 'x.json', '--rate', 'fast'])).code).toBe(2);
  });

  it('a missing or special file is a clear error, exit 1', async () => {
    const r = await runCli(['import', 'portkey', join(dir, 'absent.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[FG_CONFIG_INVALID\]: .*absent\.json: cannot read the Portkey config/);
    expect((await runCli(['import', 'litellm', '/dev/zero'])).code).toBe(1);
  });

  it('--coverage prints the table for the gateway', async () => {
    const r = await runCli(['import', 'litellm', '--coverage']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\| key \| status \| in Floodgate \|/);
    expect(r.stdout).toContain('`allowed_fails`');
  });
});
