/**
 * Generated k6 scripts and TestRun manifests are safe whatever text a scenario, a flag or an
 * override carries: a script runs with FLOODGATE_API_KEY in its environment, so no name, path,
 * target or override may become code. Hostile text (line terminators, quotes, backticks, `${`,
 * `*` `/`, `</script>`, bidi overrides, escape codes, calls to PWN_*) goes into every string a
 * script is built from; the script is parsed with TypeScript's parser and its syntax tree must be
 * the benign script's, string contents aside (so no statement, call or identifier was injected),
 * with every PWN_ marker inside a string literal or a one-line comment. The hostile script still
 * runs under the fake k6, and prints names escaped (so does `floodgate observe`). FLOODGATE_HEADERS
 * errors say which entry is wrong, never its value.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CONTROL_CHARACTER } from '../../k6/runtime/env.ts';
import { k6Command, parseTarget } from '../../src/cli/commands/k6.ts';
import { main } from '../../src/cli/main.ts';
import { bundleK6Script } from '../../src/k6/bundle.ts';
import { compileK6 } from '../../src/k6/compile.ts';
import { commentText, shellWord, yamlString } from '../../src/k6/literals.ts';
import { asK6Summary, formatComparison, parseTolerance } from '../../src/k6/observe.ts';
import { configMapKey, testRunManifest } from '../../src/k6/operator.ts';
import { type LoadedScenario, loadScenarioFile } from '../../src/scenario/load.ts';
import { escapeLine } from '../../src/text/quote.ts';
import { FakeK6, fakeAfterWarmup, iterate, loadScript, streamBody } from './harness.ts';

const ROOT = join(import.meta.dirname, '../..');
const QUICKSTART = join(ROOT, 'scenarios/quickstart.yaml');

/** Everything that has ended a comment, a string, a template or a script element somewhere. */
const EVIL =
  '\n PWN_NL(); \r PWN_CR(); \u2028 PWN_LS(); \u2029 PWN_PS(); \u0085 */ PWN_STAR(); /* ' +
  `" PWN_DQ(); ' PWN_SQ(); \` PWN_BT(); \${PWN_TPL()} </script> <!-- PWN_HTML() --> ` +
  '\u202e PWN_BIDI() \u001b[2J \\ PWN_BS() \u0000';
const hostile = (what: string) => `${what}${EVIL}`;
/** Raw in a generated file, these end a line or fool a reader: line terminators, escapes, bidi. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const RAW_BREAK = /[\r\u2028\u2029\u0085\u001b\u202e]/;
/** What a comment line must not hold: those, or the end of a block comment or a script element. */
const UNSAFE_IN_COMMENT = new RegExp(`${RAW_BREAK.source}|\\*/|</`);
/** Hostile text usable as a file name: no NUL, no slash. */
const fileName = (text: string) => text.replaceAll('\u0000', '').replaceAll('/', '');

/** Quickstart with `text(what)` as its name, file, class, provider, model and tenant names. */
async function scenarioWith(text: (what: string) => string): Promise<LoadedScenario> {
  const loaded = await loadScenarioFile(QUICKSTART);
  const s = loaded.scenario;
  // Past the schema (which refuses such class and provider names), as a library caller could.
  const names = new Map(s.workload.classes.map((c) => [c.name, text(`class-${c.name}`)]));
  s.name = text('scenario');
  for (const c of s.workload.classes) {
    c.name = names.get(c.name)!;
    c.tenant = text('tenant');
  }
  for (const slo of s.slos) if (slo.class !== undefined) slo.class = names.get(slo.class)!;
  for (const p of s.providers) {
    p.name = text(`provider-${p.name}`);
    p.models = [text('model')];
  }
  return { ...loaded, file: text('file.yaml') };
}

async function scriptFor(text: (what: string) => string): Promise<string> {
  const compiled = compileK6(await scenarioWith(text), { target: text('http://target'), timeScale: 0.1 });
  return bundleK6Script(compiled.config, {
    header: [`Generated from ${text('header')}`, `Run: k6 run ${text('out.js')}`],
    traces: compiled.traces,
  });
}

