import { basename, extname } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { FloodgateError } from '../../errors.ts';
import { parseConfigText } from '../../import/config-text.ts';
import { coverageMarkdown, LITELLM_COVERAGE, PORTKEY_COVERAGE } from '../../import/coverage.ts';
import type { ImportedGateway } from '../../import/imported.ts';
import { importLitellm } from '../../import/litellm.ts';
import { importPortkey } from '../../import/portkey.ts';
import { buildScenario, scenarioYaml } from '../../import/scenario.ts';
import { loadScenarioText } from '../../scenario/load.ts';
import { MAX_SCENARIO_BYTES, readInputFile } from '../../scenario/read-input.ts';
import { type Parsed, parseDurationWithUnit, parseRate } from '../../scenario/units.ts';
import { escapeLine, quoted } from '../../text/quote.ts';
import { checkOutputs, writeFileAtomic } from '../output.ts';

const GATEWAYS = {
  portkey: { read: importPortkey, coverage: PORTKEY_COVERAGE, label: 'Portkey config (JSON)' },
  litellm: { read: importLitellm, coverage: LITELLM_COVERAGE, label: 'LiteLLM config (YAML)' },
} as const;
type GatewayName = keyof typeof GATEWAYS;

function parseGateway(value: string): GatewayName {
  if (value === 'portkey' || value === 'litellm') return value;
  throw new InvalidArgumentError(`expected portkey or litellm, got ${quoted(value)}`);
}

/** `--rate 10/s`: checked as the scenario would check it, kept as written. */
function unitFlag(parse: (v: unknown) => Parsed, what: string) {
  return (value: string): string => {
    if ('expected' in parse(value)) throw new InvalidArgumentError(`expected ${what}, got ${quoted(value)}`);
    return value;
  };
}

interface ImportOptions {
  out?: string;
  template?: string;
  name?: string;
  rate?: string;
  duration?: string;
  coverage?: boolean;
  quiet?: boolean;
}

/** `floodgate import portkey|litellm CONFIG`: a real gateway's config -> a Floodgate scenario. */
export function importCommand(): Command {
  return new Command('import')
    .description(
      "Turn a real gateway's config (Portkey JSON, LiteLLM config.yaml) into a scenario: its routing, retries, fallbacks, timeouts and cooldowns as Floodgate's gateway, its targets as providers.",
    )
    .argument('<gateway>', 'portkey or litellm', parseGateway)
    .argument('[config]', 'the gateway config file (not needed with --coverage)')
    .option('--out <file>', 'write the scenario here (atomically) instead of stdout')
    .option(
      '--template <file>',
      'a partial scenario for what the config does not say: providers by name (or "*"), workload, faults, slos, duration',
    )
    .option('--name <name>', 'scenario name (default: the config file name)')
    .option(
      '--rate <rate>',
      'base arrival rate of the default workload (default 10/s)',
      unitFlag(parseRate, 'a rate such as 10/s'),
    )
    .option(
      '--duration <duration>',
      'scenario duration (default 10m)',
      unitFlag(parseDurationWithUnit, 'a duration with a unit such as 10m'),
    )
    .option('--coverage', 'print what is modelled, approximated and not modelled for this gateway, and exit')
    .option('--quiet', 'do not list the notes on stderr (they stay in the scenario header)')
    .addHelpText(
      'after',
      '\nEvery key not translated exactly is reported by path (stderr, and comments atop the scenario); see docs/guide/import.md.\nExit codes: 0 written, 1 the config or template is invalid, 2 bad usage, 70 a bug.',
    )
    .action(async (gateway: GatewayName, config: string | undefined, opts: ImportOptions) => {
      const spec = GATEWAYS[gateway];
      if (opts.coverage) {
        process.stdout.write(coverageMarkdown(spec.coverage));
        return;
      }
      if (config === undefined)
        throw new InvalidArgumentError(`expected the ${spec.label} file after '${gateway}'`);
      const inputs = [config, ...(opts.template ? [opts.template] : [])];
      if (opts.out !== undefined) checkOutputs(inputs, [{ flag: '--out', file: opts.out }]);
      const text = await readInputFile(config, {
        context: `${config}: cannot read the ${spec.label}`,
        code: 'FG_CONFIG_INVALID',
        maxBytes: MAX_SCENARIO_BYTES,
      });
      const imported: ImportedGateway = spec.read(parseConfigText(text, config));
      const template = opts.template
        ? parseConfigText(
            await readInputFile(opts.template, {
              context: `${opts.template}: cannot read the template`,
              code: 'FG_CONFIG_INVALID',
              maxBytes: MAX_SCENARIO_BYTES,
            }),
            opts.template,
          )
        : undefined;
      const name = opts.name ?? (basename(config, extname(config)).replace(/^[^A-Za-z0-9]+/, '') || gateway);
      const { scenario, notes } = buildScenario(
        imported,
        { name, rate: opts.rate, duration: opts.duration },
        template,
      );
      const yaml = scenarioYaml(scenario, `${gateway} ${basename(config)}`, notes);
      // The scenario must validate as written: a template mistake is reported against it now.
      await loadScenarioText(yaml, opts.template ?? `${config} (imported)`).catch((e: unknown) => {
        if (e instanceof FloodgateError && opts.template)
          throw new FloodgateError(
            e.code,
            `the scenario from ${opts.template} and ${config} is invalid:\n${e.message}`,
          );
        throw e;
      });
      if (opts.out !== undefined) await writeFileAtomic(opts.out, yaml);
      else process.stdout.write(yaml);
      if (!opts.quiet)
        for (const n of notes)
          process.stderr.write(
            `note: ${n.kind}: ${escapeLine(n.path || '(top level)')}: ${escapeLine(n.message)}\n`,
          );
    });
}
