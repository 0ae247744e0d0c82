import { basename, dirname, extname, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createDistribution } from '../../engine/dist/index.ts';
import { bundleK6Script, K6_SUMMARY_JSLIB } from '../../k6/bundle.ts';
import { type CompiledK6, compileK6, DEFAULT_TARGET } from '../../k6/compile.ts';
import { shellWord } from '../../k6/literals.ts';
import { clusterTarget, isLoopbackTarget, kubernetesName, testRunManifest } from '../../k6/operator.ts';
import type { K6Mode } from '../../k6/script-config.ts';
import { parseK6Duration } from '../../k6/stages.ts';
import type { WorkLimits } from '../../scenario/budget.ts';
import { loadScenarioFile } from '../../scenario/load.ts';
import { parseOverride } from '../../scenario/overrides.ts';
import { escapeLine, quoted } from '../../text/quote.ts';
import { EXIT } from '../exit-codes.ts';
import {
  parseSeed,
  positiveInt,
  positiveNumber,
  setOption,
  TIME_SCALE_HELP,
  timeScale,
  workLimitOption,
} from '../options.ts';
import { checkOutputs, fmtInt, fmtMs, inputFilesOf, table, writeFileAtomic } from '../output.ts';

function parseMode(value: string): K6Mode {
  if (value !== 'stock' && value !== 'sse')
    throw new InvalidArgumentError(`expected stock or sse, got ${quoted(value)}`);
  return value;
}

/**
 * `--target`: an http(s) URL, whole. WHATWG URL parsing drops tabs and line breaks silently, so
 * whitespace and control characters are refused before it.
 */
