/**
 * KvOffloadTier: a replica's second KV tier in CPU memory, holding the prefix blocks its GPU
 * prefix cache evicted, least recently evicted (or used) first out when full. Modelled on vLLM's
 * KV offloading connector (`--kv-offloading-backend native --kv-offloading-size <GiB>`;
 * vllm/v1/kv_offload/cpu.py and lru_manager.py: a CPU block pool with LRU eviction) and LMCache's
 * CPU backend (`max_local_cpu_size`, LRU). A lookup continues a prompt's chain where the GPU cache
 * stopped; blocks found here are loaded back into GPU KV at the host link's bandwidth (the
 * connector's host-to-device copy; default 50 GB/s per GPU, as vLLM measured on an H100 over
 * PCIe 5.0: see `offload.bandwidthGBps` in scenario/schema.ts) instead of being prefilled again.
 *
 * The tiers are exclusive here: a block leaves this tier when a sequence loads it back (it is the
 * sequence's GPU block from then on, cached on the GPU when its prefill ends), and a block the GPU
 * caches again is dropped here. vLLM's connector writes blocks through as they are computed (a
 * block may sit in both); an exclusive tier holds the same hits while the GPU cache keeps a block,
 * and only evicted blocks need the CPU memory, so the hit counts match an exclusive two-tier LRU.
 * Storing (the device-to-host copy) is not charged: vLLM and LMCache copy asynchronously on a
 * separate stream, overlapped with compute.
 */
export class KvOffloadTier {
  /** Most KV blocks the tier holds (Infinity: unbounded). */
  readonly capacityKv: number;
  /** Block key -> its KV blocks, least recently stored first (a Map keeps insertion order). */
  private readonly blocks = new Map<number, number>();
  /** KV blocks held now. */
  usedKv = 0;
  /** Blocks the tier received from the GPU tier, and dropped for room. */
  stored = 0;
  evicted = 0;

  constructor(capacityKv: number) {
    this.capacityKv = capacityKv;
  }

  /** A block the GPU tier evicted; the least recent ones go when it does not fit. */
  put(key: number, kv: number): void {
    if (kv > this.capacityKv) return;
    const had = this.blocks.get(key);
    if (had !== undefined) {
      this.blocks.delete(key);
      this.usedKv -= had;
    }
    this.blocks.set(key, kv);
    this.usedKv += kv;
    this.stored++;
    while (this.usedKv > this.capacityKv) {
      const [oldest, oldKv] = this.blocks.entries().next().value!;
      this.blocks.delete(oldest);
      this.usedKv -= oldKv;
      this.evicted++;
    }
  }

  has(key: number): boolean {
    return this.blocks.has(key);
  }

  /** Takes a block out (it moves to the GPU tier); false when it is not here. */
  take(key: number): boolean {
    const kv = this.blocks.get(key);
    if (kv === undefined) return false;
    this.blocks.delete(key);
    this.usedKv -= kv;
    return true;
  }

  /** The host lost its memory (the replica went down). */
  clear(): void {
    this.blocks.clear();
    this.usedKv = 0;
  }

  /** Blocks held now. */
  get size(): number {
    return this.blocks.size;
  }

  /** Keys held now, least recent first (for tests). */
  keys(): number[] {
    return [...this.blocks.keys()];
  }
}
