/**
 * Prompt text of a given size in tokens: common three-letter English words, which BPE tokenizers
 * (cl100k, o200k, Llama 3) encode as one token each with their leading space, and which make
 * exactly four characters per token, the `ceil(characters / 4)` estimate the provider emulator
 * uses (docs/guide/emulator.md). Drawn from a seeded stream. The size is approximate for a real
 * tokenizer (the server's `usage.prompt_tokens` is recorded in the summary). Shared prefixes (the class's `prefix`) are fixed texts per group, so a
 * prefix cache in front of the model can hit as the simulator assumes.
 */
import { createStream, type Random } from './rng.ts';

const WORDS = (
  'the and for are but not you all any can had her was one our out day get has him his how man new ' +
  'now old see two way who boy did its let put say she too use yes yet far few big end ask air arm ' +
  'art bad bag bed bit box bus buy car cat cup cut dog dry ear eat egg eye fit fix fly fun gas god ' +
  'gun hat hit hot ice job key kid law lay leg lie lot low map mix net oil pay pen pet pop red row ' +
  'run sea set sit six sky son sun tax tea ten tie top toy try war win'
).split(' ');

/** `tokens` words from `rng`, space-separated (about one token each). */
export function words(rng: Random, tokens: number): string {
  const out: string[] = new Array(Math.max(0, tokens));
  for (let i = 0; i < out.length; i++) out[i] = WORDS[Math.floor(rng() * WORDS.length)]!;
  return out.join(' ');
}

const prefixCache = new Map<string, string>();
const PREFIX_CACHE_SIZE = 64;

/** The shared prefix text of group `group` of a class: the same for every request of the group. */
export function prefixText(seed: number, className: string, group: number, tokens: number): string {
  const key = `${className}/${group}/${tokens}`;
  let text = prefixCache.get(key);
  if (text === undefined) {
    if (prefixCache.size >= PREFIX_CACHE_SIZE) prefixCache.clear();
    text = words(createStream(seed, `k6/prefix/${className}/${group}`), tokens);
    prefixCache.set(key, text);
  }
  return text;
}

/** `text` without its first `n` words (the oldest tokens of a session's context). */
export function dropWords(text: string, n: number): string {
  return text.split(' ').slice(n).join(' ');
}
