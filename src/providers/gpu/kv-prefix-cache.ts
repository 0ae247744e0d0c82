/**
 * KvPrefixCache: one replica's automatic prefix cache over its KV blocks, with vLLM's semantics
 * (vllm/v1/core/block_pool.py, kv_cache_manager.py):
 * - a prompt's full blocks are named by hash chains (block-chain.ts): a lookup walks the chain
 *   from the first block and stops at the first block not cached, so a block is reused only when
 *   every block before it matches;
 * - the last prompt token is always computed (a hit covers at most promptTokens - 1 tokens, in
 *   whole blocks), as vLLM caps `max_cache_hit_length`;
 * - a cached block is shared: each sequence using it holds a reference; while any does, it cannot
 *   be evicted;
 * - a block nobody references stays cached in free memory and is evicted least recently freed
 *   first, when an allocation needs its memory; a sequence frees its blocks tail first, so the
 *   end of a chain goes before its beginning (vLLM frees in reverse order);
 * - a block is cached as soon as the prefill chunk that computes it is scheduled, as vLLM does
 *   (`allocate_slots` caches the full blocks up to the computed tokens plus the new ones): a
 *   request arriving while a long prompt with the same prefix is still prefilling reuses the
 *   blocks of its chunks so far, and one scheduled later in the same iteration reuses the blocks
 *   that iteration computes (each layer writes its KV before attention reads it); a block another
 *   sequence cached meanwhile stays a private duplicate, as in vLLM.
 *
 * The replica keeps its count of free KV blocks (free memory, cached blocks nobody uses
 * included); this cache keeps how much of that memory holds cached blocks (`evictableKv`) and
 * evicts when an allocation leaves less free memory than that (`fit`).
 *
 * A hashed block covers `blockTokens` tokens (the trace's block size, e.g. Mooncake's 512, or the
 * replica's KV block size for synthetic prefix groups) and takes blockTokens / KV block size KV
 * blocks: a trace's block size should be a multiple of the pools' (16 by default; 512 is). Any
 * other is charged the whole KV blocks inside it (at least one).
 *
 * With a CPU tier (`offload`, kv-offload-tier.ts) the blocks this cache evicts go there, and a
 * lookup continues the chain there where the GPU cache stops (`matchOffloaded`).
 */
import { chainKeysOf, derivedChainKeys } from '../block-chain.ts';
import type { WorkItem } from '../work-item.ts';
import type { KvOffloadTier } from './kv-offload-tier.ts';

/** Receives what a replica's cache stores and evicts (vLLM's KV events: BlockStored, BlockRemoved, AllBlocksCleared). */
export interface KvCacheEvents {
  stored(keys: readonly number[]): void;
  removed(keys: readonly number[]): void;
  cleared(): void;
}

/** What one sequence brings to, and holds in, its replica's cache. */
export class KvHold {
  /** Chain keys of the prompt's full blocks, in order. */
  readonly keys: number[];
  /** Tokens per hashed block. */
  readonly blockTokens: number;
  /** KV blocks per hashed block. */
  readonly kvPerBlock: number;
  /** Cached blocks this sequence holds a reference on (hits, then blocks it computed and cached). */
  readonly held: Entry[] = [];
  /** KV blocks those references stand for. */
  heldKv = 0;
  /** Prompt tokens its first admission found cached (what the attempt reports), GPU and CPU tiers. */
  cachedTokens = 0;
  /** Of those, the CPU tier's. */
  offloadedTokens = 0;
  /** Its last lookup: the blocks found (some may have been evicted since). */
  readonly found: Entry[] = [];
  /** Keys before this one are cached or held (hits, then blocks its prefill computed). */
  nextToStore = 0;

  constructor(keys: number[], blockTokens: number, kvPerBlock: number) {
    this.keys = keys;
    this.blockTokens = blockTokens;
    this.kvPerBlock = kvPerBlock;
  }
}

/** A cached block; while nobody references it, a link in the free list. */
class Entry {
  readonly key: number;
  readonly kv: number;
  refs = 0;
  /** Left the cache (a lookup that found it must look again). */
  evicted = false;
  prev: Entry | null = null;
  next: Entry | null = null;
  constructor(key: number, kv: number) {
    this.key = key;
    this.kv = kv;
  }
}

