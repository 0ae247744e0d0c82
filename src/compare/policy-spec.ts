/**
 * Parses the `--policies` list of `floodgate compare`: entries separated by commas; an entry is
 * one or more policies joined by `+` (routing, admission and health together), each a name or a
 * module path with optional parameters in parentheses, values parsed as YAML.
 *
 * Example: `least-outstanding, p2c+aimd(initial=50, max=300), ./mine.ts(limit=8)` gives three
 * entries; the second sets routing `p2c` and admission `aimd` with { initial: 50, max: 300 }.
 */
import { parse as parseYaml } from 'yaml';
import { FloodgateError } from '../errors.ts';
import type { Override } from '../scenario/overrides.ts';

export interface PolicyCall {
  policy: string;
  params: Record<string, unknown>;
}

export interface PolicyEntry {
  /** The entry as written (the label in tables and reports). */
  label: string;
  calls: PolicyCall[];
  /** Scenario settings the entry changes (an `--entry`, settings-entry.ts), applied after its policies. */
  settings?: Override[];
}

export function parsePolicyList(text: string): PolicyEntry[] {
  const entries = splitTopLevel(text, ',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0)
    throw new FloodgateError(
      'FG_OVERRIDE_INVALID',
      `--policies: expected a comma-separated list such as 'least-outstanding,aimd(initial=50)', got '${text}'`,
    );
  return entries.map((label) => ({
    label,
    calls: splitTopLevel(label, '+').map((c) => parseCall(c.trim(), label)),
  }));
}

function parseCall(text: string, entry: string): PolicyCall {
  const m = /^([^()]+?)\s*(?:\((.*)\))?$/.exec(text);
  if (!m?.[1])
    throw new FloodgateError(
      'FG_OVERRIDE_INVALID',
      `--policies: '${entry}': expected NAME or NAME(key=value, ...), got '${text}'`,
    );
  const params: Record<string, unknown> = {};
  for (const pair of splitTopLevel(m[2] ?? '', ',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new FloodgateError(
        'FG_OVERRIDE_INVALID',
        `--policies: '${entry}': expected key=value, got '${pair.trim()}'`,
      );
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    try {
      params[key] = parseYaml(raw);
    } catch {
      throw new FloodgateError(
        'FG_OVERRIDE_INVALID',
        `--policies: '${entry}': ${key}: the value is not valid YAML: '${raw}'`,
      );
    }
  }
  return { policy: m[1].trim(), params };
}

/** Splits on `sep` outside parentheses, brackets and braces. */
export function splitTopLevel(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}
