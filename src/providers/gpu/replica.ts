/**
 * GpuReplica: one model server (one or more GPUs under tensor parallelism) with a scheduler like
 * vLLM's: iteration-level continuous batching, a paged KV cache, chunked prefill (or separate
 * prefill iterations when it is off), preemption by recompute, and an optional prefix cache.
 *
 * Cost per iteration is O(1) in the number of decoding sequences: each decoding sequence's
 * context grows by one token per iteration, so the replica keeps aggregates instead of touching
 * every sequence:
 * - context of sequence i during iteration k is base_i + k, so the batch's total context is
 *   sum(base) + n x k;
 * - sequence i needs a new KV block in iteration k when (base_i + k) mod blockSize = 0, so a count
 *   of decoding sequences per residue of base mod blockSize gives the blocks needed;
 * - a sequence finishes at a known iteration, kept in a min-heap (entries of sequences that left
 *   early are skipped when they surface).
 * One event per iteration per replica; never one per token. On the virtual clock a run of
 * decode-only iterations in which nothing finishes, joins or needs to be preempted is one event:
 * the replica plans those iterations ahead (the same times, each computed as it would be when the
 * iteration starts) and catches its counters up to the clock when something reads them; anything
 * that changes the batch first cuts the plan back to the iteration in progress (see `plan`).
 *
 * Batching follows vLLM's V1 engine (vllm/v1/core/sched/scheduler.py, vLLM 0.11): each iteration
 * schedules the running sequences first (one token per decoder, the next chunk of each partial
 * prefill), then admits waiting ones, every prefill taking what is left of the token budget
 * (max_num_batched_tokens) unless a per-sequence cap is set (long_prefill_token_threshold, off by
 * default), so several prompts share one prefill iteration and a lone long prompt is not cut
 * into small chunks. An idle replica starts its next iteration at the end of the instant a request
 * arrives, so requests arriving together are batched together (vLLM's engine loop drains its input
 * queue before it schedules).
 *
 * Sequence lifecycle: waiting -> prefilling (one or more chunks) -> first token -> decoding ->
 * done; preemption sends a prefilling or decoding sequence back to the front of waiting, to
 * recompute its prompt and the tokens it had generated (vLLM's recompute mode).
 */

import type { Scheduler } from '../../engine/clock.ts';
import { Deque } from '../../engine/deque.ts';
import type { Attempt } from '../attempt.ts';
import type { FaultState } from '../faults/fault-state.ts';
import { FinishHeap } from './finish-heap.ts';
import { KvOffloadTier } from './kv-offload-tier.ts';
import { type KvHold, KvPrefixCache } from './kv-prefix-cache.ts';
import type { IterationTimeModel, IterationWork } from './time-model.ts';

export interface SchedulerOptions {
  maxSeqs: number;
  maxBatchedTokens: number;
  chunkedPrefill: boolean;
  /**
   * Most prompt tokens one sequence prefills per iteration (chunked prefill; vLLM's
   * long_prefill_token_threshold). Infinity: no cap but the token budget (vLLM's default).
   */
  chunkSize: number;
  blockSize: number;
  /** KV blocks of the replica. */
  kvBlocks: number;
  /** Blocks kept free when admitting new sequences (vLLM's watermark). */
  watermarkBlocks: number;
  /**
   * Prefix caching (kv-prefix-cache.ts): 0 turns it off; otherwise the most KV blocks that cached
   * blocks nobody uses may keep (Infinity: all free memory, as vLLM).
   */
  prefixCacheBlocks: number;
  /** A CPU tier under the prefix cache (kv-offload-tier.ts); absent: none. */
  offload?: OffloadOptions;
}

/** A replica's CPU KV tier: its size, and what loading blocks back from it costs. */
export interface OffloadOptions {
  /** KV blocks the tier holds (Infinity: unbounded). */
  capacityKv: number;
  /** Milliseconds to copy one token's KV from host to device memory (bytes per token over the link). */
  msPerToken: number;
  /** Fixed cost of one load, ms. */
  latencyMs: number;
}

/** `transferring`: KV blocks taken on a decode replica, its prompt's KV still on the way (disaggregation). */
type SeqState = 'waiting' | 'prefilling' | 'transferring' | 'decoding' | 'done';

