/**
 * Hostile and mistaken input at the command line (issue 12): each case is refused with the exact
 * one-line message a user reads and the right exit code (1 bad input, 2 bad command line, never 70),
 * nothing is written over an input, and nothing a file contains is echoed at length or raw.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MMC_YAML, mmcWith } from '../scenario/fixtures.ts';
import { ROOT, runCli } from './process.ts';

const floodgate = (args: string[], cwd = ROOT) => runCli(args, { cwd });

let dir: string;
let mmc: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floodgate-hostile-'));
  mmc = join(dir, 'mmc.yaml');
  await writeFile(mmc, MMC_YAML);
});

/** A scenario in `dir` whose arrivals replay `trace` (a path, relative to `dir` or absolute). */
async function withTrace(name: string, trace: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, mmcWith({ 12: `  arrivals: { trace: { file: '${trace}' } }` }));
  return file;
}

describe('YAML that is slow or explosive to parse', () => {
  it('refuses an alias bomb ("billion laughs") as invalid input, not a bug', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, next] of [...'abcdef'].map((c, i) => [c, 'bcdefg'[i]!])) {
      levels.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const file = join(dir, 'bomb.yaml');
    await writeFile(file, `${levels.join('\n')}\n`);
    const r = await floodgate(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_SCENARIO_INVALID]: ${file}: (top level): invalid YAML: aliases expand to too many nodes (more than 100 per alias); write the repeated values out or use fewer nested aliases\n`,
    );
  });

  it('reports an alias without its anchor as invalid YAML (not as an alias bomb, not a bug)', async () => {
    const file = join(dir, 'unresolved.yaml');
    await writeFile(file, `${MMC_YAML}extra: *nowhere\n`);
    const r = await floodgate(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_SCENARIO_INVALID]: ${file}: (top level): invalid YAML: Unresolved alias (the anchor must be set before the alias): nowhere\n`,
    );
  });

  it('answers 50,000 keys in one mapping (the duplicate check is linear)', async () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}`);
    const file = join(dir, 'keys.yaml');
    await writeFile(file, `${MMC_YAML}extra:\n${keys.map((k) => `  ${k}`).join('\n')}\n  k7: again\n`);
    const r = await floodgate(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_SCENARIO_INVALID]: ${file}:50016:3: (top level): invalid YAML: duplicate key 'k7' in one mapping\n`,
    );
  });

  it('lists the first 20 problems and counts the rest', async () => {
    const classes = Array.from({ length: 25 }, (_, i) => `    - { name: c${i}, weight: 1 }`);
    const file = join(dir, 'many.yaml');
    await writeFile(
      file,
      mmcWith({ 12: '  arrivals: { process: poisson, rate: 7.2/s }' }).replace(
        '    - name: job',
        classes.join('\n'),
      ),
    );
    const r = await floodgate(['validate', file]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[0]).toBe(
      `error[FG_SCENARIO_INVALID]: ${file}:11:19: workload.classes[0]: unknown key 'weight'; valid keys: name, share, arrivals, promptTokens, outputTokens, priority, deadline, stream, models, providers, tenant, prefix, slo, cancelAfter, session, debounce, client`,
    );
    expect(lines[20]).toBe('... and 5 more problems');
  });

  it('refuses a scenario file above 1 MB before parsing it, with its size', async () => {
    const file = join(dir, 'huge.yaml');
    await writeFile(file, `${MMC_YAML}# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const r = await floodgate(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_SCENARIO_UNREADABLE]: ${file}: cannot read the scenario: the file is 5.0 MB, more than the limit of 1 MB\n`,
    );
  });
});

