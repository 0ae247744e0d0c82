/**
 * The one place that makes input-derived text safe to print: in an error message, a terminal
 * line, an HTTP error body, a comment of a generated file. Control characters (terminal escape
 * codes, line breaks), Unicode line separators, bidirectional overrides and the byte-order mark
 * are shown as escapes (`\n`, `\x1b`, `\u202e`), and long text is cut, so nothing a scenario, a
 * flag or a request carries can redraw a terminal, start a new line or echo a whole file.
 *
 * Every layer may import this module: it imports nothing.
 *
 * Example: shorten('a\x1b[2Jb') = `a\x1b[2Jb` (escaped); quoted('x'.repeat(50)) =
 * `'xxx...x... (50 characters)'` with 40 x's.
 */

/**
 * Characters escaped everywhere: C0 and C1 controls, DEL, the Unicode line and paragraph
 * separators, bidi overrides, and the invisible ones (zero-width spaces and joiners, bidi marks,
 * a BOM) that make 'l\ufeffognormal' print as 'lognormal'.
 */
const UNPRINTABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;
/** The same without newline and tab: for multi-line text such as a report or a summary. */
const UNPRINTABLE_BUT_LINES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;

function escapeChar(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  const code = ch.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` on one line, every unprintable character escaped, nothing cut. */
export function escapeLine(text: string): string {
  return text.replace(UNPRINTABLE, escapeChar);
}

/** Multi-line `text` for a terminal: unprintable characters escaped except newlines and tabs. */
export function escapeLines(text: string): string {
  return text.replace(UNPRINTABLE_BUT_LINES, escapeChar);
}

/**
 * `text` escaped onto one line and cut after `maxChars` characters with `... (N characters)`, N
 * the full length: what a message may show of a name, a path or a value.
 */
export function shorten(text: string, maxChars = 80): string {
  if (text.length <= maxChars) return escapeLine(text);
  return `${escapeLine(text.slice(0, maxChars))}... (${text.length} characters)`;
}

/** A short quoted excerpt of input for an error message: `'abc'`, escaped and cut at `maxChars`. */
export function quoted(text: string, maxChars = 40): string {
  return `'${shorten(text, maxChars)}'`;
}
