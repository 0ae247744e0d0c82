/**
 * Moving a prompt's KV cache from a prefill replica to a decode replica (disaggregated serving):
 * bytes = KV bytes per token (the model's architecture, catalog.ts) x prompt tokens, over one
 * link of `bandwidthGBps`, plus a fixed `latencyMs` per transfer (connection set-up, the
 * transfer engine's handshake and completion notice).
 *
 * Example: Llama-3.1-8B holds 128 KiB of KV per token, so a 16k-token prompt is 2.15 GB: 43 ms
 * at 50 GB/s, plus 0.5 ms. Mooncake measured 2.25 GB in 16.4 ms over 8 x 200 Gb/s RoCE.
 */
import { kvBytesPerToken, type ModelProfile } from './catalog.ts';

export interface KvLink {
  bandwidthGBps: number;
  latencyMs: number;
}

/** Milliseconds to move the KV of `tokens` prompt tokens of `model` over `link`. */
export function kvTransferMs(model: ModelProfile, tokens: number, link: KvLink): number {
  return (kvBytesPerToken(model) * tokens * 1000) / (link.bandwidthGBps * 1e9) + link.latencyMs;
}

/** Which requests a P/D decider disaggregates: all, or those with at least this many uncached prompt tokens. */
export type PdDecider = 'always' | { minUncachedPromptTokens: number };

/**
 * Whether `decider` sends a request with `uncachedTokens` prompt tokens to the prefill pool
 * (llm-d's prefix-based P/D decider: a prompt mostly cached on the decode replica, or short,
 * prefills there, where moving its KV would cost more than computing it).
 */
export function disaggregates(decider: PdDecider, uncachedTokens: number): boolean {
  return decider === 'always' || uncachedTokens >= decider.minUncachedPromptTokens;
}
