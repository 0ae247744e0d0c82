/**
 * The compiled configuration of this script (src/k6/compile.ts): stages, thresholds and what each
 * class's requests look like. The bundler replaces this module with the data itself (readable
 * JSON); these declarations are what the type check sees.
 */
import type { ScriptConfig } from '../../src/k6/script-config.ts';

export const config: ScriptConfig = __FLOODGATE_CONFIG__;

/**
 * The trace records [prompt tokens, output tokens] of a class that replays a trace, in arrival
 * order. Call it once, inside a SharedArray: the data is then shared by all VUs.
 */
export function traceRecords(className: string): [number, number][] {
  return __FLOODGATE_TRACES__[className] ?? [];
}