export function parseTarget(value: string): string {
  const expected = `expected an http:// or https:// URL such as ${DEFAULT_TARGET}`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u0020\u007f-\u009f\u2028\u2029]/.test(value))
    throw new InvalidArgumentError(`${expected}, without spaces or control characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(expected);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError(`${expected}, got a ${url.protocol.slice(0, 20)} URL`);
  return value;
}

/** `--service gateway.llm:8080`: the Service's in-cluster URL. */
function parseService(value: string): string {
  try {
    return clusterTarget(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

interface K6CommandOptions {
  out?: string;
  target: string;
  mode: K6Mode;
  timeScale: number;
  rateScale: number;
  seed?: number;
  vuHeadroom: number;
  k6Summary?: boolean;
  operator?: number;
  service?: string;
  set?: string[];
  max?: Partial<WorkLimits>;
}

/** `floodgate k6`: scenario -> one bundled k6 script (and optionally a k6-operator TestRun). */
export function k6Command(): Command {
  return new Command('k6')
    .description(
      'Compile a scenario into one k6 script: a ramping-arrival-rate scenario per class on the same timeline, OpenAI chat-completions bodies from the seed, SLO thresholds, and a summary `floodgate observe` reads.',
    )
    .argument('<scenario>', 'scenario file (.yaml, or .ts with a default export)')
    .option('--out <file>', 'where to write the script (default: k6/generated/<scenario>.js)')
    .option('--target <url>', 'target used when FLOODGATE_TARGET is unset', parseTarget, DEFAULT_TARGET)
    .option(
      '--mode <mode>',
      'stock (k6/http; TTFT = time to first byte) or sse (k6 with xk6-sse; exact TTFT and ITL)',
      parseMode,
      'stock' as K6Mode,
    )
    .option('--time-scale <f>', TIME_SCALE_HELP, timeScale, 1)
    .option(
      '--rate-scale <f>',
      'multiply every arrival rate (0.1: a tenth of the traffic)',
      positiveNumber,
      1,
    )
    .option('--seed <n>', 'seed of the request bodies (default: the scenario seed)', parseSeed)
    .option(
      '--vu-headroom <f>',
      "Little's-law headroom on VUs: preAllocatedVUs and maxVUs both scale with it",
      positiveNumber,
      1.5,
    )
    .option(
      '--k6-summary',
      "also print k6's standard end-of-test summary, above Floodgate's (the script imports it from jslib.k6.io: k6 fetches it when the test starts; without this flag the script runs offline)",
    )
    .option(
      '--operator <n>',
      'also write a k6-operator TestRun with parallelism N beside the script',
      positiveInt,
    )
    .option(
      '--service <name>',
      "with --operator: the runners' target, a Service in the cluster as NAME[.NAMESPACE][:PORT][/PATH]",
      parseService,
    )
    .addOption(setOption())
    .addOption(workLimitOption())
    .addHelpText(
      'after',
      `
Examples:
  floodgate k6 scenarios/quickstart.yaml
  floodgate k6 scenarios/quickstart.yaml --time-scale 0.1 --rate-scale 0.5 --out k6/generated/qs-small.js
  floodgate k6 scenarios/quickstart.yaml --mode sse --operator 4 --service gateway.llm:8080
      (the runners target http://gateway.llm.svc.cluster.local:8080; merge their summaries with
       floodgate merge runner-*.json --out k6-summary.json)

Then:
  FLOODGATE_TARGET=http://gateway:8080 FLOODGATE_API_KEY=... k6 run k6/generated/quickstart.js
  floodgate observe --predicted reports/quickstart.json --observed floodgate-k6-summary.json

The script reads FLOODGATE_TARGET, FLOODGATE_API_KEY, FLOODGATE_HEADERS (JSON), FLOODGATE_MODEL,
FLOODGATE_BODY (JSON merged into bodies) and FLOODGATE_SUMMARY (summary path) from the environment.
See docs/guide/load-testing.md.

Exit codes: 0 written, 1 bad input, 2 bad usage, 70 a bug.`,
    )
    .action(async (file: string, opts: K6CommandOptions) => {
      const overrides = (opts.set ?? []).map(parseOverride);
      const loaded = await loadScenarioFile(file, { overrides, ...(opts.max ? { limits: opts.max } : {}) });
      const compiled = canonicalFile(
        compileK6(loaded, {
          mode: opts.mode,
          timeScale: opts.timeScale,
          rateScale: opts.rateScale,
          target: opts.target,
          headroom: opts.vuHeadroom,
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        }),
      );
      const out = opts.out ?? join('k6', 'generated', `${kubernetesName(loaded.scenario.name)}.js`);
      if (opts.service !== undefined && opts.operator === undefined)
        throw new InvalidArgumentError("--service: names the TestRun's target: pass --operator N too");
      const command = commandLine(file, opts);
      const text = await bundleK6Script(compiled.config, {
        header: header(compiled, command, out, opts.k6Summary === true),
        traces: compiled.traces,
        standardSummary: opts.k6Summary === true,
      });
      const manifest =
        opts.operator !== undefined
          ? join(dirname(out), `${basename(out, extname(out))}.testrun.yaml`)
          : undefined;
      checkOutputs(inputFilesOf(loaded), [
        { flag: '--out', file: out },
        manifest ? { flag: '--operator', file: manifest } : undefined,
      ]);
      await writeFileAtomic(out, text);
      if (manifest !== undefined && opts.operator !== undefined) {
        const target = opts.service ?? opts.target;
        await writeFileAtomic(
          manifest,
          testRunManifest({
            name: `floodgate-${basename(out, extname(out))}`,
            scriptFile: basename(out),
            parallelism: opts.operator,
            mode: opts.mode,
            target,
          }),
        );
        // A runner pod's localhost is the pod itself: say so rather than let the run fail there.
        if (isLoopbackTarget(target))
          process.stderr.write(
            `warning: the TestRun's runners target ${escapeLine(target)}, which inside a runner pod is the pod itself: pass --service NAME[.NAMESPACE][:PORT] (or --target with the gateway's in-cluster URL)\n`,
          );
      }
      process.stdout.write(`${report(compiled, out, text.length, manifest)}\n`);
      process.exitCode = EXIT.ok;
    });
}

/**
 * The script names the scenario by its base name: the same bytes whatever the current directory
 * and however the path is written (relative, absolute, `./x`).
 */
function canonicalFile(c: CompiledK6): CompiledK6 {
  const scenario = { ...c.config.scenario, file: basename(c.config.scenario.file) };
  return { ...c, config: { ...c.config, scenario } };
}

/** The command that regenerates the script (the scenario by its base name), its words shell-quoted (bundle.ts escapes the comment). */
function commandLine(file: string, o: K6CommandOptions): string {
  const parts = ['floodgate k6', shellWord(basename(file))];
  if (o.mode !== 'stock') parts.push(`--mode ${o.mode}`);
  if (o.timeScale !== 1) parts.push(`--time-scale ${o.timeScale}`);
  if (o.rateScale !== 1) parts.push(`--rate-scale ${o.rateScale}`);
  if (o.seed !== undefined) parts.push(`--seed ${o.seed}`);
  if (o.vuHeadroom !== 1.5) parts.push(`--vu-headroom ${o.vuHeadroom}`);
  if (o.k6Summary) parts.push('--k6-summary');
  if (o.target !== DEFAULT_TARGET) parts.push(`--target ${shellWord(o.target)}`);
  for (const s of o.set ?? []) parts.push(`--set ${shellWord(s)}`);
  for (const [limit, n] of Object.entries(o.max ?? {})) parts.push(`--max ${limit}=${n}`);
  return parts.join(' ');
}

/** The script's header comment, one line per entry (scenario text in it is escaped by bundle.ts). */
function header(c: CompiledK6, command: string, out: string, standardSummary: boolean): string[] {
  const cfg = c.config;
  const summaryLine = standardSummary
    ? [
        `k6's standard summary is printed above Floodgate's: k6 fetches ${K6_SUMMARY_JSLIB} at start (k6 archive bundles it).`,
      ]
    : [];
  return [
    `Generated by \`${command}\` (scenario ${cfg.scenario.name}, seed ${cfg.scenario.seed}). Do not edit: regenerate.`,
    `Mode ${cfg.mode}; time x${cfg.timeScale}, rate x${cfg.rateScale}: ${fmtInt(c.expectedRequests)} requests over ${fmtMs(cfg.scenario.durationMs * cfg.timeScale)}.`,
    `Run: FLOODGATE_TARGET=${shellWord(cfg.defaultTarget)} FLOODGATE_API_KEY=... k6 run ${shellWord(out)}`,
    ...summaryLine,
    'Environment: FLOODGATE_TARGET (base or chat-completions URL), FLOODGATE_API_KEY, FLOODGATE_HEADERS (JSON),',
    'FLOODGATE_MODEL, FLOODGATE_BODY (JSON merged into bodies), FLOODGATE_SUMMARY (default floodgate-k6-summary.json).',
    '',
  ];
}