/** One attempt being served by a replica. */
export class Sequence {
  attempt: Attempt;
  state: SeqState = 'waiting';
  /** Tokens to prefill (prompt, plus generated tokens after a preemption). */
  promptTokens: number;
  /** Tokens of the prompt already in the KV cache (prefilled or from the prefix cache). */
  prefilled = 0;
  /** Output tokens still to generate (the first one comes out of the prefill). */
  remaining: number;
  /** Output tokens to deliver in total (fewer than requested when a stream cut applies). */
  deliver: number;
  /** Context of this sequence in iteration k is base + k while decoding. */
  base = 0;
  /** base mod blockSize (0 .. blockSize - 1): its count in the replica's residue table. */
  baseResidue = 0;
  /** Iteration at whose end it delivers its last token. */
  finishIteration = 0;
  /** Iteration its decoding began. */
  joinIteration = 0;
  /** Blocks held while prefilling (whole prompt reserved at admission). */
  blocks = 0;
  /** Admission order, the finish heap's tie-break (-1 before the first admission). */
  admitted = -1;
  /** When it last joined the replica's running set (see GpuReplica.joinCounter); newest preempted first. */
  joined = -1;
  /** First token already delivered (survives preemption). */
  firstTokenDone = false;
  failAtFirstToken: boolean;
  /** Its prompt's blocks in the replica's prefix cache (undefined: cache off, or no full block to share). */
  kv: KvHold | undefined = undefined;
  /** Index of the replica serving it. */
  replica: number;
  /** Its prefix blocks are being copied back from the CPU tier: no prefill until they are in. */
  loading = false;
  /** Loads started for it (a load's end counts only if no later one replaced it). */
  loads = 0;
  /**
   * Disaggregated serving: ms its prompt's KV takes to arrive from the prefill replica once this
   * (decode) replica has taken blocks for it; -1 for a sequence that prefills here.
   */
  transferMs = -1;
  /** Prompt tokens a prefix cache served elsewhere (on its prefill replica). */
  cachedElsewhere = 0;
  /**
   * Nothing but its pool refers to it once it finishes (no stale heap or waiting entry, no load
   * or transfer timer): its pool may reuse it (`reset`). Cleared by whatever may leave a reference.
   */
  reusable = true;

  constructor(attempt: Attempt, deliver: number, failAtFirstToken: boolean, replica: number) {
    this.attempt = attempt;
    this.replica = replica;
    const req = attempt.work;
    this.promptTokens = req.promptTokens;
    this.remaining = deliver;
    this.deliver = deliver;
    this.failAtFirstToken = failAtFirstToken;
  }

  /** Makes a finished, reusable sequence what `new Sequence(...)` with these arguments would be. */
  reset(attempt: Attempt, deliver: number, failAtFirstToken: boolean, replica: number): Sequence {
    this.attempt = attempt;
    this.state = 'waiting';
    this.promptTokens = attempt.work.promptTokens;
    this.prefilled = 0;
    this.remaining = deliver;
    this.deliver = deliver;
    this.base = 0;
    this.baseResidue = 0;
    this.finishIteration = 0;
    this.joinIteration = 0;
    this.blocks = 0;
    this.admitted = -1;
    this.joined = -1;
    this.firstTokenDone = false;
    this.failAtFirstToken = failAtFirstToken;
    this.kv = undefined;
    this.replica = replica;
    this.loading = false;
    this.loads = 0;
    this.transferMs = -1;
    this.cachedElsewhere = 0;
    this.reusable = true;
    return this;
  }
}

/** Receives sequences as they deliver their first token and as they end. */
export interface ReplicaListener {
  /** The sequence got its KV blocks and joined the batch (first admission only). */
  admitted(seq: Sequence, nowMs: number): void;
  firstToken(seq: Sequence, nowMs: number): void;
  finished(seq: Sequence, nowMs: number): void;
}

export class GpuReplica {
  readonly index: number;
  private readonly scheduler: Scheduler;
  private readonly timeModel: IterationTimeModel;
  private readonly options: SchedulerOptions;
  private readonly faults: FaultState;
  private readonly listener: ReplicaListener;

  private readonly waiting = new Deque<Sequence>();
  private readonly prefilling: Sequence[] = [];
  /**
   * Stamps of joining the running set (admission, or a transferred sequence joining the
   * decoders): preemption takes the running sequence with the newest. No list keeps them, so
   * nothing holds a finished sequence (and its request) alive and nothing scans finished ones.
   */
  private joinCounter = 0;
  private running = 0;
  private admittedCounter = 0;

  // Decode aggregates (see the class comment).
  private decoding = 0;
  private baseSum = 0;
  private readonly residue: Int32Array;
  /** Finish times, earliest first (ties: admission order); stale entries are skipped. */
  private readonly finishHeap = new FinishHeap<Sequence>();
  /**
   * The heap's earliest finish, capped at NO_FINISH (a small integer, kept in the replica: most
   * iteration ends finish nobody and need not read the heap's arrays). At or below the heap's.
   */
  private nextFinish = NO_FINISH;