/** The script's syntax tree; fails on any syntax error. */
function parseScript(text: string): ts.SourceFile {
  const file = ts.createSourceFile('script.js', text, ts.ScriptTarget.ES2020, true, ts.ScriptKind.JS);
  const diagnostics = (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  return file;
}

const isStringLike = (n: ts.Node) =>
  ts.isStringLiteral(n) ||
  ts.isNoSubstitutionTemplateLiteral(n) ||
  n.kind === ts.SyntaxKind.TemplateHead ||
  n.kind === ts.SyntaxKind.TemplateMiddle ||
  n.kind === ts.SyntaxKind.TemplateTail;

/** Each node in order: its kind, an identifier's name, a number's text; strings and keys are 'text'. */
function shape(file: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (isStringLike(n) || (ts.isPropertyAssignment(n.parent) && n.parent.name === n)) out.push('text');
    else if (ts.isIdentifier(n)) out.push(`id:${n.text}`);
    else if (ts.isNumericLiteral(n)) out.push(`num:${n.text}`);
    else out.push(ts.SyntaxKind[n.kind]);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(file, visit);
  return out;
}

/** Top-level statements: kind and what they declare, import or export. */
function topLevel(file: ts.SourceFile): string[] {
  return file.statements.map((s) => {
    if (ts.isImportDeclaration(s)) return `import ${(s.moduleSpecifier as ts.StringLiteral).text}`;
    if (ts.isVariableStatement(s))
      return `var ${s.declarationList.declarations.map((d) => d.name.getText(file)).join(',')}`;
    if (ts.isFunctionDeclaration(s)) return `function ${s.name?.text}`;
    return ts.SyntaxKind[s.kind];
  });
}

/** What is called or constructed: the callee's text, sorted. */
function callees(file: ts.SourceFile): string[] {
  const found = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) || ts.isNewExpression(n)) found.add(n.expression.getText(file));
    ts.forEachChild(n, visit);
  };
  visit(file);
  return [...found].sort();
}

/** Ranges of string literals (template parts included) and of comments, with the comment's kind. */
function literalRanges(file: ts.SourceFile): { strings: [number, number][]; comments: ts.CommentRange[] } {
  const text = file.text;
  const strings: [number, number][] = [];
  const comments = new Map<number, ts.CommentRange>();
  const addComments = (list: ts.CommentRange[] | undefined) => {
    for (const c of list ?? []) comments.set(c.pos, c);
  };
  const visit = (n: ts.Node): void => {
    if (isStringLike(n)) strings.push([n.getStart(file), n.end]);
    addComments(ts.getLeadingCommentRanges(text, n.pos));
    addComments(ts.getTrailingCommentRanges(text, n.end));
    ts.forEachChild(n, visit);
  };
  visit(file);
  addComments(ts.getLeadingCommentRanges(text, 0));
  addComments(ts.getLeadingCommentRanges(text, file.endOfFileToken.pos));
  return { strings, comments: [...comments.values()] };
}

/** Where each PWN_ marker is: 'string', 'line comment', or 'CODE' (injected). */
function markerPlaces(file: ts.SourceFile): string[] {
  const { strings, comments } = literalRanges(file);
  return [...file.text.matchAll(/PWN_[A-Z]+/g)].map((m) => {
    const at = m.index;
    if (strings.some(([from, to]) => from < at && at < to)) return 'string';
    const comment = comments.find((c) => c.pos < at && at < c.end);
    if (comment?.kind === ts.SyntaxKind.SingleLineCommentTrivia) return 'line comment';
    return comment ? 'block comment' : 'CODE';
  });
}

