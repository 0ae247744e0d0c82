#!/usr/bin/env node
// Entry point: runs the bundled CLI (dist/cli.js: built by `npm run build`, which `npm ci` runs in
// a clone, and shipped built in the package). npm links this file onto PATH; Node resolves the
// import below from the file's real location, so a global or local install finds its dist/.
import { main } from '../dist/cli.js';

// A reader that stops early (`floodgate run ... | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
