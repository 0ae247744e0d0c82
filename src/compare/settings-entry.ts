/**
 * Parses one `--entry` of `floodgate compare`: an entry that changes scenario settings rather than
 * policies, such as an autoscaler's min replicas, target or buffer, so that settings are ranked on
 * identical traffic like policies are. Text: `LABEL: PATH=VALUE; PATH=VALUE ...`, each override
 * as `--set` takes it (VALUE parsed as YAML); without `LABEL:` the overrides are the label.
 *
 * Example: `min 4: providers[pool].autoscaling.min=4` and
 * `static 6: providers[pool].autoscaling.min=6; providers[pool].autoscaling.max=6`.
 */
import { FloodgateError } from '../errors.ts';
import { parseOverride } from '../scenario/overrides.ts';
import { quoted } from '../text/quote.ts';
import { type PolicyEntry, splitTopLevel } from './policy-spec.ts';

export function parseSettingsEntry(text: string): PolicyEntry {
  const colon = text.indexOf(':');
  const eq = text.indexOf('=');
  // A colon before the first '=' ends the label (a YAML value may hold colons of its own).
  const labelled = colon >= 0 && (eq < 0 || colon < eq);
  const label = (labelled ? text.slice(0, colon) : text).trim();
  const body = labelled ? text.slice(colon + 1) : text;
  const parts = splitTopLevel(body, ';')
    .map((s) => s.trim())
    .filter(Boolean);
  if (label === '' || parts.length === 0)
    throw new FloodgateError(
      'FG_OVERRIDE_INVALID',
      `--entry ${quoted(text)}: expected 'LABEL: PATH=VALUE; PATH=VALUE', e.g. 'min 4: providers[pool].autoscaling.min=4'`,
    );
  const settings = parts.map((p) => {
    try {
      return parseOverride(p);
    } catch (e) {
      if (e instanceof FloodgateError)
        throw new FloodgateError(e.code, `--entry ${quoted(label)}: ${e.message.replace(/^--set /, '')}`);
      throw e;
    }
  });
  return { label, calls: [], settings };
}

/** Two entries with one label could not be told apart in the table, the JSON or the report. */
export function checkUniqueLabels(entries: readonly PolicyEntry[]): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.label))
      throw new FloodgateError(
        'FG_OVERRIDE_INVALID',
        `--policies/--entry: two entries are labelled ${quoted(e.label)}; give each a label of its own ('LABEL: ...')`,
      );
    seen.add(e.label);
  }
}
