/**
 * Entry of an xk6-sse script (`floodgate k6 --mode sse`): streamed requests are read event by
 * event for exact TTFT and inter-token latency. Needs a k6 built with
 * `xk6 build --with github.com/phymbert/xk6-sse`.
 */
import type { Options } from 'k6/options';
import { config } from './config.ts';
import { createScript } from './script.ts';
import { sseTransport } from './transport-sse.ts';

const script = createScript(config, sseTransport);

export const options: Options = config.options;
export default script.iteration;
export const handleSummary = script.handleSummary;
