/**
 * Which provider the emulator serves a chat request with when the path names none
 * (`POST /v1/chat/completions`), and so which provider the prediction of a direct run (k6
 * straight to the emulator, `floodgate run --topology direct`) sends each class to: one rule for
 * both, so the emulator serves what the prediction assumed.
 *
 * The candidates are the providers serving the body's `model` (named so, or listing it); when
 * the request names its class (`X-Floodgate-Class`), only those its class may use, as the
 * gateway allows them (`providers`, and a model in `models`), if any serve the model. Among the
 * candidates: the one named as the model, else the first whose primary (first-listed) model it
 * is, else the first in scenario order. A provider dedicated to a model serves it before one that
 * also serves it: tab-spike's `small` goes to its GPU pool, not to the hosted account that also
 * lists `small` as an overflow.
 */

/** What the choice reads of a provider: its name and the models it serves (its name when none). */
export interface ProviderModels {
  readonly name: string;
  readonly models: readonly string[];
}

/** What the choice reads of a request class: the providers and models it is restricted to. */
export interface ClassRestriction {
  readonly providers?: readonly string[] | undefined;
  readonly models?: readonly string[] | undefined;
}

const serves = (p: ProviderModels, model: string) => p.name === model || p.models.includes(model);

/** Whether the gateway lets the class use the provider (src/gateway/pipeline.ts `addTarget`). */
export function classMayUse(c: ClassRestriction, p: ProviderModels): boolean {
  return (
    (!c.providers || c.providers.includes(p.name)) &&
    (!c.models || p.models.some((m) => c.models!.includes(m)))
  );
}

/**
 * The index of the provider serving `model` for a request of class `c` (undefined: none serves
 * the model). `providers` in scenario order.
 */
export function chooseProvider(
  providers: readonly ProviderModels[],
  model: string,
  c?: ClassRestriction,
): number | undefined {
  const serving = providers.map((p, i) => ({ p, i })).filter(({ p }) => serves(p, model));
  if (serving.length === 0) return undefined;
  const allowed = c ? serving.filter(({ p }) => classMayUse(c, p)) : [];
  const candidates = allowed.length > 0 ? allowed : serving;
  const pick =
    candidates.find(({ p }) => p.name === model) ??
    candidates.find(({ p }) => p.models[0] === model) ??
    candidates[0]!;
  return pick.i;
}
