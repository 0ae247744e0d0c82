/**
 * A bundled scenario cannot ship untested or undocumented: every scenarios/NAME.yaml has its
 * test/scenarios/NAME.test.ts (which runs it and holds the figures and verdicts its header
 * documents) and a row in the scenario tables of scenarios/README.md and README.md.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

async function bundled(): Promise<string[]> {
  return (await readdir(join(ROOT, 'scenarios')))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

describe('bundled scenarios', () => {
  it('each has its own test file', async () => {
    const tests = new Set(await readdir(import.meta.dirname));
    const names = await bundled();
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !tests.has(`${n}.test.ts`)).map((n) => `test/scenarios/${n}.test.ts`)).toEqual(
      [],
    );
  });

  it.each(['scenarios/README.md', 'README.md'])('each has a row in the table of %s', async (doc) => {
    const text = await readFile(join(ROOT, doc), 'utf8');
    const missing = (await bundled()).filter((n) => !text.includes(`| \`${n}.yaml\` |`));
    expect(missing).toEqual([]);
  });
});