  private freeBlocks: number;
  /**
   * Decode step counter: the index of the next iteration in which decoders run. It advances only
   * with iterations that decode (without chunked prefill, a prefill-only iteration does not).
   */
  private k = 0;
  private iterating = false;
  /** An iteration start is scheduled for the end of the current instant. */
  private kickPending = false;
  private readonly onKick = () => {
    this.kickPending = false;
    if (!this.iterating) this.startIteration();
  };
  /** The iteration in progress runs the decoders. */
  private decodingNow = false;
  /** Sequences whose prefill ends with the iteration in progress. */
  private readonly prefillDone: Sequence[] = [];
  private prefillDoneCount = 0;
  /** The automatic prefix cache (undefined: off). */
  readonly kv: KvPrefixCache | undefined;
  /** The last prefix lookup: blocks found, and KV blocks they spare the sequence from allocating. */
  private hitBlocks = 0;
  private hitSavesKv = 0;
  /** The last prefix lookup's blocks in the CPU tier, after the GPU's. */
  private offloadBlocks = 0;
  /** The host link is busy with loads until then (loads queue on it). */
  private linkFreeMs = 0;
  /** Admitted sequences loaded from the CPU tier whose prefill has not been scheduled yet. */
  private loadedUnscheduled = 0;
  /** Loads from the CPU tier, and the milliseconds of transfer they took (latency included). */
  offloadLoads = 0;
  offloadTransferMs = 0;
  /** Sequences whose KV is on its way from a prefill replica, and those whose KV has arrived. */
  private readonly transferring: Sequence[] = [];
  private readonly arrived: Sequence[] = [];
  /** Transferred sequences in waiting (they need KV blocks but no token budget). */
  private transfersWaiting = 0;
  private readonly onTransferDone = (seq: Sequence) => this.transferDone(seq);
  // Decode iterations with and without prefill work beside them, and their time (decode
  // interference); time spent iterating (for utilization) and iterations run. Read through the
  // getters below, which first catch up with planned iterations.
  private pureSteps = 0;
  private mixedSteps = 0;
  private pureMs = 0;
  private mixedMs = 0;
  private busy = 0;
  private iterationsRun = 0;
  /** Up (serving) or down (lost to a fault, or warming up). */
  up = true;
  /** Preemptions so far. */
  preemptions = 0;
  /**
   * Planned decode-only iterations (see `plan`): on the virtual clock only (the wall clock keeps
   * one event per iteration). planMs[planPos .. planLen) are the iterations after the one in
   * progress, the first starting at planStartMs; planHandle is the event at the end of the last.
   */
  /**
   * Only on the virtual clock (its scheduler has `countFolded`, told of each planned iteration's
   * end, and `reschedule`, which moves the plan's end when the plan is cut).
   */
  private readonly planAhead: boolean;
  private readonly planMs = new Float64Array(PLAN_MAX);
  /** Free KV blocks once each planned iteration has taken its decode blocks. */
  private readonly planFree = new Int32Array(PLAN_MAX);
  private planLen = 0;
  /**
   * Most iterations the next plan may hold: doubled when a whole plan runs, halved when a change
   * throws more than half of one away, so a replica whose batch changes every few iterations does
   * not compute a long plan each time only to drop it.
   */
  private planCap = PLAN_MIN;
  private planPos = 0;
  private planStartMs = 0;
  private planHandle = 0;
  private readonly onIterationEnd = () => this.endIteration();
  private readonly work: Required<IterationWork> = {
    prefillTokens: 0,
    prefillAttention: 0,
    prefillSeqs: 0,
    decodeSeqs: 0,
    decodeContext: 0,
  };

  constructor(
    index: number,
    scheduler: Scheduler,
    timeModel: IterationTimeModel,
    options: SchedulerOptions,
    faults: FaultState,
    listener: ReplicaListener,
  ) {
    this.index = index;
    this.scheduler = scheduler;
    this.timeModel = timeModel;
    this.options = options;
    this.faults = faults;
    this.listener = listener;
    this.freeBlocks = options.kvBlocks;
    this.planAhead = scheduler.countFolded !== undefined && scheduler.reschedule !== undefined;
    this.residue = new Int32Array(options.blockSize);
    this.kv =
      options.prefixCacheBlocks > 0
        ? new KvPrefixCache(
            options.blockSize,
            options.prefixCacheBlocks,
            options.offload ? new KvOffloadTier(options.offload.capacityKv) : undefined,
          )
        : undefined;
  }

  /** First admissions that found part of their prompt cached. */
  get prefixHits(): number {
    return this.kv?.hits ?? 0;
  }

  /** Scrape-able gauges, like vLLM's num_requests_waiting / num_requests_running / kv usage. */
  get waitingCount(): number {
    return this.waiting.size;
  }
  get runningCount(): number {
    // Catches up too: every window of the time series reads it, the last one at the run's end,
    // so the run's event count includes each planned iteration's end by then.
    if (this.planLen > 0) this.catchUp();
    return this.running;
  }
  get kvUsage(): number {
    if (this.planLen > 0) this.catchUp();
    return 1 - this.freeBlocks / this.options.kvBlocks;
  }
  get decodeStepsPure(): number {
    if (this.planLen > 0) this.catchUp();
    return this.pureSteps;
  }
  get decodeStepsMixed(): number {
    return this.mixedSteps;
  }
  get decodeMsPure(): number {
    if (this.planLen > 0) this.catchUp();
    return this.pureMs;
  }
  get decodeMsMixed(): number {
    return this.mixedMs;
  }
  get busyMs(): number {
    if (this.planLen > 0) this.catchUp();
    return this.busy;
  }
  get iterations(): number {
    if (this.planLen > 0) this.catchUp();
    return this.iterationsRun;
  }
  get load(): number {
    return this.waiting.size + this.running;
  }

  submit(seq: Sequence): void {
    if (this.planLen > 0) this.cutPlan();
    if (seq.transferMs >= 0) this.transfersWaiting++;
    else if (this.kv) seq.kv = this.kv.holdFor(seq.attempt.work);
    this.waiting.push(seq);
    // Start at the end of this instant, so every request arriving now joins the same iteration.
    if (!this.iterating && !this.kickPending) {
      this.kickPending = true;
      this.scheduler.atEndOfInstant(this.onKick, undefined);
    }
  }

