import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_LIMITS } from '../../emulator/limits.ts';
import { type Emulator, type EmulatorStats, startEmulator } from '../../emulator/server.ts';
import type { LuckMode } from '../../engine/luck.ts';
import type { WorkLimits } from '../../scenario/budget.ts';
import { loadScenarioFile } from '../../scenario/load.ts';
import { parseOverride } from '../../scenario/overrides.ts';
import { formatDuration, parseDuration, parseMultiplier } from '../../scenario/units.ts';
import { quoted } from '../../text/quote.ts';
import { EXIT } from '../exit-codes.ts';
import {
  LUCK_HELP,
  parseLuck,
  parseSeed,
  positiveInt,
  setOption,
  TIME_SCALE_HELP,
  timeScale,
  workLimitOption,
} from '../options.ts';
import { fmtInt, table } from '../output.ts';

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535)
    throw new InvalidArgumentError(`expected a port number 0..65535, got ${quoted(value, 60)}`);
  return n;
}

/** A host name or address: not empty, no spaces or control characters (a resolver decides the rest). */
function parseHost(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused
  if (!/^[^\s\u0000-\u001f\u007f-\u009f]{1,253}$/.test(value))
    throw new InvalidArgumentError(
      `expected a host name or IP address (e.g. 127.0.0.1, localhost, 0.0.0.0), got ${quoted(value, 60)}`,
    );
  return value;
}

function parseSpeed(value: string): number {
  const r = parseMultiplier(value);
  if (!('value' in r) || !(r.value > 0))
    throw new InvalidArgumentError(`expected a positive number like 10 or 10x, got ${quoted(value)}`);
  return r.value;
}

/**
 * `--time-scale F` as on `floodgate k6` and `floodgate run`: real seconds per scenario second.
 * Until this release it meant the opposite here (F times faster), so a value above 1, which
 * would stretch the fault timeline, is refused with both readings offered.
 */
function parseEmulateTimeScale(value: string): number {
  const f = timeScale(value);
  if (f > 1)
    throw new InvalidArgumentError(
      `expected real seconds per scenario second, at most 1 (0.1 plays the fault timeline 10 times faster, as floodgate k6 --time-scale 0.1 plays the arrivals), got ${quoted(value)}; --time-scale ${value} used to mean ${value} times faster: for that use --time-scale ${Math.round((1 / f) * 1e6) / 1e6} (faults), or --speed ${value} (the provider models' clock: every latency ${value} times shorter)`,
    );
  return f;
}

function parseWallDuration(value: string): number {
  const r = parseDuration(value);
  if (!('value' in r) || !(r.value > 0))
    throw new InvalidArgumentError(`expected a duration like '30s' or '5m', got ${quoted(value)}`);
  return r.value;
}

/** Requests answered per provider and outcome, for the line printed when the emulator stops. */
export function formatEmulatorStats(stats: EmulatorStats, wallMs: number): string {
  const outcomes = [
    ...new Set(Object.values(stats.providers).flatMap((p) => Object.keys(p.requests))),
  ].sort();
  const rows = [
    ['provider', 'requests', ...outcomes, 'tokens out'],
    ...Object.entries(stats.providers).map(([name, p]) => [
      name,
      fmtInt(Object.values(p.requests).reduce((a, b) => a + b, 0)),
      ...outcomes.map((o) => fmtInt(p.requests[o] ?? 0)),
      fmtInt(p.completionTokens),
    ]),
  ];
  const late =
    stats.lateEvents > 0
      ? `, ${fmtInt(stats.lateEvents)} events late (worst ${formatDuration(stats.maxLagMs)})`
      : '';
  const bugs =
    stats.internalErrors > 0
      ? `, ${fmtInt(stats.internalErrors)} internal error${stats.internalErrors === 1 ? '' : 's'} answered 500`
      : '';
  return `stopped after ${formatDuration(wallMs)} (${formatDuration(stats.simulatedMs)} simulated${late}${bugs})\n${table(rows)}`;
}

