#!/usr/bin/env node
// Entry point: runs the bundled CLI (dist/cli.js, built by `npm run build`, which `npm ci` runs).
import { main } from '../dist/cli.js';

// A reader that stops early (`floodgate run ... | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
