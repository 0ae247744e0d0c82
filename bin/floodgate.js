#!/usr/bin/env node
// Entry point: runs the bundled CLI (dist/cli.js, built by `npm run build`, which `npm ci` runs).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
