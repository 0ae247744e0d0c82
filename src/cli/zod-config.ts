/**
 * zod settings for the CLI, imported first by main.ts and run-entry.ts (the two bundles' entries) so they hold before any schema is built.
 *
 * jitless: zod compiles a parser for each object schema with `new Function` on its first parse,
 * code no cache keeps, so a process that parses one scenario pays for compiling it at every start
 * (about 3% of a 1 s run's instructions). Parsing accepts, rejects and reports exactly as before.
 */
import { z } from 'zod';

z.config({ jitless: true });
