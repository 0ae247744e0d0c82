/**
 * An imported gateway becomes a whole scenario: the gateway section and the providers' names and
 * models come from the config; everything a gateway config does not describe (how providers
 * behave, the workload, faults, SLOs, duration) comes from a template scenario, or from small
 * defaults. A template is a partial scenario: its providers are matched by name (`name: '*'` sets
 * defaults for all), its other sections are copied, and its `gateway` keys the import does not set
 * (admission, queue, hedging) are kept.
 */
import { stringify } from 'yaml';
import { escapeLine } from '../text/quote.ts';
import { ConfigInvalidError, type ConfigText } from './config-text.ts';
import type { ImportedGateway } from './imported.ts';
import { type ImportNote, isObject, type Json } from './reader.ts';

export interface ScenarioDefaults {
  /** The scenario's name. */
  name: string;
  /** Base arrival rate of the default workload (`10/s`); a template's workload wins. */
  rate?: string | undefined;
  /** Scenario duration (`10m`); a template's wins. */
  duration?: string | undefined;
}

export const DEFAULT_RATE = '10/s';
export const DEFAULT_DURATION = '10m';

/** The scenario object (input form) for an import; notes about the template join the import's. */
export function buildScenario(
  imported: ImportedGateway,
  defaults: ScenarioDefaults,
  template?: ConfigText,
): { scenario: Json; notes: ImportNote[] } {
  const notes = [...imported.notes];
  const t = template ? templateObject(template) : {};
  const providerDefaults = new Map<string, Json>();
  const problems: { path: string; message: string }[] = [];
  const tProviders = t['providers'];
  if (tProviders !== undefined) {
    if (!Array.isArray(tProviders))
      problems.push({ path: 'providers', message: 'expected a list of providers' });
    else
      tProviders.forEach((p, i) => {
        if (!isObject(p) || typeof p['name'] !== 'string')
          problems.push({ path: `providers[${i}]`, message: 'expected a provider with a name' });
        else providerDefaults.set(p['name'], p);
      });
  }
  const names = imported.providers.map((p) => p.name);
  for (const name of providerDefaults.keys())
    if (name !== '*' && !names.includes(name))
      problems.push({
        path: 'providers',
        message: `template provider '${escapeLine(name)}' is not in the imported config (its providers: ${names.join(', ')}); name a provider the import creates, or '*' for all`,
      });
  if (template && problems.length > 0)
    throw new ConfigInvalidError(
      problems.map((p) => ({ file: template.file, path: p.path, message: p.message })),
    );

  const all = providerDefaults.get('*') ?? {};
  const providers = imported.providers.map((p) => {
    const own = providerDefaults.get(p.name) ?? {};
    const merged: Json = { name: p.name, kind: 'api', ...withoutName(all), ...withoutName(own) };
    if (p.models && merged['models'] === undefined) merged['models'] = p.models;
    if (p.rateLimit && merged['rateLimit'] === undefined && merged['kind'] === 'api')
      merged['rateLimit'] = p.rateLimit;
    return merged;
  });

  const gateway: Json = { ...(isObject(t['gateway']) ? t['gateway'] : {}) };
  for (const key of Object.keys(imported.gatewaySection)) {
    if (gateway[key] !== undefined)
      notes.push({
        kind: 'approximated',
        path: `template gateway.${key}`,
        message: 'replaced by the imported config',
      });
    gateway[key] = imported.gatewaySection[key];
  }

  const classes =
    imported.classModels && imported.classModels.length > 0
      ? uniqueNames(imported.classModels.map(className)).map((name, i) => ({
          name,
          models: [imported.classModels![i]!],
        }))
      : [{ name: 'default' }];
  const workload = t['workload'] ?? {
    arrivals: { process: 'poisson', rate: defaults.rate ?? DEFAULT_RATE },
    classes,
  };
  const { providers: _p, gateway: _g, name: _n, ...rest } = t;
  const scenario: Json = {
    name: typeof t['name'] === 'string' ? t['name'] : defaults.name,
    description: `Imported from a ${imported.gateway === 'portkey' ? 'Portkey' : 'LiteLLM'} config by floodgate import`,
    ...rest,
    duration: t['duration'] ?? defaults.duration ?? DEFAULT_DURATION,
    providers,
    workload,
    gateway,
  };
  if (scenario['description'] === undefined)
    scenario['description'] =
      `Imported from a ${imported.gateway === 'portkey' ? 'Portkey' : 'LiteLLM'} config by floodgate import`;
  return { scenario, notes };
}

function withoutName(p: Json): Json {
  const { name: _name, ...rest } = p;
  return rest;
}

/** A class name for a model group (letters, digits, . _ -). */
function className(model: string): string {
  return model.replace(/[^\w.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'class';
}

/** `a, a, b` -> `a, a-2, b`. */
function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((base) => {
    let name = base;
    for (let n = 2; seen.has(name); n++) name = `${base}-${n}`;
    seen.add(name);
    return name;
  });
}

function templateObject(template: ConfigText): Json {
  if (isObject(template.value)) return template.value;
  throw new ConfigInvalidError([
    {
      file: template.file,
      path: '',
      message: 'expected a partial scenario (an object: providers, workload, faults, slos, ...)',
    },
  ]);
}

/** The scenario as YAML, opened by comments naming the source and every note (one line each). */
export function scenarioYaml(scenario: Json, source: string, notes: readonly ImportNote[]): string {
  const head = [`# Imported by floodgate import from ${escapeLine(source)}.`];
  if (notes.length > 0) {
    head.push('# Not translated exactly (see docs/guide/import.md):');
    for (const n of notes)
      head.push(`#   ${n.kind}: ${escapeLine(n.path || '(top level)')}: ${escapeLine(n.message)}`);
  }
  return `${head.join('\n')}\n${stringify(scenario, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
