/**
 * How user modules reach the public API: by the package name or the old unscoped `floodgate`,
 * resolved to the Floodgate that loads them (here, run from source: src/index.ts). The built and
 * installed case is test/package/install.test.ts.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { importUserModule, publicApiPath } from '../../src/scenario/load-module.ts';

it('resolves to the source entry when Floodgate runs from source', () => {
  expect(publicApiPath()).toBe(join(import.meta.dirname, '../../src/index.ts'));
});

it.each(['@floodgate-sim/floodgate', 'floodgate'])('loads a policy module importing %s', async (name) => {
  const dir = await mkdtemp(join(tmpdir(), 'floodgate-api-'));
  const file = join(dir, 'policy.ts');
  await writeFile(
    file,
    `import { definePolicy, reject, z } from '${name}';
export default definePolicy({
  name: 'first',
  kind: 'routing',
  params: z.strictObject({}),
  create: () => ({ route: (_req, targets) => targets[0] ?? reject('no-target') }),
});
`,
  );
  const mod = await importUserModule(file, 'test', 'FG_POLICY_INVALID');
  expect((mod['default'] as { name: string; kind: string }).kind).toBe('routing');
});
