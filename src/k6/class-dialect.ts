/** Which API dialect a class's requests speak in a k6 script (its provider's `api`). */
import { type ApiDialect, DEFAULT_API_DIALECT } from '../providers/dialects.ts';
import type { ApiProviderConfig, ClassConfig, ProviderConfig, Scenario } from '../scenario/schema.ts';

/**
 * The provider whose dialect a class speaks: its first provider, else the first provider serving
 * its first model, else the first provider.
 */
export function dialectProvider(scenario: Scenario, c: ClassConfig): ProviderConfig | undefined {
  const model = c.models?.[0];
  if (c.providers) return scenario.providers.find((p) => p.name === c.providers![0]);
  const serving =
    model !== undefined ? scenario.providers.find((p) => (p.models ?? [p.name]).includes(model)) : undefined;
  return serving ?? scenario.providers[0];
}

/**
 * The dialect a class's requests speak: its provider's `api`; `openai-chat` for a provider that
 * names none (queue and GPU pools speak it too). `--set providers[N].api=openai-chat` switches a
 * class back, e.g. for a gateway that takes only OpenAI-format requests.
 */
export function dialectOfClass(scenario: Scenario, c: ClassConfig): ApiDialect {
  const provider = dialectProvider(scenario, c);
  return provider?.kind === 'api'
    ? ((provider as ApiProviderConfig).api ?? DEFAULT_API_DIALECT)
    : DEFAULT_API_DIALECT;
}
