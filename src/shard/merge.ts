/**
 * `floodgate merge`: the parts of a sharded study into the result an unsharded run writes (the
 * same assembly over the same figures, so the JSON is byte-identical), a capacity wave into the
 * next wave's state (or the result when the search is done), or k6-operator runners' summaries
 * into one summary (k6-summaries.ts).
 */
import {
  type CapacityResult,
  type CapacityStudy,
  capacityResult,
  type ProbeData,
  probeData,
} from '../compare/capacity.ts';
import { assembleCompare, type CompareResult, type CompareStudy } from '../compare/compare.ts';
import type { CapacityPlanResult } from '../compare/plan.ts';
import { assembleSweep, type SweepResult, type SweepStudy } from '../compare/sweep.ts';
import { FloodgateError } from '../errors.ts';
import { K6_SUMMARY_SCHEMA, type K6Summary } from '../k6/summary-schema.ts';
import { mergeK6Summaries } from './k6-summaries.ts';
import { asPart, combineParts, studyHash } from './part.ts';
import { WAVE_SCHEMA, type WaveState } from './run.ts';

export type Merged =
  | { kind: 'compare'; result: CompareResult }
  | { kind: 'sweep'; result: SweepResult }
  | { kind: 'capacity'; result: CapacityResult | CapacityPlanResult; waves: number }
  | { kind: 'wave'; state: WaveState }
  | { kind: 'k6'; summary: K6Summary };

const schemaOf = (json: unknown) =>
  json && typeof json === 'object' && 'schema' in json ? String((json as { schema: unknown }).schema) : '';

/** Merges parsed input files (all parts of one study, or all k6 runner summaries). */
export function mergeInputs(inputs: readonly { file: string; json: unknown }[]): Merged {
  try {
    return mergeUnchecked(inputs);
  } catch (e) {
    // Parts are files from elsewhere: one whose content does not have the shape its command
    // writes fails in the assembly; that is bad input, not a bug.
    if (e instanceof TypeError || e instanceof RangeError)
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${inputs[0]?.file ?? 'merge'}: parts whose content is not what compare, sweep or capacity --shard writes (${e.message.slice(0, 120)})`,
      );
    throw e;
  }
}

function mergeUnchecked(inputs: readonly { file: string; json: unknown }[]): Merged {
  if (inputs.length === 0) throw new FloodgateError('FG_USAGE', 'merge: expected at least one file');
  if (schemaOf(inputs[0]!.json) === K6_SUMMARY_SCHEMA)
    return { kind: 'k6', summary: mergeK6Summaries(inputs) };
  const parts = inputs.map(({ file, json }) => {
    if (schemaOf(json) === K6_SUMMARY_SCHEMA)
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${file}: a k6 summary among study parts: merge either the parts of one study or the summaries of one TestRun`,
      );
    if (schemaOf(json) === WAVE_SCHEMA)
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${file}: a wave state, not a part: pass it to the next wave as \`floodgate capacity ... --wave-in ${file}\``,
      );
    return { file, part: asPart(json, file) };
  });
  const { study, figures, wave } = combineParts(parts);
  switch (study.command) {
    case 'compare':
      return { kind: 'compare', result: assembleCompare(study as CompareStudy, figures) };
    case 'sweep':
      return { kind: 'sweep', result: assembleSweep(study as SweepStudy, figures) };
    case 'capacity': {
      const s = study as CapacityStudy;
      if (!wave)
        throw new FloodgateError(
          'FG_SCENARIO_INVALID',
          `${parts[0]!.file}: a capacity part without its wave`,
        );
      const known = new Map<string, ProbeData>(Object.entries(wave.prior as Record<string, ProbeData>));
      const n = s.seeds.length;
      wave.candidates.forEach((key, i) => {
        known.set(key, probeData(s, key, figures.slice(i * n, (i + 1) * n)));
      });
      const result = capacityResult(s, known);
      if (result) return { kind: 'capacity', result, waves: wave.number };
      return {
        kind: 'wave',
        state: {
          schema: WAVE_SCHEMA,
          study: s,
          studyHash: studyHash(s),
          wave: wave.number,
          probes: Object.fromEntries(known),
        },
      };
    }
    default:
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${parts[0]!.file}: a part of an unknown command '${String(study.command).slice(0, 40)}'`,
      );
  }
}