export class KvPrefixCache {
  private readonly kvBlockSize: number;
  /** Every cached block by key. */
  private readonly entries = new Map<number, Entry>();
  /**
   * Cached blocks nobody references, least recently freed first: a doubly linked list through
   * the entries around a sentinel (O(1) to take one out or put one at the end, no allocation).
   */
  private readonly free = new Entry(Number.NaN, 0);
  /** KV blocks the free cached blocks take (part of the replica's free blocks). */
  evictableKv = 0;
  /** Most KV blocks cached blocks nobody uses may keep (the scenario's `share`; Infinity: all free memory). */
  private readonly maxEvictableKv: number;
  /** Prompt tokens of first admissions, and how many of them the cache served. */
  promptTokens = 0;
  cachedTokens = 0;
  /** First admissions that found at least one block. */
  hits = 0;
  /** Prompt tokens of first admissions the CPU tier served, and first admissions it served any. */
  offloadedTokens = 0;
  offloadHits = 0;
  /** The CPU tier under this cache (undefined: none). */
  readonly offload: KvOffloadTier | undefined;
  private events: KvCacheEvents | undefined;
  private readonly batch: number[] = [];

  constructor(kvBlockSize: number, maxEvictableKv = Number.POSITIVE_INFINITY, offload?: KvOffloadTier) {
    this.kvBlockSize = kvBlockSize;
    this.maxEvictableKv = maxEvictableKv;
    this.offload = offload;
    this.free.prev = this.free;
    this.free.next = this.free;
  }

  /** Sends what is stored and evicted from now on to `events` (none: nobody listens). */
  listen(events: KvCacheEvents | undefined): void {
    this.events = events;
  }

  /**
   * What a request brings to a cache: the keys of its trace's block hashes, or of its synthetic
   * prefix group's derived chain (KV-block-sized blocks over its prefix tokens); undefined when
   * neither gives it a full block.
   */
  holdFor(work: WorkItem): KvHold | undefined {
    const hashes = work.blockHashes;
    if (hashes !== undefined && hashes.length > 0 && work.hashBlockTokens > 0) {
      const tokens = work.hashBlockTokens;
      const full = Math.min(hashes.length, Math.floor(work.promptTokens / tokens));
      if (full === 0) return undefined;
      const keys = chainKeysOf(full < hashes.length ? hashes.subarray(0, full) : hashes);
      return new KvHold(keys, tokens, Math.max(1, Math.floor(tokens / this.kvBlockSize)));
    }
    if (work.prefixId < 0 || work.prefixTokens <= 0) return undefined;
    const blocks = Math.floor(Math.min(work.prefixTokens, work.promptTokens) / this.kvBlockSize);
    if (blocks === 0) return undefined;
    return new KvHold(derivedChainKeys(work.prefixId, blocks), this.kvBlockSize, 1);
  }

  /**
   * Leading blocks of `hold` cached now, covering at most `promptTokens - 1` tokens; `acquire`
   * takes them if nothing changes the cache in between.
   */
  match(hold: KvHold, promptTokens: number): number {
    const max = Math.min(hold.keys.length, Math.floor((promptTokens - 1) / hold.blockTokens));
    const found = hold.found;
    // A head of waiting that cannot start yet is looked up again each iteration: keep the blocks
    // found before up to the first evicted one, and look up only the chain past them.
    let kept = 0;
    while (kept < found.length && kept < max && !found[kept]!.evicted) kept++;
    found.length = kept;
    for (let j = kept; j < max; j++) {
      const e = this.entries.get(hold.keys[j]!);
      if (e === undefined) break;
      found.push(e);
    }
    return found.length;
  }

  /**
   * Blocks of `hold`'s chain in the CPU tier right after the `from` found on the GPU, within the
   * same `promptTokens - 1` cap; 0 without a CPU tier.
   */
  matchOffloaded(hold: KvHold, promptTokens: number, from: number): number {
    const tier = this.offload;
    if (tier === undefined) return 0;
    const max = Math.min(hold.keys.length, Math.floor((promptTokens - 1) / hold.blockTokens));
    let j = from;
    while (j < max && tier.has(hold.keys[j]!)) j++;
    return j - from;
  }

  /** Takes blocks `from` .. `from + n` of `hold`'s chain out of the CPU tier: the sequence loads them into its own KV blocks. */
  takeOffloaded(hold: KvHold, from: number, n: number): void {
    for (let j = from; j < from + n; j++) this.offload!.take(hold.keys[j]!);
  }

  /** KV blocks from free memory that taking the first `m` blocks `match` found for `hold` uses (cached blocks nobody holds). */
  freeKvTakenBy(hold: KvHold, m: number): number {
    let kv = 0;
    for (let j = 0; j < m; j++) {
      const e = hold.found[j]!;
      if (e.refs === 0) kv += e.kv;
    }
    return kv;
  }

  /** `hold` takes references on the first `m` blocks `match` found for it; returns the KV blocks that left free memory. */
  acquire(hold: KvHold, m: number): number {
    let taken = 0;
    for (let j = 0; j < m; j++) {
      const e = hold.found[j]!;
      if (e.refs++ === 0) {
        this.unlink(e);
        this.evictableKv -= e.kv;
        taken += e.kv;
      }
      hold.held.push(e);
      hold.heldKv += e.kv;
    }
    hold.found.length = 0;
    hold.nextToStore = m;
    return taken;
  }

