/**
 * Reading the text of a prompt, shared by the dialects' parsers: a content is a string or an
 * array of parts (objects, whose `text`, if any, is a string). Errors name where the bad value
 * sits and quote nothing of it.
 */
import { invalid, isObject, MAX_MODEL_CHARS, type WireError, wrongType } from '../openai.ts';

/** Characters of text in one content (absent or null: 0), or the error naming `at`. */
export function contentChars(content: unknown, at: string): number | WireError {
  if (content === undefined || content === null) return 0;
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return wrongType(at, 'a string or an array of content parts', content);
  let chars = 0;
  for (let j = 0; j < content.length; j++) {
    const part: unknown = content[j];
    if (!isObject(part)) return wrongType(`${at}[${j}]`, 'an object', part);
    const text = part['text'];
    if (text === undefined || text === null) continue;
    if (typeof text !== 'string') return wrongType(`${at}[${j}].text`, 'a string', text);
    chars += text.length;
  }
  return chars;
}

/**
 * Characters of text in a list of messages (objects with an optional string `role`, their text
 * in `field`), or the error naming the first bad one.
 */
export function itemsChars(items: readonly unknown[], at: string, field: string): number | WireError {
  let chars = 0;
  for (let i = 0; i < items.length; i++) {
    const m = items[i];
    const where = `${at}[${i}]`;
    if (!isObject(m)) return wrongType(where, 'an object', m);
    if (m['role'] !== undefined && typeof m['role'] !== 'string')
      return wrongType(`${where}.role`, 'a string', m['role']);
    const n = contentChars(m[field], `${where}.${field}`);
    if (typeof n !== 'number') return n;
    chars += n;
  }
  return chars;
}

/** The text of a content already read by `contentChars`. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p as { text?: unknown }).text ?? '').join('');
  return '';
}

/** The `model` field: a string of at most 256 characters; absent or null is undefined unless `required`. */
export function modelParam(v: unknown, required: boolean): string | undefined | WireError {
  if (v === undefined || v === null)
    return required
      ? invalid("Missing required parameter: 'model'.", 'model', 'missing_required_parameter')
      : undefined;
  if (typeof v !== 'string') return wrongType('model', 'a string', v);
  if (v.length > MAX_MODEL_CHARS)
    return invalid(
      `Invalid 'model': string too long. Expected a string with maximum length ${MAX_MODEL_CHARS}, but got a string with length ${v.length} instead.`,
      'model',
      'string_above_max_length',
    );
  return v;
}

/** An optional string parameter (absent or null: undefined). */
export function stringParam(v: unknown, param: string): string | undefined | WireError {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : wrongType(param, 'a string', v);
}