function report(c: CompiledK6, out: string, bytes: number, manifest: string | undefined): string {
  const cfg = c.config;
  const rows = [
    ['class', 'k6 scenario', 'stages', 'time unit', 'peak/s', 'requests', 'VUs pre/max', 'model'],
    ...cfg.classes.map((k) => {
      const s = cfg.options.scenarios[k.scenario]!;
      const unitMs = parseK6Duration(s.timeUnit);
      const peak = Math.max(s.startRate, ...s.stages.map((st) => st.target)) / (unitMs / 1000);
      return [
        escapeLine(k.name),
        k.scenario,
        String(s.stages.length),
        s.timeUnit,
        peak.toFixed(peak < 10 ? 2 : 1),
        // A session class's iterations are sessions: show its calls, and the sessions beside them.
        k.session
          ? `${fmtInt(k.expectedIterations * Math.max(1, createDistribution(k.session.calls).mean))} (${fmtInt(k.expectedIterations)} sessions)`
          : fmtInt(k.expectedIterations),
        `${fmtInt(s.preAllocatedVUs)}/${fmtInt(s.maxVUs)}`,
        escapeLine(k.model),
      ];
    }),
  ];
  const thresholds = Object.entries(cfg.options.thresholds).flatMap(([m, list]) =>
    list.map((t) => `${m}: ${t}`),
  );
  // Scenario text and paths are printed with control characters escaped (escapeLine).
  const lines = [
    `k6 script written to ${escapeLine(out)} (${fmtInt(bytes / 1024)} kB, mode ${cfg.mode})`,
    `${escapeLine(cfg.scenario.name)}  seed ${cfg.scenario.seed}, ${fmtMs(cfg.scenario.durationMs)} at time x${cfg.timeScale} (${fmtMs(cfg.scenario.durationMs * cfg.timeScale)}), rate x${cfg.rateScale}: ${fmtInt(c.expectedRequests)} requests`,
    '',
    table(rows),
    '',
    `thresholds (${thresholds.length}):`,
    ...thresholds.map((t) => `  ${t}`),
  ];
  if (c.notes.length > 0) lines.push('', 'not reproduced by k6:', ...c.notes.map((n) => `  - ${n}`));
  if (manifest)
    lines.push('', `k6-operator TestRun written to ${escapeLine(manifest)} (see the commands at its top)`);
  lines.push(
    '',
    `run:   FLOODGATE_TARGET=${shellWord(cfg.defaultTarget)} FLOODGATE_API_KEY=... k6 run ${escapeLine(shellWord(out))}${cfg.mode === 'sse' ? '   (a k6 built with xk6-sse)' : ''}`,
    `predict: floodgate run ${escapeLine(shellWord(basename(cfg.scenario.file)))}${cfg.timeScale !== 1 ? ` --time-scale ${cfg.timeScale}` : ''}${cfg.rateScale !== 1 ? ` --rate-scale ${cfg.rateScale}` : ''} --topology direct|gateway --out RESULT.json   (direct: k6 to floodgate emulate${cfg.timeScale !== 1 ? ` --time-scale ${cfg.timeScale}` : ''})`,
    'then:  floodgate observe --predicted RESULT.json --observed floodgate-k6-summary.json',
  );
  return lines.join('\n');
}
