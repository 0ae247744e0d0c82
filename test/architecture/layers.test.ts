/**
 * The model's layers import one way (ARCHITECTURE.md, "Layers"):
 *
 *   engine <- providers <- gateway <- policies <- workload <- metrics <- simulator <- tools <- cli
 *
 * A folder may import from its own layer and the layers below it, never from one above, so there
 * is no folder-level import cycle among them. `scenario` (the configuration types every layer
 * reads), `text` and `errors.ts` sit beside the layers and are not ranked.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tsFiles } from './sources.ts';

/** Rank of each layer (folder under src/, or the policies/ folder); higher imports lower. */
const RANK: Record<string, number> = {
  engine: 0,
  providers: 1,
  gateway: 2,
  policies: 3,
  workload: 4,
  metrics: 5,
  simulator: 6,
  compare: 7,
  emulator: 7,
  k6: 7,
  report: 7,
  export: 7,
  cli: 8,
};

/** The layer a repository file belongs to, or undefined when it is not ranked. */
function layerOf(file: string): string | undefined {
  const parts = relative(ROOT, file).split(sep);
  const layer = parts[0] === 'src' ? parts[1] : parts[0];
  return layer !== undefined && layer in RANK ? layer : undefined;
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'policies'))]) {
    const from = layerOf(file);
    if (!from) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue;
      const to = layerOf(resolve(file, '..', spec));
      if (to && to !== from) out.push({ from, to, file: relative(ROOT, file), spec });
    }
  }
  return out;
}

describe('layers', () => {
  it('every import goes to the same layer or one below', () => {
    const upward = edges()
      .filter((e) => RANK[e.to]! > RANK[e.from]!)
      .map((e) => `${e.file} (${e.from}) imports ${e.spec} (${e.to})`);
    expect(upward).toEqual([]);
  });

  it('finds the imports it judges (the scan is not vacuous)', () => {
    const all = edges();
    expect(all.some((e) => e.from === 'gateway' && e.to === 'providers')).toBe(true);
    expect(all.some((e) => e.from === 'simulator' && e.to === 'gateway')).toBe(true);
  });
});
