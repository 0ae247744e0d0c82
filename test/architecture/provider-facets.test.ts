/**
 * Callers of providers ask the contract's facets (src/providers/provider.ts: `deliveredTokens`,
 * `contextWindow`, `gauges`, `replicas`), never which concrete provider they hold: the simulator
 * and the emulator neither test nor cast to a provider class, import one, or branch on a
 * provider's `kind` (a scenario config's `kind` may still pick which settings to read).
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tsFiles } from './sources.ts';

const CALLERS = ['src/simulator', 'src/emulator'];
const CLASSES = 'GpuPool|GpuReplica|ApiProvider|QueueProvider';

/** What a caller must not write, each with why. */
const RULES: { pattern: RegExp; what: string }[] = [
  { pattern: new RegExp(`instanceof\\s+(?:${CLASSES})\\b`, 'g'), what: 'tests a provider class' },
  { pattern: new RegExp(`\\bas\\s+(?:${CLASSES})\\b`, 'g'), what: 'casts to a provider class' },
  {
    pattern: /from\s+['"][^'"]*providers\/(?:gpu\/(?:gpu-pool|replica)|api\/|queue\/)[^'"]*['"]/g,
    what: 'imports a concrete provider',
  },
  {
    pattern: /\b(?!config\b)\w+\.kind\s*[!=]==?\s*['"](?:gpu|api|queue)['"]/g,
    what: "branches on a provider's kind",
  },
];

/** Every breach of the rules in `text`, as `file: what: the code`. */
function breaches(file: string, text: string): string[] {
  const out: string[] = [];
  for (const { pattern, what } of RULES)
    for (const m of text.matchAll(pattern)) out.push(`${file}: ${what}: ${m[0]}`);
  return out;
}

describe('provider callers use facets', () => {
  it('src/simulator and src/emulator never test, cast to or import a concrete provider, nor branch on its kind', () => {
    const found: string[] = [];
    for (const dir of CALLERS)
      for (const file of tsFiles(join(ROOT, dir)))
        found.push(...breaches(relative(ROOT, file), readFileSync(file, 'utf8')));
    expect(found).toEqual([]);
  });

  it('catches each kind of breach (the rules are not vacuous)', () => {
    const code = [
      "import type { GpuPool } from '../providers/gpu/gpu-pool.ts';",
      'if (provider instanceof GpuPool) {}',
      '(entry.provider as GpuPool).submitTo(0, a);',
      "if (p.kind !== 'gpu') return;",
      "if (config.kind === 'gpu') read(config.expose);",
    ].join('\n');
    expect(breaches('x.ts', code)).toEqual([
      'x.ts: tests a provider class: instanceof GpuPool',
      'x.ts: casts to a provider class: as GpuPool',
      "x.ts: imports a concrete provider: from '../providers/gpu/gpu-pool.ts'",
      "x.ts: branches on a provider's kind: p.kind !== 'gpu'",
    ]);
  });
});