  /** Removes a sequence at once (cancelled by the gateway or failed by a fault); frees its blocks. */
  remove(seq: Sequence): void {
    seq.reusable = false; // it may stay in waiting or the finish heap
    if (this.planLen > 0) this.cutPlan();
    switch (seq.state) {
      case 'waiting':
        if (seq.transferMs >= 0) this.transfersWaiting--;
        seq.state = 'done'; // skipped when it reaches the head of waiting
        return;
      case 'transferring':
        if (!removeFrom(this.transferring, seq)) removeFrom(this.arrived, seq);
        this.freeBlocks += seq.blocks;
        this.running--;
        seq.state = 'done';
        return;
      case 'prefilling': {
        removeFrom(this.prefilling, seq);
        this.dropLoad(seq);
        // A prefill-done entry of a removed sequence is skipped by its state.
        this.freeBlocks += seq.blocks + this.prefixRelease(seq);
        this.running--;
        seq.state = 'done';
        return;
      }
      case 'decoding':
        this.leaveDecoding(seq);
        this.running--;
        seq.state = 'done';
        return;
      case 'done':
        return;
    }
  }

  /** Output tokens `seq` has delivered so far. */
  delivered(seq: Sequence): number {
    if (this.planLen > 0) this.catchUp();
    const before = seq.deliver - seq.remaining;
    return seq.state === 'decoding' ? before + this.k - seq.joinIteration : before;
  }

  /** Removes every sequence the replica holds (it went down), with the tokens each delivered. */
  drainAll(): { seq: Sequence; delivered: number }[] {
    if (this.planLen > 0) this.cutPlan();
    const all: { seq: Sequence; delivered: number }[] = [];
    while (this.waiting.size > 0) {
      const s = this.waiting.shift()!;
      if (s.state !== 'done') all.push({ seq: s, delivered: this.delivered(s) });
    }
    for (const s of this.runningByJoin()) all.push({ seq: s, delivered: this.delivered(s) });
    for (const s of [...this.transferring, ...this.arrived])
      all.push({ seq: s, delivered: this.delivered(s) });
    this.transfersWaiting = 0;
    for (const { seq } of all) {
      if (seq.state !== 'waiting') this.remove(seq);
      seq.state = 'done';
    }
    this.finishHeap.clear();
    this.nextFinish = NO_FINISH;
    this.prefilling.length = 0;
    this.prefillDoneCount = 0;
    this.loadedUnscheduled = 0;
    this.kv?.clear();
    return all;
  }

  /** Called when the replica comes back up (or faults change): resume if there is work. */
  wake(): void {
    if (this.planLen > 0) this.cutPlan(); // faults may have changed how long iterations take
    if (this.up && !this.iterating && (this.waiting.size > 0 || this.running > 0)) this.startIteration();
  }

  private startIteration(): void {
    if (!this.up) return;
    const o = this.options;
    const work = this.work;
    work.prefillTokens = 0;
    work.prefillAttention = 0;
    work.prefillSeqs = 0;
    work.decodeSeqs = 0;
    work.decodeContext = 0;
    this.prefillDoneCount = 0;
    if (this.arrived.length > 0) this.joinArrived();
    const k = this.k;

    // 1. Decoding sequences each need a block when their next token starts one; preempt the newest
    //    admitted sequences until the blocks fit.
    // A prefill-only iteration runs no decoder, so it needs no decode blocks (and must not preempt
    // a sequence only to readmit it into the blocks it freed).
    const prefillOnly = !o.chunkedPrefill && this.canAdmitHead();
    let needed = this.blocksNeeded(k);
    while (!prefillOnly && needed > this.freeBlocks && this.preemptNewest()) needed = this.blocksNeeded(k);
    this.decodingNow = !prefillOnly && this.decoding > 0;
    if (this.decodingNow) {
      this.freeBlocks -= needed;
      this.kv?.fit(this.freeBlocks);
      work.decodeSeqs = this.decoding;
      work.decodeContext = this.baseSum + this.decoding * k;
    }

    // 2. Prefill: continue partial prefills, then admit new sequences from waiting.
    let budget = o.maxBatchedTokens - work.decodeSeqs;
    if (o.chunkedPrefill) {
      for (const seq of this.prefilling) {
        if (budget <= 0) break;
        if (seq.loading) continue;
        budget -= this.schedulePrefill(seq, Math.min(budget, o.chunkSize));
      }
    } else if (this.loadedUnscheduled > 0) {
      budget = this.scheduleLoaded(budget);
    }
    let tookTransfer = false;
    while ((budget > 0 || this.transfersWaiting > 0) && this.running < o.maxSeqs) {
      const head = this.peekWaiting();
      if (!head) break;
      if (head.transferMs >= 0) {
        // Its KV comes from a prefill replica: it waits for blocks, then for the transfer.
        const need = this.blocksFor(head);
        if (!this.fits(need)) break;
        this.waiting.shift();
        this.startTransfer(head, need);
        tookTransfer = true;
        continue;
      }
      // Without chunked prefill a prompt behind a transfer waits for a prefill-only iteration.
      if (budget <= 0 || (tookTransfer && !o.chunkedPrefill && !prefillOnly)) break;
      const blocks = this.blocksFor(head);
      const hit = this.prefixHit(head);
      if (!this.fits(blocks - this.hitSavesKv)) break;
      const remainingPrompt = head.promptTokens - hit;
      // Without chunked prefill a prompt must fit the budget whole (unless it runs alone).
      if (!o.chunkedPrefill && remainingPrompt > budget && work.prefillTokens > 0) break;
      this.waiting.shift();
      this.admit(head, blocks, hit);
      if (head.loading) continue; // its prefill starts once its blocks are back from the CPU tier
      budget -= this.schedulePrefill(
        head,
        o.chunkedPrefill ? Math.min(budget, o.chunkSize) : remainingPrompt,
      );
    }

    if (work.prefillTokens === 0 && work.decodeSeqs === 0) {
      this.iterating = false;
      return;
    }
    this.iterating = true;
    const ms = this.timeModel.iterationMs(work) * this.faults.latency;
    this.busy += ms;
    if (work.decodeSeqs > 0) {
      if (work.prefillTokens > 0) {
        this.mixedSteps++;
        this.mixedMs += ms;
      } else {
        this.pureSteps++;
        this.pureMs += ms;
        if (
          this.planAhead &&
          this.waiting.size === 0 &&
          this.prefilling.length === 0 &&
          this.arrived.length === 0
        ) {
          // The plan starts when this iteration ends (a field, not an argument: a number passed
          // to or returned from a call not inlined is a heap allocation).
          this.planStartMs = this.scheduler.now() + ms;
          if (this.plan()) return;
        }
      }
    }
    this.scheduler.after(ms, this.onIterationEnd, undefined);
  }

