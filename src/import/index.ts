export { ConfigInvalidError, type ConfigProblem, parseConfigText } from './config-text.ts';
export { coverageMarkdown, LITELLM_COVERAGE, PORTKEY_COVERAGE } from './coverage.ts';
export type { ImportedGateway, ImportedProvider } from './imported.ts';
export { importLitellm } from './litellm.ts';
export { importPortkey } from './portkey.ts';
export type { ImportNote } from './reader.ts';
export { buildScenario, scenarioYaml } from './scenario.ts';
