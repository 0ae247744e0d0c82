/**
 * Scripts `floodgate k6` writes run on the k6 versions teams pin: k6 before v0.53 runs a script
 * through Babel, which rejects syntax newer than ES2017 (`??`, `?.`, `catch {`, object spread).
 *
 * The check uses esbuild (no ES parser such as acorn is installed): a script transformed at
 * target es2017 comes out the same as at esnext only when it holds no syntax esbuild would have
 * to lower, so any newer syntax shows as a difference.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { transform } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleK6Script } from '../../src/k6/bundle.ts';
import { compileK6 } from '../../src/k6/compile.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';

const ROOT = join(import.meta.dirname, '../..');
const SCENARIOS = readdirSync(join(ROOT, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** The script as esbuild prints it at `target`, newer syntax lowered. */
async function printedAt(text: string, target: string): Promise<string> {
  return (await transform(text, { target, format: 'esm', charset: 'utf8', logLevel: 'silent' })).code;
}

describe('compiled scripts hold only ES2017 syntax (k6 v0.45+ and v1.x)', () => {
  it('the check itself sees ??, ?., catch without a binding and object spread', async () => {
    for (const newer of ['a ?? b;', 'a?.b;', 'try { f(); } catch { }', 'const c = { ...a };'])
      expect(await printedAt(newer, 'es2017')).not.toBe(await printedAt(newer, 'esnext'));
  });

  it.each(SCENARIOS)('%s, stock and sse', async (file) => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(13);
    const loaded = await loadScenarioFile(join(ROOT, 'scenarios', file));
    for (const mode of ['stock', 'sse'] as const) {
      const compiled = compileK6(loaded, { mode });
      const text = await bundleK6Script(compiled.config, { header: ['x'], traces: compiled.traces });
      expect(await printedAt(text, 'es2017')).toBe(await printedAt(text, 'esnext'));
    }
  });
});
