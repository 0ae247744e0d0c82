import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../../errors.ts';
import { scenarioSchema } from '../../scenario/schema.ts';
import { shorten } from '../../text/quote.ts';
import { checkOutputs, writeFileAtomic } from '../output.ts';

/** JSON Schema of scenario files, for editor completion (yaml-language-server) and other tools. */
export function scenarioJsonSchema(): unknown {
  return {
    ...z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'Floodgate scenario',
  };
}

export function schemaCommand(): Command {
  return new Command('schema')
    .description('Print the JSON Schema of scenario files (for editor completion and validation).')
    .option('--out <file>', 'write it to a file instead of stdout')
    .addHelpText(
      'after',
      '\nIn VS Code with the YAML extension, start a scenario with:\n  # yaml-language-server: $schema=./scenario.schema.json\n\nExit codes: 0 printed or written, 1 the file cannot be written, 2 bad usage, 70 a bug.',
    )
    .action(async (opts: { out?: string }) => {
      const text = `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
      if (opts.out !== undefined) {
        checkOutputs([], [{ flag: '--out', file: opts.out }]);
        // The schema is JSON: an existing file of another kind is most likely a scenario.
        if (existsSync(opts.out) && extname(opts.out).toLowerCase() !== '.json')
          throw new UsageError(
            `--out ${shorten(opts.out)}: the file exists and is not a .json file; refusing to overwrite it with the JSON Schema`,
          );
        await writeFileAtomic(opts.out, text);
      } else process.stdout.write(text);
    });
}
