/** Shared by the import tests: import a config from text, and run the scenario it gives. */
import { parse } from 'yaml';
import { parseConfigText } from '../../src/import/config-text.ts';
import type { ImportedGateway } from '../../src/import/imported.ts';
import { importLitellm } from '../../src/import/litellm.ts';
import { importPortkey } from '../../src/import/portkey.ts';
import { buildScenario, scenarioYaml } from '../../src/import/scenario.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

export function portkey(config: unknown): ImportedGateway {
  return importPortkey(parseConfigText(JSON.stringify(config, null, 2), 'config.json'));
}

export function litellm(yaml: string): ImportedGateway {
  return importLitellm(parseConfigText(yaml, 'config.yaml'));
}

/** The imported scenario's YAML, with a template (YAML text) when given, loaded and validated. */
export async function scenarioOf(imported: ImportedGateway, template?: string) {
  const t = template === undefined ? undefined : parseConfigText(template, 'template.yaml');
  const { scenario, notes } = buildScenario(imported, { name: 'imported' }, t);
  const yaml = scenarioYaml(scenario, 'test', notes);
  return {
    yaml,
    object: parse(yaml) as Record<string, unknown>,
    loaded: await loadScenarioText(yaml, 'imported.yaml'),
  };
}

/** Fast, deterministic providers for simulated checks of what an import does. */
export const QUICK_PROVIDERS = `
providers:
  - name: '*'
    kind: api
    ttft: { dist: deterministic, value: 100ms }
    outputRate: { dist: deterministic, value: 1000/s }
`;
