/**
 * `X-Floodgate-Traffic-Key: class.ordinal.send`: which request of the traffic a call is (its
 * class's index in the scenario, that class's arrival ordinal, its send within its session; 0 for
 * a plain request), as a load driver computes it from the traffic seed (engine/luck.ts). Under
 * `floodgate emulate --luck request` the provider's draws for the call follow the key.
 */
import { MAX_KEY_CLASS, MAX_KEY_ORDINAL, MAX_KEY_SEND, parseTrafficKey } from '../engine/luck.ts';
import type { WireError } from './openai.ts';

/**
 * The header's traffic key; undefined when absent; a `WireError` (400) when it is not exactly one
 * `class.ordinal.send` within bounds (sent once). The value is never echoed.
 */
export function parseTrafficKeyHeader(value: string | string[] | undefined): number | undefined | WireError {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? (value.length === 1 ? value[0]! : '') : value;
  const key = parseTrafficKey(text);
  if (key !== undefined) return key;
  return {
    status: 400,
    message: `Invalid X-Floodgate-Traffic-Key: expected class.ordinal.send, three whole numbers (class 0-${MAX_KEY_CLASS}, ordinal 0-${MAX_KEY_ORDINAL}, send 0-${MAX_KEY_SEND}), sent once.`,
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_traffic_key',
  };
}
