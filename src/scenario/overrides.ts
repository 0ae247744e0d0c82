import { parse as parseYaml } from 'yaml';
import { FloodgateError } from '../errors.ts';

/**
 * `--set PATH=VALUE` overrides, applied to the raw scenario before validation so the schema checks
 * them like any other value. VALUE is parsed as YAML (`--set 'service={dist: deterministic, value: 1s}'`).
 * PATH segments: `workload.arrivals.rate`, `providers[0].servers`, `providers[gpt-4o].capacity`
 * (a non-numeric index selects the element whose `name` matches).
 */
export interface Override {
  path: string;
  value: unknown;
}

export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    throw new FloodgateError(
      'FG_OVERRIDE_INVALID',
      `--set ${text}: expected PATH=VALUE, e.g. --set workload.arrivals.rate=9/s`,
    );
  }
  const path = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = raw.trim() === '' ? '' : parseYaml(raw);
  } catch (e) {
    throw new FloodgateError(
      'FG_OVERRIDE_INVALID',
      `--set ${path}: the value is not valid YAML: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  pathSegments(path); // validate syntax early
  return { path, value };
}

type Segment = { key: string } | { index: number } | { name: string };

/** Keys that reach an object's prototype: never scenario keys, and never written through. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function pathSegments(path: string): Segment[] {
  const segments: Segment[] = [];
  const re = /([^.[\]]+)|\[([^\]]*)\]/g;
  let consumed = 0;
  for (const m of path.matchAll(re)) {
    if (m.index !== consumed && !(path[consumed] === '.' && m.index === consumed + 1)) break;
    consumed = m.index + m[0].length;
    if (m[1] !== undefined) {
      if (PROTOTYPE_KEYS.has(m[1]))
        throw new FloodgateError(
          'FG_OVERRIDE_INVALID',
          `--set ${path}: '${m[1]}' is not a scenario key (it would reach the object's prototype)`,
        );
      segments.push({ key: m[1] });
    } else if (/^\d+$/.test(m[2]!)) segments.push({ index: Number(m[2]) });
    else segments.push({ name: m[2]! });
  }
  if (segments.length === 0 || consumed !== path.length) {
    throw new FloodgateError(
      'FG_OVERRIDE_INVALID',
      `--set ${path}: expected a path like workload.arrivals.rate or providers[0].servers`,
    );
  }
  return segments;
}

/** Returns a copy of `doc` with the override applied; the input is left unchanged. */
export function applyOverride(doc: unknown, override: Override): unknown {
  const root = structuredClone(doc ?? {}) as Record<string, unknown>;
  const segments = pathSegments(override.path);
  let node: unknown = root;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    const where = `--set ${override.path}`;
    if ('key' in seg) {
      if (typeof node !== 'object' || node === null || Array.isArray(node)) {
        throw new FloodgateError(
          'FG_OVERRIDE_INVALID',
          `${where}: '${seg.key}' is inside something that is not a mapping`,
        );
      }
      const obj = node as Record<string, unknown>;
      // Own properties only: an inherited one (`toString`) is not part of the scenario.
      const own = Object.hasOwn(obj, seg.key) ? obj[seg.key] : undefined;
      if (last) obj[seg.key] = override.value;
      else {
        if (own === undefined || own === null) obj[seg.key] = 'index' in segments[i + 1]! ? [] : {};
        node = obj[seg.key];
      }
      continue;
    }
    if (!Array.isArray(node))
      throw new FloodgateError(
        'FG_OVERRIDE_INVALID',
        `${where}: expected a list before [${'index' in seg ? seg.index : seg.name}]`,
      );
    let index: number;
    if ('index' in seg) {
      index = seg.index;
      if (index > node.length)
        throw new FloodgateError(
          'FG_OVERRIDE_INVALID',
          `${where}: index ${index} is past the end of a list of ${node.length}`,
        );
    } else {
      index = node.findIndex(
        (el) => typeof el === 'object' && el !== null && (el as { name?: unknown }).name === seg.name,
      );
      if (index < 0) {
        const names = node.map((el) => (el as { name?: unknown })?.name).filter((n) => typeof n === 'string');
        throw new FloodgateError(
          'FG_OVERRIDE_INVALID',
          `${where}: no element named '${seg.name}' (have ${names.join(', ') || 'none'})`,
        );
      }
    }
    if (last) node[index] = override.value;
    else {
      if (node[index] === undefined) node[index] = {};
      node = node[index];
    }
  }
  return root;
}
