/**
 * What the script reads from the environment (k6 -e NAME=value or the process environment):
 * where to send requests and with which credentials, so that nothing secret is in the script.
 *
 * FLOODGATE_TARGET   base URL (http://gateway:8080, http://gateway/v1) or the full
 *                    chat-completions URL; default: the compiler's --target. Classes of other
 *                    dialects append their own path (/v1/messages...) to the base
 * FLOODGATE_API_KEY  sent as `Authorization: Bearer <key>` (Anthropic: `x-api-key`, Gemini:
 *                    `x-goog-api-key`, as the class's dialect says)
 * FLOODGATE_HEADERS  a JSON object of extra headers, e.g. {"x-tenant":"load-test"} (errors
 *                    name the malformed entry by its position, never print a value)
 * FLOODGATE_MODEL    replaces every class's `model`
 * FLOODGATE_BODY     a JSON object merged into every request body, e.g. {"ignore_eos":true}
 * FLOODGATE_SUMMARY  where handleSummary writes the JSON summary (default
 *                    floodgate-k6-summary.json; `stdout` prints it as one line instead)
 * FLOODGATE_PARALLELISM  load generators sharing the run (k6-operator), recorded in the summary
 */

export interface RunEnv {
  /** The target as given: each class's URL is built from it in its dialect (dialect.ts). */
  target: string;
  /** FLOODGATE_API_KEY, sent in the header of each request's dialect; null when unset. */
  apiKey: string | null;
  /** FLOODGATE_HEADERS, sent with every request after Content-Type and the key. */
  extraHeaders: Record<string, string>;
  model: string | null;
  bodyExtra: Record<string, unknown>;
  summaryPath: string;
  parallelism: number;
}

export const DEFAULT_SUMMARY_PATH = 'floodgate-k6-summary.json';

/** Reads the run's settings from `env` (k6's __ENV). Throws on malformed JSON values, without quoting them. */
export function readEnv(env: Record<string, string | undefined>, defaultTarget: string): RunEnv {
  const parallelism = Number(env['FLOODGATE_PARALLELISM'] ?? '1');
  return {
    target: env['FLOODGATE_TARGET'] || defaultTarget,
    apiKey: env['FLOODGATE_API_KEY'] || null,
    extraHeaders: extraHeaders(env['FLOODGATE_HEADERS']),
    model: env['FLOODGATE_MODEL'] || null,
    bodyExtra: parseJson(
      env['FLOODGATE_BODY'],
      'FLOODGATE_BODY',
      'a JSON object merged into every request body, e.g. {"ignore_eos":true}',
      '(its text is not shown)',
    ),
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

/** The form FLOODGATE_HEADERS must take, for its errors. */
const HEADERS_FORM = 'a JSON object of header names to string values, e.g. {"x-tenant":"load-test"}';
/** HTTP header names: RFC 9110 tokens. */
const HEADER_NAME = /^[-!#$%&'*+.^_`|~0-9A-Za-z]+$/;
/** What a header value must not hold: a line break or another control character (a tab is fine). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
export const CONTROL_CHARACTER = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * FLOODGATE_HEADERS as headers. Its values hold secrets (tokens, keys), so an error says which
 * entry is malformed and what is expected, never what the value is.
 */
export function extraHeaders(text: string | undefined): Record<string, string> {
  const hidden = '(its text is not shown: it may hold secrets)';
  const value = parseJson(text, 'FLOODGATE_HEADERS', HEADERS_FORM, hidden);
  const entries = Object.entries(value);
  const headers: Record<string, string> = {};
  entries.forEach(([name, v], i) => {
    const scalar = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
    const problem = !HEADER_NAME.test(name)
      ? "its name is not a header name (letters, digits and !#$%&'*+-.^_`|~)"
      : !scalar
        ? `its value is ${kindOf(v)}, not a string`
        : CONTROL_CHARACTER.test(String(v))
          ? 'its value holds a line break or another control character'
          : null;
    if (problem !== null)
      throw new Error(
        `FLOODGATE_HEADERS: entry ${i + 1} of ${entries.length} is malformed: ${problem}; expected ${HEADERS_FORM} ${hidden}`,
      );
    headers[name] = String(v);
  });
  return headers;
}

/** `text` parsed as a JSON object ({} when unset); errors never quote it. */
function parseJson(
  text: string | undefined,
  name: string,
  form: string,
  hidden: string,
): Record<string, unknown> {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${name} is not valid JSON: expected ${form} ${hidden}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${name}: expected ${form}, got ${kindOf(value)} ${hidden}`);
  return value as Record<string, unknown>;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