  /**
   * The iteration just started decodes only, nothing waits and nothing prefills: plans the
   * decode-only iterations after it for as long as nothing would change the batch at an
   * iteration's end (no sequence finishes), each has its decode blocks (no preemption) and taking
   * them evicts nothing from the prefix cache. Each planned iteration's time is the one
   * startIteration would compute, and the end times are summed as the event queue would sum them,
   * so the plan's end is the very time the last iteration would end. The iteration just started
   * ends at planStartMs. Schedules the plan's end and returns true, or returns false when the plan
   * is empty (planLen 0).
   */
  private plan(): boolean {
    const latency = this.faults.latency;
    const kv = this.kv;
    const residue = this.residue;
    const planMs = this.planMs;
    const b = this.options.blockSize;
    const k0 = this.k + 1;
    // Iteration k0 + i may be planned while the one before it finishes nobody: nextFinish > k0 - 1 + i.
    const nf = this.nextFinish;
    const most = Math.min(this.planCap, (nf < NO_FINISH ? nf : this.finishHeap.peekFinish()) - this.k);
    if (most > 0) this.timeModel.decodeRunMs(this.decoding, this.baseSum, k0, most, planMs);
    let endMs = this.planStartMs;
    let free = this.freeBlocks;
    let n = 0;
    // k mod b, stepped with k: the blocks iteration k needs are residue[(-k) mod b] (blocksNeeded).
    let r = k0 % b;
    while (n < most) {
      const needed = residue[r === 0 ? 0 : b - r]!;
      if (needed > free || kv?.wouldEvict(free - needed)) break;
      const ms = planMs[n]! * latency;
      free -= needed;
      planMs[n] = ms;
      this.planFree[n++] = free;
      endMs = endMs + ms;
      r = r + 1 === b ? 0 : r + 1;
    }
    this.planLen = n;
    this.planPos = 0;
    if (n === 0) return false;
    this.planHandle = this.scheduler.at(endMs, this.onIterationEnd, undefined);
    return true;
  }

  /**
   * Runs the planned iterations that have started by now: the end of the one before (nothing
   * finishes) and the start of each (its decode blocks, its time). The sums run one iteration at a
   * time, as the iterations would have; the folded events are counted once per call.
   */
  private catchUp(): void {
    const now = this.scheduler.now();
    const len = this.planLen;
    let pos = this.planPos;
    let startMs = this.planStartMs;
    if (pos >= len || startMs > now) return;
    const planMs = this.planMs;
    const from = pos;
    let busy = this.busy;
    let pureMs = this.pureMs;
    do {
      const ms = planMs[pos++]!;
      busy += ms;
      pureMs += ms;
      startMs = startMs + ms;
    } while (pos < len && startMs <= now);
    const n = pos - from;
    this.scheduler.countFolded!(n); // the events these iterations' ends would have been
    this.iterationsRun += n;
    this.pureSteps += n;
    this.k += n;
    this.freeBlocks = this.planFree[pos - 1]!;
    this.busy = busy;
    this.pureMs = pureMs;
    this.planStartMs = startMs;
    this.planPos = pos;
  }

  /** The batch is about to change: the plan ends with the iteration in progress. */
  private cutPlan(): void {
    this.catchUp();
    if ((this.planLen - this.planPos) * 2 > this.planCap && this.planCap > PLAN_MIN) this.planCap >>= 1;
    // The plan's end event moves to the end of the iteration in progress (plans exist only on
    // the virtual clock, which can move an event).
    if (this.planPos < this.planLen) this.scheduler.reschedule!(this.planHandle, this.planStartMs);
    this.planLen = 0;
  }