describe('TypeScript modules', () => {
  it('reports a scenario or policy module that throws while loading, with a short escaped message', async () => {
    const scenario = join(dir, 'throws.ts');
    await writeFile(scenario, 'throw new Error("no \\x1b[31mred\\x1b[0m here");\nexport default {};\n');
    const s = await floodgate(['validate', scenario]);
    expect(s.code).toBe(1);
    expect(s.stderr).toBe(
      `error[FG_SCENARIO_INVALID]: ${scenario}: ${scenario} threw while loading: Error: no \\x1b[31mred\\x1b[0m here\n`,
    );
    const policy = join(dir, 'throwing-policy.ts');
    await writeFile(policy, `throw new TypeError('${'y'.repeat(500)}');\n`);
    const p = await floodgate(['validate', mmc, '--set', `gateway.routing.policy=${policy}`]);
    expect(p.code).toBe(1);
    expect(p.stderr).toBe(
      `error[FG_POLICY_INVALID]: ${mmc}: gateway.routing.policy: ${policy} threw while loading: TypeError: ${'y'.repeat(189)}... (511 characters)\n`,
    );
  });

  it.each([
    [
      'a throwing getter',
      'export default { get name(): string { throw new Error("getter"); } };',
      'threw while being read: Error: getter',
    ],
    [
      'a cycle',
      'const a: Record<string, unknown> = { name: "x" };\na.self = a;\nexport default a;',
      'contains itself (a cycle), expected plain data',
    ],
    [
      'a doubling chain of shared arrays',
      'let a: unknown[] = ["x"];\nfor (let i = 0; i < 40; i++) a = [a, a];\nexport default { name: "x", extra: a };',
      'holds more than 100,000 values',
    ],
  ])('refuses a TS scenario whose default export has %s', async (name, code, why) => {
    const file = join(dir, `export-${name.split(' ').pop()}.ts`);
    await writeFile(file, `${code}\n`);
    const r = await floodgate(['validate', file]);
    expect(r.stderr).toBe(`error[FG_SCENARIO_INVALID]: ${file}: the default export ${why}\n`);
    expect(r.code).toBe(1);
  });

  it('reports a user policy that throws in create() or in a method, naming the module and method', async () => {
    const policy = (name: string, create: string) => `import { definePolicy } from 'floodgate';
export default definePolicy({ name: '${name}', kind: 'routing', create() { ${create} } });
`;
    const creating = join(dir, 'throws-in-create.ts');
    await writeFile(creating, policy('in-create', "throw new Error('bad config');"));
    const routing = join(dir, 'throws-in-route.ts');
    await writeFile(routing, policy('in-route', "return { route() { throw new RangeError('no route'); } };"));
    for (const [file, message] of [
      [
        creating,
        `error[FG_POLICY_INVALID]: ${creating}: policy 'in-create' create() threw: Error: bad config\n`,
      ],
      [
        routing,
        `error[FG_POLICY_INVALID]: ${routing}: policy 'in-route' route() threw: RangeError: no route\n`,
      ],
    ] as const) {
      const r = await floodgate([
        'run',
        mmc,
        '--quiet',
        '--set',
        'duration=1m',
        '--set',
        `gateway.routing.policy=${file}`,
      ]);
      expect(r.stderr).toBe(message);
      expect(r.code).toBe(1);
    }
  });

  it('validate type-checks policy modules: file:line:col and the TypeScript message', async () => {
    const policy = join(dir, 'typo-policy.ts');
    await writeFile(
      policy,
      `import { definePolicy, reject } from 'floodgate';
export default definePolicy({
  name: 'typo-policy',
  kind: 'routing',
  create: () => ({ rout: (_req: unknown, targets: string[]) => targets[0] ?? reject('no-target') }),
});
`,
    );
    const r = await floodgate(['validate', mmc, '--set', `gateway.routing.policy=${policy}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_POLICY_INVALID]: ${policy}:5:17: Property 'route' is missing in type '{ rout: (_req: unknown, targets: string[]) => string; }' but required in type 'RoutingPolicy'. (TS2741)\n` +
        'hint: modules run with their types stripped, so code with type errors may not do what it says: fix them\n',
    );
  }, 180_000); // a whole-program type-check: ~23 s alone, more on a busy machine

  it('type-checks with Node globals from any working directory (no false errors for process.env)', async () => {
    const policy = join(dir, 'env-policy.ts');
    await writeFile(
      policy,
      `import { definePolicy, reject } from 'floodgate';
const pick = Number(process.env['PICK'] ?? 0);
export default definePolicy({
  name: 'env-policy',
  kind: 'routing',
  create: () => ({ route: (_req, targets) => targets[pick] ?? reject('no-target') }),
});
`,
    );
    const r = await floodgate(
      ['validate', 'mmc.yaml', '--set', 'gateway.routing.policy=./env-policy.ts'],
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('mmc.yaml: ok (mmc: 10 h, 1 provider, 1 class, 0 faults, 0 SLOs)\n');
  });

  it('validate type-checks a TypeScript scenario, and passes one without type errors', async () => {
    const file = join(dir, 'typed-scenario.ts');
    const body = `import { defineScenario } from 'floodgate';
const servers: number = 2;
export default defineScenario({
  name: 'typed',
  duration: '10m',
  providers: [{ name: 'server', kind: 'queue', servers, service: { dist: 'exponential', mean: '1s' } }],
  workload: { classes: [{ name: 'job' }], arrivals: { rate: '1/s' } },
});
`;
    await writeFile(file, body);
    const ok = await floodgate(['validate', file]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe(`${file}: ok (typed: 10 min, 1 provider, 1 class, 0 faults, 0 SLOs)\n`);
    await writeFile(
      file,
      body.replace(
        'const servers: number = 2;',
        "const servers: number = '2' as unknown as number;\nconst label: string = 7;",
      ),
    );
    const bad = await floodgate(['validate', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      `error[FG_SCENARIO_INVALID]: ${file}:3:7: Type 'number' is not assignable to type 'string'. (TS2322)\n` +
        'hint: modules run with their types stripped, so code with type errors may not do what it says: fix them\n',
    );
  }, 180_000); // a whole-program type-check: ~23 s alone, more on a busy machine

  it('compare resolves --policies module paths against the working directory', async () => {
    const work = join(dir, 'cwd-test');
    await mkdir(join(work, 'scenarios'), { recursive: true });
    await writeFile(join(work, 'scenarios', 'mmc.yaml'), MMC_YAML);
    await writeFile(
      join(work, 'first.ts'),
      `import { definePolicy, reject } from 'floodgate';
export default definePolicy({
  name: 'first',
  kind: 'routing',
  create: () => ({ route: (_req, targets) => targets[0] ?? reject('no-target') }),
});
`,
    );
    const r = await floodgate(
      [
        'compare',
        'scenarios/mmc.yaml',
        '--policies',
        'round-robin,./first.ts',
        '--seeds',
        '1',
        '--jobs',
        '1',
        '--set',
        'duration=2m',
        '--quiet',
        '--json',
      ],
      work,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(
      JSON.parse(r.stdout)
        .entries.map((e: { label: string }) => e.label)
        .sort(),
    ).toEqual(['./first.ts', 'round-robin']);
  });
});

describe('output files', () => {
  it('checks --out below a regular file before simulating', async () => {
    const file = join(dir, 'plain.txt');
    await writeFile(file, 'not a directory\n');
    // A 1000-hour run would take minutes: the refusal comes first.
    const r = await floodgate(['run', mmc, '--set', 'duration=1000h', '--out', join(file, 'x.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_OUTPUT_FAILED]: ${join(file, 'x.json')}: cannot write: '${file}' is not a directory\n`,
    );
    expect(r.stdout).toBe('');
  });

  it('refuses outputs that would overwrite the input (same path, ./ variant, symlink), and one file for two outputs', async () => {
    const link = join(dir, 'link.yaml');
    await symlink(mmc, link);
    const cases: [string[], string][] = [
      [
        ['run', mmc, '--out', mmc],
        `error: --out ${mmc}: this is the input file ${mmc}; refusing to overwrite it\n`,
      ],
      [
        ['run', 'mmc.yaml', '--report', './../' + dir.split('/').pop() + '/mmc.yaml'],
        `error: --report ./../${dir.split('/').pop()}/mmc.yaml: this is the input file mmc.yaml; refusing to overwrite it\n`,
      ],
      [
        ['k6', mmc, '--out', link],
        `error: --out ${link}: this is the input file ${mmc}; refusing to overwrite it\n`,
      ],
      [
        ['schema', '--out', mmc],
        `error: --out ${mmc}: the file exists and is not a .json file; refusing to overwrite it with the JSON Schema\n`,
      ],
      [
        ['run', mmc, '--out', join(dir, 'same'), '--report', join(dir, '.', 'same')],
        `error: --out ${join(dir, 'same')} and --report ${join(dir, 'same')} name the same file; give each output its own\n`,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await floodgate(args, dir);
      expect(r.stderr).toBe(message);
      expect(r.code).toBe(2);
    }
    expect(await readFile(mmc, 'utf8')).toBe(MMC_YAML);
    expect((await readdir(dir)).filter((f) => f.includes('same') || f.endsWith('.tmp'))).toEqual([]);
  });

  it('names temporary files .<name>.<pid>.tmp beside the output and leaves none behind', async () => {
    const out = join(dir, 'ok.json');
    const r = await floodgate(['run', mmc, '--set', 'duration=1m', '--quiet', '--out', out]);
    expect(r.code).toBe(0);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('files that are not what they claim', () => {
  it('never echoes a line of a file named as a trace', async () => {
    const secret = join(dir, 'shadow');
    await writeFile(secret, 'root:$6$s3cr3tsalt$0123456789abcdefghijklmnopqrstuvwxyz:19000:0:99999:7:::\n');
    const file = await withTrace('secret.yaml', secret);
    const r = await floodgate(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_TRACE_INVALID]: ${secret}:1: expected a time column (one of time_ms, time_s, timestamp, TIMESTAMP), got a first line that is not a CSV header (1 field)\n`,
    );
    expect(r.stderr).not.toContain('s3cr3t');
  });

  it.each([
    ['/proc/self/environ', 'expected a regular file, found a file under /proc or /sys'],
    ['/dev/zero', 'expected a regular file, found a device'],
  ])('refuses %s as a trace without reading it', async (path, why) => {
    const file = await withTrace(`special-${path.split('/').pop()}.yaml`, path);
    const r = await floodgate(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_TRACE_INVALID]: ${file}: workload.arrivals.trace.file: cannot read trace '${path}': ${why}\n`,
    );
  });

  it('refuses a device as a policy module before bundling it', async () => {
    const r = await floodgate(['validate', mmc, '--set', 'gateway.routing.policy=/dev/zero']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_POLICY_INVALID]: ${mmc}: gateway.routing.policy: cannot load '/dev/zero': expected a regular file, found a device\n`,
    );
  });

  it('refuses a FIFO as a scenario instead of blocking on it', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const r = await floodgate(['validate', fifo]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_SCENARIO_UNREADABLE]: ${fifo}: cannot read the scenario: expected a regular file, found a FIFO\n`,
    );
  });

  it('quotes a 2 MB trace cell as a short excerpt', async () => {
    const trace = join(dir, 'long.csv');
    await writeFile(trace, `time_ms,prompt_tokens,output_tokens\n0,10,20\n5,${'9'.repeat(2_000_000)}x,20\n`);
    const file = await withTrace('long.yaml', 'long.csv');
    const r = await floodgate(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_TRACE_INVALID]: ${trace}:3: column prompt_tokens: expected a number, got '${'9'.repeat(40)}... (2000001 characters)'\n`,
    );
  });
});

describe('echoed values and names', () => {
  it('cuts a 500 kB value and escapes control characters in errors', async () => {
    const file = join(dir, 'long-value.yaml');
    await writeFile(file, mmcWith({ 6: `    kind: "${'q'.repeat(500_000)}\\e[2J"` }));
    const r = await floodgate(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_SCENARIO_INVALID]: ${file}:6:11: providers[0].kind: expected 'kind' to be one of 'queue' | 'api' | 'gpu', got '${'q'.repeat(40)}... (500004 characters)'\n`,
    );
  });

  it('escapes control characters in a short echoed value', async () => {
    const file = join(dir, 'escape-value.yaml');
    await writeFile(file, mmcWith({ 6: '    kind: "qu\\e[2Jeue"' }));
    const r = await floodgate(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_SCENARIO_INVALID]: ${file}:6:11: providers[0].kind: expected 'kind' to be one of 'queue' | 'api' | 'gpu', got 'qu\\x1b[2Jeue'\n`,
    );
  });

  it('escapes terminal control sequences in the scenario name (summary and validate)', async () => {
    const file = join(dir, 'escape-name.yaml');
    await writeFile(file, MMC_YAML.replace('name: mmc', 'name: "mmc\\e]0;pwned\\a\\e[2J"'));
    const v = await floodgate(['validate', file]);
    expect(v.code).toBe(0);
    expect(v.stdout).toBe(
      `${file}: ok (mmc\\x1b]0;pwned\\x07\\x1b[2J: 10 h, 1 provider, 1 class, 0 faults, 0 SLOs)\n`,
    );
    const r = await floodgate(['run', file, '--set', 'duration=1m', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^mmc\\x1b\]0;pwned\\x07\\x1b\[2J {2}seed 7/);
    expect(r.stdout).not.toContain('\x1b');
  });
});

describe('command-line mistakes exit 2 with one line', () => {
  it.each([
    [
      ['run', 'MMC', '--seed', 'abc'],
      "error: option '--seed <n>' argument 'abc' is invalid. expected an integer of at most 9007199254740991 in size, got 'abc'",
    ],
    [
      ['run', 'MMC', '--seed', '99999999999999999999'],
      "error: option '--seed <n>' argument '99999999999999999999' is invalid. expected an integer of at most 9007199254740991 in size, got '99999999999999999999'",
    ],
    [['run', 'MMC', '--out', ''], "error: --out: expected a file name, got ''"],
    [['schema', '--out', ''], "error: --out: expected a file name, got ''"],
    [
      ['compare', 'MMC', '--policies', 'round-robin', '--jobs', '-1'],
      "error: option '--jobs <n>' argument '-1' is invalid. expected a whole number >= 1, got '-1'",
    ],
    [
      ['compare', 'MMC', '--policies', 'round-robin', '--objective', 'speed'],
      "error: --objective: expected one of goodput, ttft-p99, cost, errors, shed, amplification, recovery, got 'speed'",
    ],
    [
      ['capacity', 'MMC', '--vary', 'providers[0].servers', '--range', '1..9', '--tolerance', '5'],
      "error: --tolerance: expected a share between 0 and 1, got '5'",
    ],
    [
      ['capacity', 'MMC', '--vary', 'providers[0].servers', '--range', 'many'],
      "error[FG_OVERRIDE_INVALID]: --range: expected LO..HI such as 2..32 or 10/s..200/s, got 'many'",
    ],
    [
      ['compare', 'MMC', '--policies', 'aimd(initial)'],
      "error[FG_OVERRIDE_INVALID]: --policies: 'aimd(initial)': expected key=value, got 'initial'",
    ],
  ])('%j', async (args, message) => {
    const r = await floodgate(args.map((a) => (a === 'MMC' ? mmc : a)));
    expect(r.stderr.split('\n')[0]).toBe(message);
    expect(r.code).toBe(2);
  });
});

describe('floodgate validate with several files', () => {
  it('reports every file: ok lines for the good ones, errors for the bad, exit 1', async () => {
    const bad = join(dir, 'bad-servers.yaml');
    await writeFile(bad, mmcWith({ 7: '    servers: -3' }));
    const r = await floodgate(['validate', bad, mmc, join(dir, 'missing.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${mmc}: ok (mmc: 10 h, 1 provider, 1 class, 0 faults, 0 SLOs)\n`);
    expect(r.stderr).toBe(
      [
        `error[FG_SCENARIO_INVALID]: ${bad}:7:14: providers[0].servers: expected a count >= 1, got -3`,
        `error[FG_SCENARIO_UNREADABLE]: ${join(dir, 'missing.yaml')}: cannot read the scenario: ENOENT`,
        '',
      ].join('\n'),
    );
  });
});