describe('a script compiled from hostile text', () => {
  let benign: string;
  let evil: string;
  beforeAll(async () => {
    benign = await scriptFor((what) => `${what}-ok`);
    evil = await scriptFor(hostile);
  });

  it('has the benign script syntax tree: the same statements, calls and identifiers', () => {
    const [b, e] = [parseScript(benign), parseScript(evil)];
    expect(topLevel(e)).toEqual(topLevel(b));
    expect(callees(e)).toEqual(callees(b));
    expect(callees(e).filter((c) => c.includes('PWN'))).toEqual([]);
    expect(shape(e)).toEqual(shape(b));
  });

  it('holds every hostile marker inside a string literal or a one-line comment', () => {
    const places = markerPlaces(parseScript(evil));
    expect(places.length).toBeGreaterThan(100);
    expect(new Set(places)).toEqual(new Set(['string', 'line comment']));
    // The header comment: one line per entry, nothing in it ends the line or the comment.
    const header = evil.split('\n').slice(0, 2);
    expect(header).toEqual([
      `// Generated from ${commentText(hostile('header'))}`,
      `// Run: k6 run ${commentText(hostile('out.js'))}`,
    ]);
    expect(header.join('')).not.toMatch(UNSAFE_IN_COMMENT);
    expect(evil).not.toMatch(/[\u2028\u2029]|<\/script/i);
  });

  it('still runs, and carries the hostile text exactly as data', async () => {
    const fake = fakeAfterWarmup();
    fake.respond = () => ({ status: 200, body: streamBody(5) });
    const script = await loadScript(evil, fake);
    const scenarios = Object.entries(script.options.scenarios) as [
      string,
      { tags: Record<string, string> },
    ][];
    expect(scenarios.map(([name, s]) => [/^[A-Za-z0-9_-]+$/.test(name), s.tags['floodgate_class']])).toEqual([
      [true, hostile('class-tab')],
      [true, hostile('class-chat')],
    ]);
    iterate(script, fake, scenarios[0]![0], 0, 3);
    expect(fake.count('floodgate_ok')).toBe(3);
    // Metric names from the hostile class names are valid k6 names (the fake k6 checks them).
    expect([...fake.metrics.keys()].every((n) => /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/.test(n))).toBe(true);
    const post = fake.posts[0]!;
    expect(JSON.parse(post.body).model).toBe(hostile('model'));
    expect(post.url).toBe(`${hostile('http://target')}/v1/chat/completions`);
    // Header values: control characters (and then %) percent-encoded, the rest as is.
    const tenant = post.params.headers['X-Floodgate-Tenant']!;
    expect(tenant).not.toMatch(CONTROL_CHARACTER);
    expect(decodeURIComponent(tenant)).toBe(hostile('tenant'));
    const summary = script.handleSummary(fake.summaryData(script.options.thresholds));
    expect(JSON.parse(summary['floodgate-k6-summary.json']!).scenario.name).toBe(hostile('scenario'));
    // The text summary k6 prints: names escaped, so no escape code or line break reaches the terminal.
    expect(summary['stdout']!.split('\n')[0]).toBe(
      `floodgate k6  ${escapeLine(hostile('scenario'))}  seed 42, mode stock (ttft = time to first byte), time x0.1, rate x1`,
    );
    expect(summary['stdout']).toContain(`\n${escapeLine(hostile('class-tab'))} `);
    expect(summary['stdout']).not.toMatch(RAW_BREAK);
  });
});

