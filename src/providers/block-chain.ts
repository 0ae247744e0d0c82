/**
 * Block-hash chains: the identity of a prompt's leading KV blocks, as vLLM's automatic prefix
 * caching names them. A block's key mixes its own hash with its parent's key, so two prompts
 * share block j's key only if they share every block before it: a cache lookup that walks the
 * chain from the start and stops at the first miss finds exactly the reusable prefix.
 *
 * Keys are safe integers (53 bits from two 32-bit mixes), so they key a Map and compare with ===.
 * Providers key their caches on them; routing policies that score prefixes compute the same keys
 * from the hashes the request view carries (a real gateway hashes the prompt the same way).
 */

/** murmur3's 32-bit finaliser. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_32 = 2 ** 32;

/** The key of a block with hash `block` whose parent's key is `parent` (the root: ROOT_KEY). */
export function chainKey(parent: number, block: number): number {
  const lo = parent >>> 0;
  const hi = Math.floor(parent / TWO_32) >>> 0;
  const b = fmix32((block | 0) ^ 0x9e3779b9);
  const a = fmix32(lo ^ b);
  const c = fmix32(hi ^ Math.imul(b, 0x27d4eb2f) ^ a);
  return (c & 0x1fffff) * TWO_32 + a;
}

/** The parent key of a chain's first block. */
export const ROOT_KEY = 0x2545f491;

/** Keys of a chain of block hashes, in order (`hashes` as a trace gives them). */
export function chainKeysOf(hashes: ArrayLike<number>, out: number[] = []): number[] {
  out.length = 0;
  let key = ROOT_KEY;
  for (let j = 0; j < hashes.length; j++) {
    key = chainKey(key, hashes[j]!);
    out.push(key);
  }
  return out;
}

/**
 * Keys of the first `blocks` blocks of a synthetic shared prefix (a class prefix group or an
 * agent session, `prefixId` >= 0): block j's hash is derived from the group and j, so requests
 * of one group share their leading blocks and nothing else.
 */
export function derivedChainKeys(prefixId: number, blocks: number, out: number[] = []): number[] {
  out.length = 0;
  let key = chainKey(chainKey(ROOT_KEY, prefixId % TWO_32), Math.floor(prefixId / TWO_32));
  for (let j = 0; j < blocks; j++) {
    key = chainKey(key, j);
    out.push(key);
  }
  return out;
}
