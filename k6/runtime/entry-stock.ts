/**
 * Entry of a stock-k6 script (`floodgate k6 --mode stock`): k6/http only, TTFT is time to first
 * byte. The bundler inlines the configuration and everything imported, leaving only k6 modules.
 */
import type { Options } from 'k6/options';
import { config } from './config.ts';
import { createScript } from './script.ts';
import { stockTransport } from './transport-stock.ts';

const script = createScript(config, stockTransport);

export const options: Options = config.options;
export default script.iteration;
export const handleSummary = script.handleSummary;
