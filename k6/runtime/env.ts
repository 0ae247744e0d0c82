/**
 * What the script reads from the environment (k6 -e NAME=value or the process environment):
 * where to send requests and with which credentials, so that nothing secret is in the script.
 *
 * FLOODGATE_TARGET   base URL (http://gateway:8080, http://gateway/v1) or the full
 *                    chat-completions URL; default: the compiler's --target
 * FLOODGATE_API_KEY  sent as `Authorization: Bearer <key>`
 * FLOODGATE_HEADERS  a JSON object of extra headers, e.g. {"x-tenant":"load-test"}
 * FLOODGATE_MODEL    replaces every class's `model`
 * FLOODGATE_BODY     a JSON object merged into every request body, e.g. {"ignore_eos":true}
 * FLOODGATE_SUMMARY  where handleSummary writes the JSON summary (default
 *                    floodgate-k6-summary.json; `stdout` prints it as one line instead)
 * FLOODGATE_PARALLELISM  load generators sharing the run (k6-operator), recorded in the summary
 */

export interface RunEnv {
  /** The chat-completions URL. */
  url: string;
  /** Headers sent with every request (auth, content type, extras). */
  headers: Record<string, string>;
  model: string | null;
  bodyExtra: Record<string, unknown>;
  summaryPath: string;
  parallelism: number;
}

export const DEFAULT_SUMMARY_PATH = 'floodgate-k6-summary.json';

/** Reads the run's settings from `env` (k6's __ENV). Throws on malformed JSON values. */
export function readEnv(env: Record<string, string | undefined>, defaultTarget: string): RunEnv {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const key = env['FLOODGATE_API_KEY'];
  if (key) headers['Authorization'] = `Bearer ${key}`;
  const extra = jsonObject(env['FLOODGATE_HEADERS'], 'FLOODGATE_HEADERS');
  for (const [k, v] of Object.entries(extra)) headers[k] = String(v);
  const parallelism = Number(env['FLOODGATE_PARALLELISM'] ?? '1');
  return {
    url: completionsUrl(env['FLOODGATE_TARGET'] || defaultTarget),
    headers,
    model: env['FLOODGATE_MODEL'] || null,
    bodyExtra: jsonObject(env['FLOODGATE_BODY'], 'FLOODGATE_BODY'),
    summaryPath: env['FLOODGATE_SUMMARY'] || DEFAULT_SUMMARY_PATH,
    parallelism: Number.isInteger(parallelism) && parallelism > 0 ? parallelism : 1,
  };
}

/** `http://gw:8080` -> `http://gw:8080/v1/chat/completions`; `.../v1` gets `/chat/completions`. */
export function completionsUrl(target: string): string {
  const base = target.replace(/\/+$/, '');
  if (/\/chat\/completions$/.test(base)) return base;
  if (/\/v\d+$/.test(base)) return `${base}/chat/completions`;
  return `${base}/v1/chat/completions`;
}

function jsonObject(text: string | undefined, name: string): Record<string, unknown> {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${name}: expected a JSON object, got '${text}'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${name}: expected a JSON object, got '${text}'`);
  return value as Record<string, unknown>;
}
