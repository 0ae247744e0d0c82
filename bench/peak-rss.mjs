/**
 * Runs the built CLI in this process and reports its peak RSS: `node bench/peak-rss.mjs run FILE ...`
 * behaves like `node bin/floodgate.js run FILE ...`, then writes `peak-rss-kb <n>` as the last line
 * on stderr (process.resourceUsage().maxRSS, in kilobytes). The memory benchmark uses it when
 * `/usr/bin/time -v` is not available.
 */
import { main } from '../dist/cli.js';

process.on('exit', () => {
  process.stderr.write(`\npeak-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
process.exitCode = await main(process.argv.slice(2));