  /**
   * Counts a first admission: its prompt and the tokens the GPU cache and the CPU tier served (the
   * sequence reports both as cached, as vLLM's `cached_tokens` counts its connector's tokens).
   */
  countAdmission(
    hold: KvHold | undefined,
    promptTokens: number,
    cachedTokens: number,
    offloadedTokens = 0,
  ): void {
    this.promptTokens += promptTokens;
    this.cachedTokens += cachedTokens;
    if (cachedTokens > 0) this.hits++;
    if (offloadedTokens > 0) {
      this.offloadedTokens += offloadedTokens;
      this.offloadHits++;
    }
    if (hold) {
      hold.cachedTokens = cachedTokens + offloadedTokens;
      hold.offloadedTokens = offloadedTokens;
    }
  }

  /**
   * `hold`'s sequence has its first `computedTokens` prompt tokens computed (or scheduled): its
   * full blocks among them not cached yet are cached, referenced by it. Returns the KV blocks that
   * turned from private to shared (the sequence holds them here now).
   */
  store(hold: KvHold, computedTokens: number): number {
    const upTo = Math.min(hold.keys.length, Math.floor(computedTokens / hold.blockTokens));
    if (upTo <= hold.nextToStore) return 0;
    const batch = this.batch;
    batch.length = 0;
    let kv = 0;
    const from = hold.nextToStore;
    hold.nextToStore = upTo;
    for (let j = from; j < upTo; j++) {
      const key = hold.keys[j]!;
      if (this.entries.has(key)) continue; // computed by another sequence meanwhile: a private duplicate
      this.offload?.take(key); // the GPU holds it again: one tier at a time
      const e = new Entry(key, hold.kvPerBlock);
      e.refs = 1;
      this.entries.set(key, e);
      hold.held.push(e);
      hold.heldKv += e.kv;
      kv += e.kv;
      batch.push(key);
    }
    if (batch.length > 0) this.events?.stored(batch);
    return kv;
  }

  /** `hold`'s sequence lets go of its blocks; returns the KV blocks nobody references any more (now free, still cached). */
  release(hold: KvHold): number {
    let freed = 0;
    const held = hold.held;
    for (let j = held.length - 1; j >= 0; j--) {
      const e = held[j]!;
      if (--e.refs === 0) {
        this.append(e);
        this.evictableKv += e.kv;
        freed += e.kv;
      }
    }
    held.length = 0;
    hold.heldKv = 0;
    hold.nextToStore = 0;
    if (this.evictableKv > this.maxEvictableKv) this.fit(Number.POSITIVE_INFINITY);
    return freed;
  }

  /** Whether `fit(freeKv)` would evict anything now. */
  wouldEvict(freeKv: number): boolean {
    return this.evictableKv > Math.min(freeKv, this.maxEvictableKv);
  }

  /** Evicts the least recently freed cached blocks until they fit in `freeKv` free KV blocks. */
  fit(freeKv: number): void {
    const room = Math.min(freeKv, this.maxEvictableKv);
    if (this.evictableKv <= room) return;
    const batch = this.batch;
    batch.length = 0;
    while (this.evictableKv > room && this.free.next !== this.free) {
      const e = this.free.next!;
      this.unlink(e);
      this.entries.delete(e.key);
      e.evicted = true;
      this.evictableKv -= e.kv;
      batch.push(e.key);
      this.offload?.put(e.key, e.kv);
    }
    if (batch.length > 0) this.events?.removed(batch);
  }

  /** The replica lost its memory (it went down): nothing is cached. */
  clear(): void {
    this.offload?.clear();
    if (this.entries.size === 0) return;
    for (const e of this.entries.values()) e.evicted = true;
    this.entries.clear();
    this.free.prev = this.free;
    this.free.next = this.free;
    this.evictableKv = 0;
    this.events?.cleared();
  }

  /** Each cached block's key, references and whether it is in the free list (for tests). */
  blocks(): { key: number; refs: number; free: boolean }[] {
    return [...this.entries.values()].map((e) => ({ key: e.key, refs: e.refs, free: e.prev !== null }));
  }

  /** Blocks cached now (for tests and gauges). */
  get size(): number {
    return this.entries.size;
  }

  /** Share of first-admission prompt tokens served from the cache (0 before any). */
  get tokenHitRate(): number {
    return this.promptTokens > 0 ? this.cachedTokens / this.promptTokens : 0;
  }

  private unlink(e: Entry): void {
    e.prev!.next = e.next;
    e.next!.prev = e.prev;
    e.prev = null;
    e.next = null;
  }

  /** Puts a block at the most recent end of the free list. */
  private append(e: Entry): void {
    const tail = this.free.prev!;
    e.prev = tail;
    e.next = this.free;
    tail.next = e;
    this.free.prev = e;
  }
}