  private endIteration(): void {
    if (this.planLen > 0) {
      if (this.planLen === this.planCap && this.planCap < PLAN_MAX) this.planCap <<= 1;
      this.catchUp();
      this.planLen = 0;
    }
    const now = this.scheduler.now();
    const k = this.k;
    this.iterationsRun++;
    // Decoders delivered their token of step k; those whose last token this was are done.
    if (this.decodingNow && this.nextFinish <= k) {
      const heap = this.finishHeap;
      while (this.decodingNow && heap.peekFinish() <= k) {
        const entryFinish = heap.peekFinish();
        const seq = heap.pop()!;
        if (seq.state !== 'decoding' || seq.finishIteration !== k || entryFinish !== k) continue;
        this.leaveDecoding(seq);
        this.running--;
        seq.state = 'done';
        this.listener.finished(seq, now);
      }
      this.nextFinish = Math.min(heap.peekFinish(), NO_FINISH);
    }
    if (this.decodingNow) {
      this.k = k + 1;
      this.decodingNow = false;
    }
    // Prefills that completed deliver their first token and start decoding at the next step.
    for (let d = 0; d < this.prefillDoneCount; d++) {
      const seq = this.prefillDone[d]!;
      if (seq.state !== 'prefilling') continue;
      removeFrom(this.prefilling, seq);
      if (!seq.firstTokenDone) {
        seq.firstTokenDone = true;
        if (seq.failAtFirstToken) {
          this.freeBlocks += seq.blocks + this.prefixRelease(seq);
          this.running--;
          seq.state = 'done';
          this.listener.finished(seq, now);
          continue;
        }
        seq.remaining--;
        this.listener.firstToken(seq, now);
      } else {
        seq.remaining--; // a recompute prefill also yields the next token
      }
      if (seq.remaining <= 0) {
        this.freeBlocks += seq.blocks + this.prefixRelease(seq);
        this.running--;
        seq.state = 'done';
        this.listener.finished(seq, now);
        continue;
      }
      this.joinDecoding(seq, this.k);
    }
    this.prefillDoneCount = 0;
    this.iterating = false;
    this.startIteration();
  }

  /**
   * Submits a sequence prefilled on another replica, whose KV arrives `seq.transferMs` after this
   * replica takes blocks for it (pull, as vLLM's NIXL connector: the decode side allocates, then
   * reads). It waits in line for KV space like any admission; its first token reaches the caller
   * when the KV has arrived, and it decodes the rest here.
   */
  private startTransfer(seq: Sequence, blocks: number): void {
    seq.reusable = false; // its transfer's timer holds it
    this.transfersWaiting--;
    seq.state = 'transferring';
    seq.blocks = blocks;
    seq.admitted = this.admittedCounter++;
    this.freeBlocks -= blocks;
    this.kv?.fit(this.freeBlocks);
    this.running++;
    this.transferring.push(seq);
    this.scheduler.after(seq.transferMs, this.onTransferDone, seq);
  }

  private transferDone(seq: Sequence): void {
    if (this.planLen > 0) this.cutPlan();
    if (seq.state !== 'transferring' || !removeFrom(this.transferring, seq)) return; // removed meanwhile
    seq.firstTokenDone = true;
    seq.remaining--;
    this.listener.firstToken(seq, this.scheduler.now());
    if (seq.remaining <= 0) {
      this.freeBlocks += seq.blocks;
      this.running--;
      seq.state = 'done';
      this.listener.finished(seq, this.scheduler.now());
      return;
    }
    this.arrived.push(seq);
    if (!this.iterating && !this.kickPending) {
      this.kickPending = true;
      this.scheduler.atEndOfInstant(this.onKick, undefined);
    }
  }

  /** Sequences whose KV arrived join the decoders at the next step. */
  private joinArrived(): void {
    for (const seq of this.arrived) {
      this.joinDecoding(seq, this.k);
      seq.joined = this.joinCounter++;
    }
    this.arrived.length = 0;
  }

  /** Prompt tokens of `work` the prefix cache holds now (what a P/D decider calls cached); changes nothing. */
  cachedPromptTokens(work: Attempt['work']): number {
    if (!this.kv) return 0;
    const hold = this.kv.holdFor(work);
    return hold ? this.kv.match(hold, work.promptTokens) * hold.blockTokens : 0;
  }

  /** Blocks the decoding sequences need in iteration k. */
  private blocksNeeded(k: number): number {
    const b = this.options.blockSize;
    // (-k) mod b, on non-negative integers only: -0 (from -k at k = 0) would put the modulo on
    // the slow floating-point path.
    const r = k % b;
    return this.residue[r === 0 ? 0 : b - r]!;
  }

  private joinDecoding(seq: Sequence, k: number): void {
    const context = seq.attempt.work.promptTokens + (seq.deliver - seq.remaining); // prompt + tokens delivered
    // The prompt's blocks stay; the decode aggregates count blocks from here on.
    seq.state = 'decoding';
    seq.base = context - k;
    seq.joinIteration = k;
    seq.finishIteration = k + seq.remaining - 1;
    const b = this.options.blockSize;
    // base mod b without negative operands (base may be below 0; see blocksNeeded).
    seq.baseResidue = ((context % b) - (k % b) + b) % b;
    this.residue[seq.baseResidue]!++;
    this.baseSum += seq.base;
    this.decoding++;
    this.finishHeap.push(seq, seq.finishIteration, seq.admitted);
    if (seq.finishIteration < this.nextFinish) this.nextFinish = seq.finishIteration;
  }

  /** Takes a decoding sequence out of the aggregates and frees every block it holds. */
  private leaveDecoding(seq: Sequence): void {
    const b = this.options.blockSize;
    this.residue[seq.baseResidue]!--;
    this.baseSum -= seq.base;
    this.decoding--;
    // Its context now: base + k tokens, plus the token of the step in progress (its block is
    // already taken). Blocks = ceil(context / blockSize).
    const context = seq.base + this.k + (this.decodingNow ? 1 : 0);
    this.freeBlocks += Math.ceil(context / b) + this.prefixRelease(seq);
  }

