/** What the bundler inlines into k6/runtime/config.ts (see src/k6/bundle.ts). */
import type { ScriptConfig, TraceRecords } from '../../src/k6/script-config.ts';

declare global {
  /** The compiled ScriptConfig. */
  const __FLOODGATE_CONFIG__: ScriptConfig;
  /** Trace records per class. */
  const __FLOODGATE_TRACES__: TraceRecords;
}
