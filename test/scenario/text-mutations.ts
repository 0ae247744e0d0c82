/**
 * Mutations of a scenario's YAML text (not of its parsed object): what a hostile or careless file
 * holds before the parser sees it. Alias bombs, merge keys, duplicated keys, deep nesting, tabs,
 * control characters, BOMs, long lines, odd numbers and units, truncation, byte flips, prototype
 * keys, tags and extra documents. Shared by the in-process and the CLI fuzz tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';

export const SCENARIO_TEXTS = readdirSync('scenarios')
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ file: `scenarios/${f}`, text: readFileSync(`scenarios/${f}`, 'utf8') }));

/** One edit of a text; `at` and `pick` are raw naturals taken modulo whatever they choose from. */
export type TextMutation = (text: string, at: number, pick: number) => string;

/** Lines that hold `key: value` (a scalar value), the usual place to put something strange. */
const VALUE_LINE = /^(\s*(?:- )?)([A-Za-z_][\w.-]*):[ \t]+(\S.*)$/;
/** Lines that open a mapping or a list under a key (`providers:`). */
const SECTION_LINE = /^(\s*(?:- )?)([A-Za-z_][\w.-]*):\s*$/;

function lines(text: string): string[] {
  return text.split('\n');
}

/** Indices of lines matching `re`, or every line when none does. */
function matching(all: string[], re: RegExp): number[] {
  const found = all.flatMap((l, i) => (re.test(l) ? [i] : []));
  return found.length > 0 ? found : all.map((_, i) => i);
}

/** Replaces the value of the `at`-th `key: value` line with `value`. */
function setValue(text: string, at: number, value: string): string {
  const all = lines(text);
  const idx = matching(all, VALUE_LINE);
  const i = idx[at % idx.length]!;
  const m = VALUE_LINE.exec(all[i]!);
  all[i] = m ? `${m[1]}${m[2]}: ${value}` : `${all[i]} ${value}`;
  return all.join('\n');
}

/** The indentation a new key at the `at`-th value line must have to sit in the same mapping. */
function keyIndent(line: string): string {
  const m = /^(\s*)(- )?/.exec(line)!;
  return m[1]! + (m[2] ? '  ' : '');
}

/** Inserts `text` as a new line at the `at`-th `key: value` line's mapping (same indentation). */
function insertKey(text: string, at: number, entry: (indent: string) => string): string {
  const all = lines(text);
  const idx = matching(all, VALUE_LINE);
  const i = idx[at % idx.length]!;
  all.splice(i + 1, 0, entry(keyIndent(all[i]!)));
  return all.join('\n');
}

/** Anchored lists, each holding `width` aliases to the one before: `width ** depth` nodes. */
function bomb(depth: number, width: number): string {
  const out = ['a0: &a0 [lol, lol]'];
  for (let d = 1; d <= depth; d++)
    out.push(
      `a${d}: &a${d} [${Array(width)
        .fill(`*a${d - 1}`)
        .join(', ')}]`,
    );
  return out.join('\n');
}

export const STRANGE_SCALARS = [
  '.nan',
  '.NaN',
  '.inf',
  '-.inf',
  'NaN',
  'nan',
  'Infinity',
  '-Infinity',
  '1e999',
  '-1e999',
  '1e-400',
  '9007199254740993',
  '123456789012345678901234567890',
  '0x7fffffff',
  '0o17',
  '1_000',
  '-0',
  '~',
  'null',
  'yes',
  'true',
  '""',
  "''",
  '[]',
  '{}',
  '2001-12-14t21:59:43.10-05:00',
  '1e999s',
  '1e20s',
  'NaNs',
  'NaN/s',
  'Infinity%',
  '5 ms',
  '5mss',
  '5µs',
  '5ｍs',
  '５s',
  '5e3e3s',
  '5s5s',
  '-5/s',
  '1e400/min',
  '.5x',
  '5%%',
  '5k/k',
  '0x10s',
  '5\u00a0s',
  '"5s\\u0000"',
  '"\\x1b[31mred\\x1b[0m"',
  '"\\u202eevil"',
  '"line\\nbreak"',
  '!!js/function "function () { process.exit(9) }"',
  '!!js/undefined ""',
  '!!js/regexp /x/',
  '!!binary aGVsbG8gd29ybGQ=',
  '!!python/object/apply:os.system ["id"]',
  '!tag value',
  '!<tag:yaml.org,2002:str> 5s',
  '!!int 1e3',
  '!!float abc',
  '!!set { a, b }',
  '!!omap [ a: 1, b: 2 ]',
  '!!pairs [ a: 1, a: 2 ]',
  '!!timestamp 2001-12-14',
  '!!map []',
  '!!seq {}',
  '!!str',
  '&anchor',
  '*undefined_alias',
  '|',
  '>-',
  '"unterminated',
  "'unterminated",
  '[1, 2',
  '{a: 1',
  '@reserved',
  '`backtick',
  '%TAG',
  '? complex',
];