  /** `hit`: the prompt tokens the prefix cache serves (see prefixHit). */
  private admit(seq: Sequence, blocks: number, hit: number): void {
    seq.state = 'prefilling';
    seq.blocks = blocks;
    seq.prefilled = hit;
    const offloaded = this.offloadBlocks > 0 ? this.offloadBlocks * seq.kv!.blockTokens : 0;
    if (seq.admitted < 0) {
      this.kv?.countAdmission(seq.kv, seq.promptTokens, hit - offloaded, offloaded);
      this.listener.admitted(seq, this.scheduler.now());
    }
    if (offloaded > 0) this.startLoad(seq, offloaded);
    seq.admitted = this.admittedCounter++;
    this.freeBlocks -= blocks - this.prefixAcquire(seq);
    this.kv?.fit(this.freeBlocks);
    this.running++;
    this.prefilling.push(seq);
    seq.joined = this.joinCounter++;
  }

  /**
   * The prefilling and decoding sequences, in the order they joined the running set: those
   * prefilling are listed, those decoding are in the finish heap (with stale entries of sequences
   * that left or rejoined, skipped or counted once).
   */
  private runningByJoin(): Sequence[] {
    const running: Sequence[] = [...this.prefilling];
    const heap = this.finishHeap;
    for (let i = 0; i < heap.size; i++) {
      const s = heap.itemAt(i);
      if (s.state === 'decoding') running.push(s);
    }
    running.sort((x, y) => x.joined - y.joined);
    let w = 0;
    for (let r = 0; r < running.length; r++)
      if (w === 0 || running[w - 1] !== running[r]) running[w++] = running[r]!;
    running.length = w;
    return running;
  }

  /** The prefilling or decoding sequence that joined the running set last; undefined if none. */
  private newestRunning(): Sequence | undefined {
    let newest: Sequence | undefined;
    for (const s of this.prefilling) if (newest === undefined || s.joined > newest.joined) newest = s;
    const heap = this.finishHeap;
    for (let i = 0; i < heap.size; i++) {
      const s = heap.itemAt(i);
      if (s.state === 'decoding' && (newest === undefined || s.joined > newest.joined)) newest = s;
    }
    return newest;
  }

  /** Schedules up to `max` prompt tokens of `seq` in this iteration; returns tokens scheduled. */
  private schedulePrefill(seq: Sequence, max: number): number {
    const chunk = Math.min(max, seq.promptTokens - seq.prefilled);
    if (chunk <= 0) return 0;
    this.work.prefillTokens += chunk;
    this.work.prefillAttention += chunk * (seq.prefilled + chunk / 2);
    this.work.prefillSeqs++;
    seq.prefilled += chunk;
    // Its full blocks are cached as the chunk is scheduled (vLLM's allocate_slots): waiting
    // requests admitted after it, in this iteration or later, reuse them.
    if (this.kv && seq.kv) this.kv.store(seq.kv, seq.prefilled);
    if (seq.prefilled >= seq.promptTokens) this.prefillDone[this.prefillDoneCount++] = seq;
    return chunk;
  }

  /**
   * Starts copying `tokens` of `seq`'s prefix back from the CPU tier: the blocks leave the tier
   * now; the copy waits for the host link (loads queue on it) and takes latency + tokens x ms per
   * token; its prefill is scheduled from the iteration after. vLLM's connector loads asynchronously
   * the same way: the request waits (WAITING_FOR_REMOTE_KVS) while the batch runs on.
   */
  private startLoad(seq: Sequence, tokens: number): void {
    seq.reusable = false; // its load's timer holds it
    const o = this.options.offload!;
    this.kv!.takeOffloaded(seq.kv!, this.hitBlocks, this.offloadBlocks);
    this.offloadBlocks = 0;
    const now = this.scheduler.now();
    const copyMs = tokens * o.msPerToken;
    const start = Math.max(now, this.linkFreeMs);
    this.linkFreeMs = start + copyMs;
    const doneMs = start + copyMs + o.latencyMs;
    this.offloadLoads++;
    this.offloadTransferMs += copyMs + o.latencyMs;
    seq.loading = true;
    const load = ++seq.loads;
    this.scheduler.after(doneMs - now, () => this.endLoad(seq, load), undefined);
  }

  private endLoad(seq: Sequence, load: number): void {
    if (this.planLen > 0) this.cutPlan();
    if (!seq.loading || seq.loads !== load || seq.state !== 'prefilling') return;
    seq.loading = false;
    if (!this.options.chunkedPrefill) this.loadedUnscheduled++;
    if (this.up && !this.iterating && !this.kickPending) {
      this.kickPending = true;
      this.scheduler.atEndOfInstant(this.onKick, undefined);
    }
  }

  /** A sequence leaves before its load ended (preempted or removed): the load no longer counts. */
  private dropLoad(seq: Sequence): void {
    if (seq.loading) {
      seq.loading = false;
      seq.loads++;
    } else if (!this.options.chunkedPrefill && seq.loads > 0 && seq.prefilled < seq.promptTokens) {
      this.loadedUnscheduled--;
    }
  }

