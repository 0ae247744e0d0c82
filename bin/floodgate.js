#!/usr/bin/env node
// Entry point: runs the bundled CLI (dist/cli-start.cjs and what it loads: built by `npm run
// build`, which `npm ci` runs in a clone, and shipped built in the package). npm links this file
// onto PATH; Node resolves the require below from the file's real location, so a global or local
// install finds its dist/. A CommonJS file (bin/package.json): Node then starts without its ES
// module loader, which only a user's module needs.
'use strict';

const { main } = require('../dist/cli-start.cjs');

// A reader that stops early (`floodgate run ... | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