const CONTROL_TEXT = [
  '\u0000',
  '\u0007',
  '\u0008',
  '\u001b[2J\u001b[31m',
  '\u001b]0;title\u0007',
  '\r',
  '\r\n',
  '\t',
  '\u000b',
  '\u000c',
  '\u007f',
  '\u0085',
  '\u009b31m',
  '\u2028',
  '\u2029',
  '\u202e',
  '\u2066',
  '\ufeff',
  '\ufffe',
  '\ud800',
  '\udfff',
  '\u{1f600}',
];

const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '__defineGetter__',
];

/** Every kind of text mutation, each picking its place and variant from `at` and `pick`. */
export const TEXT_MUTATIONS: Record<string, TextMutation> = {
  aliasBomb(text, at, pick) {
    // Billion laughs at several depths and widths; the alias goes where a value was.
    const depth = 1 + (pick % 9);
    const width = 2 + (Math.floor(pick / 9) % 9);
    return `${bomb(depth, width)}\n${setValue(text, at, `*a${depth}`)}`;
  },
  nestedAliasInPlace(text, at, pick) {
    // Anchors defined inside the scenario's own values, aliased again below.
    const withAnchor = setValue(text, at, `&v [${'x, '.repeat(1 + (pick % 50))}x]`);
    return insertKey(withAnchor, at + 1 + (pick % 7), (i) => `${i}zz: [*v, *v, *v, *v, *v, *v, *v, *v]`);
  },
  selfAlias(text, at) {
    return setValue(text, at, '&self [*self]');
  },
  mergeKey(text, at, pick) {
    const merges = [
      '{ a: 1 }',
      '[{ a: 1 }, { b: 2 }]',
      '*nowhere',
      '5',
      '"str"',
      '[1, 2]',
      '~',
      '{ <<: { x: 1 } }',
    ];
    return insertKey(text, at, (i) => `${i}<<: ${merges[pick % merges.length]}`);
  },
  mergeAnchoredSection(text, at) {
    // `<<: *s` where s is an existing section: a valid merge that may copy whole sections around.
    const all = lines(text);
    const idx = matching(all, SECTION_LINE);
    const i = idx[at % idx.length]!;
    all[i] = `${all[i]!.replace(/\s*$/, '')} &s`;
    const after = all.length > i + 1 ? i + 1 + (at % (all.length - i - 1)) : i;
    const m = /^(\s*)/.exec(all[after] ?? '')!;
    all.splice(after + 1, 0, `${m[1]}<<: *s`);
    return all.join('\n');
  },
  duplicateLine(text, at, pick) {
    const all = lines(text);
    const idx = matching(all, VALUE_LINE);
    const i = idx[at % idx.length]!;
    const copies = 1 + (pick % 3) * 500;
    all.splice(i + 1, 0, ...Array(copies).fill(all[i]!));
    return all.join('\n');
  },
  manyKeys(text, at, pick) {
    const n = [100, 5_000, 30_000][pick % 3]!;
    return insertKey(text, at, (i) => Array.from({ length: n }, (_, k) => `${i}k${k}: ${k}`).join('\n'));
  },
  deepNesting(text, at, pick) {
    const depth = [50, 500, 5_000, 50_000][pick % 4]!;
    const value =
      pick % 2 === 0
        ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
        : `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
    return setValue(text, at, value);
  },
  deepBlockNesting(text, at, pick) {
    const depth = [20, 200, 2_000][pick % 3]!;
    return insertKey(text, at, (i) =>
      Array.from({ length: depth }, (_, d) => `${i}${' '.repeat(d)}k${d}:`).join('\n'),
    );
  },
  tabs(text, at, pick) {
    const all = lines(text);
    const i = at % all.length;
    all[i] =
      pick % 2 === 0 ? all[i]!.replace(/^ +/, (s) => '\t'.repeat(Math.ceil(s.length / 2))) : `\t${all[i]}`;
    return all.join('\n');
  },
  controlCharacter(text, at, pick) {
    const c = CONTROL_TEXT[pick % CONTROL_TEXT.length]!;
    const i = at % (text.length + 1);
    return text.slice(0, i) + c + text.slice(i);
  },
  controlInValue(text, at, pick) {
    const c = CONTROL_TEXT[pick % CONTROL_TEXT.length]!;
    return setValue(text, at, `a${c}b`);
  },
  controlInKey(text, at, pick) {
    const c = CONTROL_TEXT[pick % CONTROL_TEXT.length]!;
    return insertKey(text, at, (i) => `${i}"k\\x1b[31m${c.length === 1 && c >= ' ' ? c : ''}": 1`);
  },
  escapeInName(text, _at, pick) {
    const names = ['"\\x1b[2Jpwned"', '"\\x07bell"', '"a\\u202eb"', '"\\r\\nfake: line"', '"\\0"'];
    return text.replace(/^name: .*$/m, `name: ${names[pick % names.length]}`);
  },
  bom(text, at, pick) {
    if (pick % 3 === 0) return `\ufeff${text}`;
    if (pick % 3 === 1) return `\ufeff\ufeff${text}`;
    const i = at % (text.length + 1);
    return `${text.slice(0, i)}\ufeff${text.slice(i)}`;
  },
  longString(text, at, pick) {
    const n = [1_000, 100_000, 900_000][pick % 3]!;
    return setValue(text, at, 'x'.repeat(n));
  },
  longQuotedEscapes(text, at, pick) {
    const n = [1_000, 50_000][pick % 2]!;
    return setValue(text, at, `"${'\\x1b'.repeat(n)}"`);
  },
  longKey(text, at, pick) {
    const n = [1_000, 100_000][pick % 2]!;
    return insertKey(text, at, (i) => `${i}${'k'.repeat(n)}: 1`);
  },
  longLine(text, at, pick) {
    const n = [10_000, 500_000][pick % 2]!;
    const all = lines(text);
    const i = at % all.length;
    all[i] = `${all[i]} # ${'#'.repeat(n)}`;
    return all.join('\n');
  },
  tooBig(text) {
    return text + `# ${'x'.repeat(1024 * 1024)}\n`;
  },
  strangeScalar(text, at, pick) {
    return setValue(text, at, STRANGE_SCALARS[pick % STRANGE_SCALARS.length]!);
  },
  scaleNumber(text, at, pick) {
    // The number in a value line, times a power of ten (units kept: `2.5e300s`).
    const all = lines(text);
    const idx = matching(all, /:\s*-?\d/);
    const i = idx[at % idx.length]!;
    const e = (pick % 700) - 350;
    all[i] = all[i]!.replace(/(:\s*-?)(\d+(?:\.\d+)?)/, `$1$2e${e}`);
    return all.join('\n');
  },
  oddSuffix(text, at, pick) {
    const suffixes = [
      'zz',
      's s',
      'ss',
      'MS',
      'Ms',
      'µs',
      'ns',
      'y',
      'w',
      '/',
      '//s',
      '/0',
      '/ms',
      '%/s',
      'x%',
      'e',
      'e+',
      'k/s/s',
      '\u0000s',
      '\u200bs',
    ];
    const all = lines(text);
    const idx = matching(all, /:\s*-?\d/);
    const i = idx[at % idx.length]!;
    all[i] = all[i]!.replace(/(:\s*-?\d+(?:\.\d+)?)[A-Za-z%/]*/, `$1${suffixes[pick % suffixes.length]}`);
    return all.join('\n');
  },
  truncate(text, at) {
    return text.slice(0, at % (text.length + 1));
  },
  byteFlip(text, at, pick) {
    const i = at % Math.max(1, text.length);
    return text.slice(0, i) + String.fromCharCode(pick % 0x10000) + text.slice(i + 1);
  },
  deleteLine(text, at) {
    const all = lines(text);
    all.splice(at % all.length, 1);
    return all.join('\n');
  },
  protoKey(text, at, pick) {
    const key = PROTO_KEYS[pick % PROTO_KEYS.length]!;
    const values = ['{ polluted: 1 }', '1', '[1]', '{ prototype: { polluted: 1 } }'];
    return insertKey(
      text,
      at + pick,
      (i) => `${i}${key}: ${values[Math.floor(pick / PROTO_KEYS.length) % values.length]}`,
    );
  },
  protoRename(text, at, pick) {
    const all = lines(text);
    const idx = matching(all, VALUE_LINE);
    const i = idx[at % idx.length]!;
    all[i] = all[i]!.replace(VALUE_LINE, `$1${PROTO_KEYS[pick % PROTO_KEYS.length]}: $3`);
    return all.join('\n');
  },
  tagSection(text, at, pick) {
    const tags = [
      '!!js/function',
      '!!binary',
      '!custom',
      '!!set',
      '!!omap',
      '!!pairs',
      '!!str',
      '!!int',
      '!<!>',
    ];
    const all = lines(text);
    const idx = matching(all, SECTION_LINE);
    const i = idx[at % idx.length]!;
    all[i] = `${all[i]!.replace(/\s*$/, '')} ${tags[pick % tags.length]}`;
    return all.join('\n');
  },
  directives(text, _at, pick) {
    const heads = [
      '%YAML 1.1\n---\n',
      '%YAML 9.9\n---\n',
      '%TAG ! tag:evil.com,2000:\n---\n',
      '--- !!map\n',
      '%FOO bar\n---\n',
    ];
    return heads[pick % heads.length]! + text;
  },
  multipleDocuments(text, _at, pick) {
    const variants = [
      `${text}\n---\nname: second\n`,
      `---\n${text}\n---\n${text}`,
      `---\n---\n${text}`,
      `${text}\n...\n`,
      `${text}\n...\ngarbage: [\n`,
      `--- |\n  literal\n${text}`,
    ];
    return variants[pick % variants.length]!;
  },
  wrongType(text, at, pick) {
    const all = lines(text);
    const idx = matching(all, SECTION_LINE);
    const i = idx[at % idx.length]!;
    const values = ['5', '"text"', '[]', '{}', '~', '[[1]]', 'true'];
    const m = SECTION_LINE.exec(all[i]!);
    if (!m) return text;
    // The section's key gets a scalar; its old children become a mapping error or a sibling.
    all[i] = `${m[1]}${m[2]}: ${values[pick % values.length]}`;
    return all.join('\n');
  },
  oddKey(text, at, pick) {
    const keys = [
      '? [a, b]\n: 1',
      '? { a: 1 }\n: 1',
      '~',
      'null',
      '""',
      '1',
      '1e999',
      '.nan',
      '!!binary aGk=',
      '*undefined',
      '&k key',
      '? |\n  multi\n  line\n: 1',
    ];
    return insertKey(text, at, (i) => {
      const k = keys[pick % keys.length]!;
      return k.includes('\n')
        ? k
            .split('\n')
            .map((l) => `${i}${l}`)
            .join('\n')
        : `${i}${k}: 1`;
    });
  },
  yaml11Merge(text, at, pick) {
    // In YAML 1.1 `<<` merges: of a section into another, of a section into itself, of a bomb.
    const all = lines(text);
    const idx = matching(all, SECTION_LINE);
    const i = idx[at % idx.length]!;
    all[i] = `${all[i]!.replace(/\s*$/, '')} &s`;
    const merged = ['*s', '[*s, *s]', '*a3', '{ <<: *s }'][pick % 4]!;
    const target = idx[(at + 1 + pick) % idx.length]!;
    const m = /^(\s*)(- )?/.exec(all[target + 1] ?? '')!;
    all.splice(target + 1, 0, `${m[1]}${m[2] ? '  ' : ''}<<: ${merged}`);
    return `%YAML 1.1\n---\n${merged === '*a3' ? `${bomb(3, 9)}\n` : ''}${all.join('\n')}`;
  },
  flowSwap(text, at) {
    // Block and flow styles mixed: `{` left open or closed twice.
    const i = at % (text.length + 1);
    return `${text.slice(0, i)}${at % 2 === 0 ? '{' : ']}'}${text.slice(i)}`;
  },
};