export function emulateCommand(): Command {
  return new Command('emulate')
    .description(
      "Serve the scenario's providers on the wall clock behind an OpenAI-compatible HTTP API (the same provider and fault models as `run`).",
    )
    .argument('<scenario>', 'scenario file (.yaml, or .ts with a default export)')
    .option('--port <n>', 'TCP port (0: any free port)', parsePort, 8000)
    .option('--host <address>', 'interface to listen on', parseHost, '127.0.0.1')
    .option('--time-scale <f>', `${TIME_SCALE_HELP} (here: the faults)`, parseEmulateTimeScale, 1)
    .option(
      '--speed <f>',
      'run the provider models F times faster than real time (every latency divided by F, faults too); not predicted by floodgate run',
      parseSpeed,
      1,
    )
    .option('--seed <n>', 'random seed of the provider models (default: the scenario seed)', parseSeed)
    .option('--luck <mode>', LUCK_HELP, parseLuck)
    .addOption(setOption())
    .addOption(workLimitOption())
    .option(
      '--duration <d>',
      'stop by itself after this much wall-clock time (e.g. 30s, 10m)',
      parseWallDuration,
    )
    .option(
      '--max-output-tokens <n>',
      `largest max_tokens accepted (a larger one gets 400); caps a request class's drawn output too (default: ${DEFAULT_LIMITS.maxOutputTokens})`,
      positiveInt,
    )
    .option(
      '--max-connections <n>',
      `open connections at most; more are closed at once (default: ${DEFAULT_LIMITS.maxConnections})`,
      positiveInt,
    )
    .option('--quiet', 'only the first line (the URL): no provider table, no summary')
    .addHelpText(
      'after',
      `
Routes:
  POST /v1/chat/completions                      provider chosen by the body's model
  POST /p/{provider}/v1/chat/completions         that provider (OpenAI client baseURL: .../p/{provider}/v1)
  POST /p/{provider}/replicas/{i}/v1/chat/completions   one replica of a gpu pool
  GET  /v1/models, /metrics (Prometheus: vllm:* gauges per replica), /healthz; also under /p/{provider}

Limits (docs/guide/emulator.md): request bodies up to 4 MiB (413), headers 16 KiB (431), headers
within 10 s and the whole request within 30 s (408), errors in OpenAI's JSON shape.

Faults follow the scenario timeline from the moment the server listens, at --time-scale real
seconds per scenario second (as floodgate k6 plays the arrivals). Times in responses are real
time: a 429's retry-after is the model's, divided by --speed.
SIGINT, SIGTERM or --duration stops it (open requests end with an error).
Exit codes: 0 stopped, 1 bad input or cannot listen, 2 bad usage, 70 a bug.

Examples:
  floodgate emulate scenarios/quickstart.yaml --port 8000
  floodgate emulate scenarios/outage-failover.yaml --time-scale 0.1     (with floodgate k6 ... --time-scale 0.1)
  floodgate emulate scenarios/quickstart.yaml --speed 10 --duration 1m --set 'faults=[]'
  floodgate emulate scenarios/outage-failover.yaml --time-scale 0.1 --luck request
    (each call with X-Floodgate-Traffic-Key meets the luck floodgate run --luck request gives it)
  curl -N localhost:8000/p/fast-api/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"messages":[{"role":"user","content":"hi"}],"max_tokens":20,"stream":true}'`,
    )
    .action(
      async (
        file: string,
        opts: {
          port: number;
          host: string;
          timeScale: number;
          speed: number;
          seed?: number;
          luck?: LuckMode;
          set?: string[];
          max?: Partial<WorkLimits>;
          duration?: number;
          maxOutputTokens?: number;
          maxConnections?: number;
          quiet?: boolean;
        },
      ) => {
        const overrides = (opts.set ?? []).map(parseOverride);
        const loaded = await loadScenarioFile(file, { overrides, ...(opts.max ? { limits: opts.max } : {}) });
        const scenario = loaded.scenario;
        let bug: unknown;
        let stop: () => void = () => {};
        // A host that does not resolve, a port in use: FG_EMULATOR_LISTEN, printed by main (exit 1).
        const emulator: Emulator = await startEmulator(loaded, {
          port: opts.port,
          host: opts.host,
          timeScale: opts.speed,
          timelineScale: opts.timeScale,
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          ...(opts.luck !== undefined ? { luck: opts.luck } : {}),
          limits: {
            ...(opts.maxOutputTokens !== undefined ? { maxOutputTokens: opts.maxOutputTokens } : {}),
            ...(opts.maxConnections !== undefined ? { maxConnections: opts.maxConnections } : {}),
          },
          onWarning: (message) => process.stderr.write(`floodgate emulate: warning: ${message}\n`),
          onError: (e) => {
            bug ??= e;
            stop();
          },
        });
        const started = performance.now();
        const stopped = new Promise<void>((resolve) => {
          let timer: NodeJS.Timeout | undefined;
          const onSignal = () => stop();
          stop = () => {
            stop = () => {};
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            if (timer) clearTimeout(timer);
            void emulator.close().then(resolve);
          };
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
          if (opts.duration !== undefined) timer = setTimeout(() => stop(), opts.duration);
        });
        // The first line names the URL (with --port 0 the only way to learn it), even with --quiet.
        const seed = opts.seed ?? scenario.seed;
        const count = scenario.providers.length;
        let banner = `${scenario.name}: emulating ${count} provider${count === 1 ? '' : 's'} on ${emulator.url} (time scale ${opts.timeScale}, speed ${opts.speed}x, seed ${seed}${opts.luck === 'request' ? ', request luck' : ''})\n`;
        if (!opts.quiet) {
          const rows = [
            ['provider', 'kind', 'models', 'base URL'],
            ...scenario.providers.map((p) => [
              p.name,
              p.kind,
              (p.models ?? [p.name]).join(', '),
              `${emulator.url}/p/${encodeURIComponent(p.name)}/v1`,
            ]),
          ];
          const faults = scenario.faults.length;
          banner +=
            `${table(rows)}\n` +
            `${faults > 0 ? `${faults} fault${faults === 1 ? '' : 's'} on the timeline from now` : 'no faults'}; ` +
            `${opts.duration !== undefined ? `stops after ${formatDuration(opts.duration)}` : 'Ctrl-C stops'}\n`;
        }
        process.stdout.write(banner);
        if (bug !== undefined) stop();
        await stopped;
        if (bug !== undefined) throw bug; // a model threw: main() prints it as a bug (exit 70)
        if (!opts.quiet)
          process.stdout.write(`${formatEmulatorStats(emulator.stats(), performance.now() - started)}\n`);
        process.exitCode = EXIT.ok;
      },
    );
}
