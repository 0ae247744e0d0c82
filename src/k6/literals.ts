/**
 * Text from a scenario, a flag or an override, made safe for the files `floodgate k6` writes: a
 * comment line of the script or the TestRun manifest, a YAML string, a word of a shell command
 * people copy, a line printed to a terminal. Such text reaches a generated file only through
 * these (JavaScript strings through report/html.ts's inlineJson), never spliced in raw: a script
 * runs with FLOODGATE_API_KEY in its environment, so text that ended a comment or a string there
 * would run as code.
 *
 * Example: commentText of 'a', a newline and 'b' is the 4 characters a\nb (text/quote.ts's escapes);
 * shellWord("it's") = `'it'\''s'`.
 */

/** Characters YAML wants escaped inside a double-quoted string that JSON.stringify leaves as is. */
const YAML_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]/g;

import { escapeLine } from '../text/quote.ts';

const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `text` for one comment line (`// ...` or `# ...`): nothing in it ends the comment or the line.
 * A slash after a star (the end of a block comment) or after `<` (`</script>`) gets a backslash.
 */
export function commentText(text: string): string {
  return escapeLine(text).replace(/\*\/|<\//g, (m) => `${m[0]}\\/`);
}

/** A YAML double-quoted string holding exactly `text` (JSON's escapes are YAML's). */
export function yamlString(text: string): string {
  return JSON.stringify(text).replace(YAML_UNSAFE, unicodeEscape);
}

/** `text` as one word of a POSIX shell command: as is when plain, else single-quoted. */
export function shellWord(text: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