export const MUTATION_NAMES = Object.keys(TEXT_MUTATIONS);

export interface TextCase {
  file: string;
  text: string;
  /** What was done, for the failure message: `aliasBomb@12/3`. */
  applied: string[];
}

/** Mutations that often leave a scenario valid (a changed value, a comment, a BOM): runs get exercised. */
export const MILD_MUTATIONS = [
  'scaleNumber',
  'oddSuffix',
  'strangeScalar',
  'escapeInName',
  'longString',
  'tabs',
  'bom',
  'byteFlip',
  'deleteLine',
  'tagSection',
  'multipleDocuments',
];

/** A bundled scenario's text with one to `maxEdits` mutations (of `names`) applied in turn. */
export function mutatedScenarioText(maxEdits: number, names = MUTATION_NAMES): fc.Arbitrary<TextCase> {
  return fc
    .tuple(
      fc.nat(SCENARIO_TEXTS.length - 1),
      fc.array(fc.tuple(fc.constantFrom(...names), fc.nat(), fc.nat()), {
        minLength: 1,
        maxLength: maxEdits,
      }),
    )
    .map(([which, edits]) => {
      const { file, text } = SCENARIO_TEXTS[which]!;
      let out = text;
      for (const [name, at, pick] of edits) out = TEXT_MUTATIONS[name]!(out, at, pick);
      return { file, text: out, applied: edits.map(([n, a, p]) => `${n}@${a}/${p}`) };
    });
}