  /**
   * Without chunked prefill: schedules the loaded sequences' prompts whole, while they fit the
   * budget (one runs alone if it does not); returns the budget left.
   */
  private scheduleLoaded(budget: number): number {
    for (const seq of this.prefilling) {
      if (seq.loading || seq.loads === 0 || seq.prefilled >= seq.promptTokens) continue;
      const rest = seq.promptTokens - seq.prefilled;
      if (rest > budget && this.work.prefillTokens > 0) break;
      this.loadedUnscheduled--;
      budget -= this.schedulePrefill(seq, rest);
    }
    return budget;
  }

  private peekWaiting(): Sequence | undefined {
    while (this.waiting.size > 0 && this.waiting.peekFront()!.state === 'done') this.waiting.shift();
    return this.waiting.peekFront();
  }

  private canAdmitHead(): boolean {
    const head = this.peekWaiting();
    // A transferred sequence needs no prefill: it never makes an iteration prefill-only.
    if (!head || head.transferMs >= 0 || this.running >= this.options.maxSeqs) return false;
    return this.fits(this.blocksFor(head));
  }

  /** KV blocks a waiting sequence needs to start: its prompt plus the first generated token. */
  private blocksFor(seq: Sequence): number {
    return Math.ceil((seq.promptTokens + 1) / this.options.blockSize);
  }

  /** Room for `blocks` above the watermark, or the replica is empty and they fit at all. */
  private fits(blocks: number): boolean {
    return (
      this.freeBlocks - blocks >= this.options.watermarkBlocks ||
      (this.running === 0 && blocks <= this.freeBlocks)
    );
  }

  /** Preempts the running sequence that joined last (recompute); false if none is left. */
  private preemptNewest(): boolean {
    const seq = this.newestRunning();
    if (seq !== undefined) {
      seq.reusable = false; // a stale finish-heap entry may stay
      const generated = this.delivered(seq);
      if (seq.state === 'decoding') {
        this.leaveDecoding(seq);
        seq.remaining = seq.deliver - generated;
      } else {
        removeFrom(this.prefilling, seq);
        this.dropLoad(seq);
        this.freeBlocks += seq.blocks + this.prefixRelease(seq);
      }
      this.running--;
      this.preemptions++;
      seq.transferMs = -1; // recomputed here, as vLLM's decode instance does
      // Recompute: prefill the prompt and every token generated so far again.
      seq.promptTokens = seq.attempt.work.promptTokens + generated;
      seq.prefilled = 0;
      seq.blocks = 0;
      seq.state = 'waiting';
      this.waiting.pushFront(seq);
      return true;
    }
    return false;
  }

  /**
   * Looks the head of waiting up in the prefix cache: returns the prompt tokens it would find
   * cached, and notes the blocks found and the KV blocks they spare it (shared blocks another
   * sequence holds) for admit. Changes nothing.
   */
  private prefixHit(seq: Sequence): number {
    this.hitBlocks = 0;
    this.hitSavesKv = 0;
    this.offloadBlocks = 0;
    if (!this.kv || !seq.kv) return 0;
    const m = this.kv.match(seq.kv, seq.promptTokens);
    // Blocks past the GPU's in the CPU tier: no KV saved (they are loaded into the sequence's own blocks).
    const c = this.kv.offload ? this.kv.matchOffloaded(seq.kv, seq.promptTokens, m) : 0;
    this.offloadBlocks = c;
    if (m === 0) return c * seq.kv.blockTokens;
    this.hitBlocks = m;
    this.hitSavesKv = m * seq.kv.kvPerBlock - this.kv.freeKvTakenBy(seq.kv, m);
    return (m + c) * seq.kv.blockTokens;
  }

  /** The admitted sequence takes the blocks prefixHit found; returns the KV blocks it need not allocate. */
  private prefixAcquire(seq: Sequence): number {
    if (!this.kv || !seq.kv || this.hitBlocks === 0) return 0;
    this.kv.acquire(seq.kv, this.hitBlocks);
    const saved = this.hitSavesKv;
    this.hitBlocks = 0;
    this.hitSavesKv = 0;
    return saved;
  }

  /**
   * The sequence lets go of its cached blocks: the correction to add to the blocks it counts as
   * its own (shared blocks still in use elsewhere are not freed).
   */
  private prefixRelease(seq: Sequence): number {
    if (!this.kv || !seq.kv) return 0;
    const held = seq.kv.heldKv;
    return this.kv.release(seq.kv) - held;
  }
}

/** GpuReplica.nextFinish when the heap's earliest finish is later (or none): the largest small integer. */
const NO_FINISH = 2 ** 30 - 1;

/** Most decode-only iterations planned ahead at once (bounds the work a change throws away). */
const PLAN_MAX = 128;
/**
 * Fewest a plan may be capped at. A planned iteration thrown away costs a few divisions; a plan
 * that runs out costs an event and a new plan: 8 ran the 16-replica bench about 3% faster than 4
 * (16 and 32 slower again).
 */
const PLAN_MIN = 8;

/** Removes `item` from `list`, keeping the order (without splice, which allocates the array it returns). */
function removeFrom<T>(list: T[], item: T): boolean {
  const i = list.indexOf(item);
  if (i < 0) return false;
  for (let j = i + 1; j < list.length; j++) list[j - 1] = list[j]!;
  list.pop();
  return true;
}