describe('class names k6 cannot take as they are', () => {
  it.each([
    [
      ['a-b', 'a.b'],
      ['a-b', 'a_b'],
      ['floodgate_a_b', 'floodgate_a_b_2'],
    ],
    [
      ['x'.repeat(300), `${'x'.repeat(300)}.2`],
      ['x'.repeat(300), `${'x'.repeat(300)}_2`],
      [`floodgate_${'x'.repeat(90)}`, `floodgate_${'x'.repeat(90)}_2`],
    ],
  ])('maps %j to distinct valid k6 scenario and metric names', async (names, scenarios, prefixes) => {
    const loaded = await scenarioWith((what) => what);
    loaded.scenario.workload.classes.forEach((c, i) => {
      for (const slo of loaded.scenario.slos) if (slo.class === c.name) slo.class = names[i]!;
      c.name = names[i]!;
    });
    const { config } = compileK6(loaded, { timeScale: 0.1 });
    expect(config.classes.map((c) => [c.scenario, c.metricPrefix])).toEqual([
      [scenarios[0], prefixes[0]],
      [scenarios[1], prefixes[1]],
    ]);
    const fake = fakeAfterWarmup();
    fake.respond = () => ({ status: 200, body: streamBody(5) });
    const script = await loadScript(await bundleK6Script(config), fake);
    for (const name of scenarios) iterate(script, fake, name, 0, 1);
    // The fake k6 refuses a metric name k6 would (letters, digits, _; at most 128 characters).
    expect(prefixes.map((p) => fake.count(`${p}_ok`))).toEqual([1, 1]);
    expect(`${prefixes[1]}_sessions_completed`.length).toBeLessThanOrEqual(128);
    expect(Object.keys(script.options.thresholds)).toContain(`${prefixes[0]}_ttft`);
  });
});

describe('floodgate k6 with a hostile file name, --out and --set', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floodgate-k6-injection-'));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  /** Runs `floodgate k6` in-process on a copy of quickstart named `name`; the script and manifest. */
  async function generate(name: string, sets: string[]): Promise<{ script: string; manifest: string }> {
    const sub = join(dir, String(Math.random()).slice(2));
    await mkdir(sub);
    const file = join(sub, `${name}.yaml`);
    await writeFile(file, await readFile(QUICKSTART, 'utf8'));
    const out = join(sub, `${name}.js`);
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    const args = [file, '--out', out, '--operator', '2', ...sets.flatMap((s) => ['--set', s])];
    await k6Command().exitOverride().parseAsync(args, { from: 'user' });
    vi.restoreAllMocks();
    expect(process.exitCode).toBe(0);
    // The report on the terminal: paths and names escaped.
    expect(stdout).not.toMatch(RAW_BREAK);
    expect(stdout).toContain(`k6 script written to ${escapeLine(out)} (`);
    return {
      script: await readFile(out, 'utf8'),
      manifest: await readFile(join(sub, `${name}.testrun.yaml`), 'utf8'),
    };
  }

  it('writes a script and a TestRun whose structure is the benign ones', async () => {
    const benign = await generate('plain', ['name=plain', 'description=plain']);
    const evil = await generate(fileName(hostile('evil')), [
      `name=${JSON.stringify(hostile('name'))}`,
      `description=${hostile('description').replaceAll('\u0000', '')}`,
    ]);
    const [b, e] = [parseScript(benign.script), parseScript(evil.script)];
    expect(topLevel(e)).toEqual(topLevel(b));
    expect(callees(e)).toEqual(callees(b));
    expect(shape(e)).toEqual(shape(b));
    expect(new Set(markerPlaces(e))).toEqual(new Set(['string', 'line comment']));
    expect(evil.script.split('\n', 7).map((l) => l.startsWith('// '))).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    // The manifest: the same lines and keys; only the file key changes (to a valid ConfigMap key).
    expect(evil.manifest.split('\n').length).toBe(benign.manifest.split('\n').length);
    const [bm, em] = [parseYaml(benign.manifest), parseYaml(evil.manifest)];
    expect(em.spec.script.configMap.file).toMatch(/^[-._a-zA-Z0-9]+$/);
    em.spec.script.configMap.file = bm.spec.script.configMap.file;
    expect(em.metadata.name).toMatch(/^floodgate-evil-pwn-nl-pwn-cr-[-a-z0-9]*[a-z0-9]$/);
    expect(JSON.stringify(em).replaceAll(em.metadata.name, 'NAME')).toBe(
      JSON.stringify(bm).replaceAll(bm.metadata.name, 'NAME'),
    );
  });

  it('refuses a --target that is not a whole http(s) URL (exit 2)', async () => {
    expect(() => parseTarget('http://gw:8000\n PWN();')).toThrow(
      'expected an http:// or https:// URL such as http://localhost:8000, without spaces or control characters',
    );
    expect(() => parseTarget('javascript:PWN()')).toThrow(
      'expected an http:// or https:// URL such as http://localhost:8000, got a javascript: URL',
    );
    expect(() => parseTarget('not a url')).toThrow(
      'expected an http:// or https:// URL such as http://localhost:8000, without spaces or control characters',
    );
    expect(() => parseTarget('gw:8000')).toThrow(
      'expected an http:// or https:// URL such as http://localhost:8000, got a gw: URL',
    );
    expect(() => parseTarget('//gw')).toThrow(
      'expected an http:// or https:// URL such as http://localhost:8000',
    );
    expect(parseTarget('https://gw.internal:8443/v1')).toBe('https://gw.internal:8443/v1');
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    const code = await main([
      'k6',
      QUICKSTART,
      '--target',
      'http://gw\u2028PWN()',
      '--out',
      join(dir, 'x.js'),
    ]);
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(stderr).toContain(
      'is invalid. expected an http:// or https:// URL such as http://localhost:8000, without spaces or control characters',
    );
  });
});

