import type { ImportNote } from './reader.ts';

/** A provider an imported config names: one Portkey leaf target or one LiteLLM deployment. */
export interface ImportedProvider {
  name: string;
  /** Model names it serves (Portkey override_params.model, LiteLLM model_name). */
  models?: string[];
  rateLimit?: { rpm?: number; inputTpm?: number };
  /** Where the config describes it (for the scenario's comments). */
  from: string;
}

/** A gateway config translated: its providers, the scenario's `gateway` section, and notes. */
export interface ImportedGateway {
  gateway: 'portkey' | 'litellm';
  providers: ImportedProvider[];
  /** The scenario's `gateway` section (input form, durations with units). */
  gatewaySection: Record<string, unknown>;
  /** Model groups a default workload sends to (LiteLLM), one class each; none: one class for all. */
  classModels?: string[];
  notes: ImportNote[];
}