describe('the TestRun manifest from hostile names', () => {
  const options = { parallelism: 3, mode: 'stock' as const };
  const benign = testRunManifest({
    ...options,
    name: 'floodgate-qs',
    scriptFile: 'qs.js',
    target: 'http://gw:8000',
  });

  it('keeps its lines and keys; the target and file arrive exactly as values', () => {
    const target = hostile('http://gw');
    const scriptFile = fileName(hostile('qs'));
    const evil = testRunManifest({ ...options, name: hostile('floodgate-qs'), scriptFile, target });
    expect(evil.split('\n').length).toBe(benign.split('\n').length);
    expect(evil.split('\n').filter((l) => l.startsWith('#')).length).toBe(
      benign.split('\n').filter((l) => l.startsWith('#')).length,
    );
    expect(evil).not.toMatch(RAW_BREAK);
    const parsed = parseYaml(evil);
    expect(parsed.spec.runner.env[0]).toEqual({ name: 'FLOODGATE_TARGET', value: target });
    expect(parsed.spec.script.configMap.file).toBe(configMapKey(scriptFile));
    expect(configMapKey(scriptFile)).toMatch(/^[-._a-zA-Z0-9]+$/);
    expect(parsed.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    const expected = parseYaml(benign);
    expected.metadata.name = parsed.metadata.name;
    expected.spec.script.configMap = {
      name: `${parsed.metadata.name}-script`,
      file: configMapKey(scriptFile),
    };
    expected.spec.arguments = `--tag testid=${parsed.metadata.name}`;
    expected.spec.runner.env[0].value = target;
    expect(parsed).toEqual(expected);
    // The ConfigMap command names the file shell-quoted, under a valid key.
    expect(evil).toContain(
      `#      ${commentText(`kubectl create configmap ${parsed.metadata.name}-script --from-file=${configMapKey(scriptFile)}=${shellWord(scriptFile)}`)}\n`,
    );
  });

  it('quotes YAML, shell and comment text', () => {
    expect(yamlString('a\u2028b\u0085"')).toBe('"a\\u2028b\\u0085\\""');
    expect(shellWord('qs.js')).toBe('qs.js');
    expect(shellWord("it's $(x)")).toBe(`'it'\\''s $(x)'`);
    expect(commentText('a\nb\r*/\u2028\ufeff')).toBe('a\\nb\\r*\\/\\u2028\\ufeff');
  });
});

describe('floodgate observe on files carrying hostile text', () => {
  it('quotes at most 60 characters of what it refuses, escaped', () => {
    const schema = `${'x'.repeat(100)}\u001b[2J`;
    expect(() => asK6Summary({ schema }, 'k6.json')).toThrow(
      `k6.json: expected a floodgate k6 summary (schema floodgate/k6-summary@1, written by a script from \`floodgate k6\`), got schema '${'x'.repeat(60)}... (104 characters)'`,
    );
    expect(() => asK6Summary('\u001b[2J', 'k6.json')).toThrow(/, got "\\u001b\[2J"$/);
    expect(() => parseTolerance('\u001b[31m20')).toThrow(
      "expected a tolerance like 20% or 0.2, got '\\x1b[31m20'",
    );
  });

  it('prints class and scenario names with control characters escaped', () => {
    const row = {
      metric: 'ttft.p50',
      unit: 'ms' as const,
      predicted: 1,
      observed: 1,
      relDiff: 0,
      verdict: 'ok' as const,
    };
    const text = formatComparison({
      schema: 'floodgate/observe@1',
      scenario: hostile('scenario'),
      tolerance: 0.2,
      shareFloor: 0.01,
      rows: [{ ...row, scope: hostile('class') }],
      pass: true,
      notes: [],
    });
    expect(text.split('\n')[0]).toBe(
      `observe  ${escapeLine(hostile('scenario'))}  predicted (simulator) vs observed (k6), tolerance 20%`,
    );
    expect(text).toContain(escapeLine(hostile('class')));
    expect(text).not.toMatch(RAW_BREAK);
  });
});

describe('FLOODGATE_HEADERS', () => {
  const text = (() => {
    let s: string | undefined;
    return async () => (s ??= await bundleK6Script(compileK6(await loadScenarioFile(QUICKSTART)).config));
  })();
  /** The error the script throws at init with FLOODGATE_HEADERS=`headers`. */
  async function initError(headers: string): Promise<string> {
    try {
      await loadScript(await text(), new FakeK6(), {
        FLOODGATE_HEADERS: headers,
        FLOODGATE_API_KEY: 'sk-key',
      });
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  }
  const FORM = 'expected a JSON object of header names to string values, e.g. {"x-tenant":"load-test"}';
  const HIDDEN = '(its text is not shown: it may hold secrets)';

  it.each([
    [
      '{"x-team": "load", "x-key": "sk-SECRET\\r\\nX-Evil: 1"}',
      'entry 2 of 2 is malformed: its value holds a line break or another control character',
    ],
    ['{"x-key": {"token": "sk-SECRET"}}', 'entry 1 of 1 is malformed: its value is an object, not a string'],
    [
      '{"x-a": "1", "x-b": "2", "sk-SECRET value": "3"}',
      "entry 3 of 3 is malformed: its name is not a header name (letters, digits and !#$%&'*+-.^_`|~)",
    ],
    ['{"x-key": null}', 'entry 1 of 1 is malformed: its value is null, not a string'],
  ])('names the malformed entry of %s, never its value', async (headers, problem) => {
    const message = await initError(headers);
    expect(message).toBe(`FLOODGATE_HEADERS: ${problem}; ${FORM} ${HIDDEN}`);
    expect(message).not.toContain('SECRET');
  });

  it('says what the whole value is when it is no JSON object, without quoting it', async () => {
    expect(await initError('x-key: sk-SECRET')).toBe(
      `FLOODGATE_HEADERS is not valid JSON: ${FORM} ${HIDDEN}`,
    );
    expect(await initError('["sk-SECRET"]')).toBe(`FLOODGATE_HEADERS: ${FORM}, got an array ${HIDDEN}`);
    expect(await initError('"sk-SECRET"')).toBe(`FLOODGATE_HEADERS: ${FORM}, got a string ${HIDDEN}`);
  });

  it('sends well-formed entries (numbers and booleans as text)', async () => {
    const fake = fakeAfterWarmup();
    const script = await loadScript(await text(), fake, { FLOODGATE_HEADERS: '{"x-team":"load","x-n":3}' });
    iterate(script, fake, 'tab', 0, 1);
    expect(fake.posts[0]!.params.headers).toMatchObject({ 'x-team': 'load', 'x-n': '3' });
  });
});
