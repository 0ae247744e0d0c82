/**
 * WorkItem: a request's arrival facts, fixed when it arrives and written by nobody afterwards.
 * The workload makes it; providers serve it; the gateway, client and metrics read it. It holds
 * ground truth (`outputTokens`) that policies never see: the gateway builds their `RequestView`
 * from it without that field (FG-5).
 */
export class WorkItem {
  readonly id: number;
  readonly classIndex: number;
  /** Arrival at the gateway (ms). */
  readonly arrivalMs: number;
  readonly promptTokens: number;
  /** Tokens the model will generate (ground truth, for providers only). */
  readonly outputTokens: number;
  /** Absolute time after which the request is useless (Infinity if none). */
  readonly deadlineMs: number;
  /** Arrived after warmup: counts in summary figures. */
  readonly measured: boolean;
  readonly stream: boolean;
  /** Shared-prefix group (-1: none) and how many leading prompt tokens it covers. */
  readonly prefixId: number;
  readonly prefixTokens: number;
  /**
   * Hashes of the prompt's blocks as the trace gives them (Mooncake's `hash_ids`), one per
   * `hashBlockTokens` tokens, the last block possibly partial; undefined without. A view into the
   * trace's one flat array: nobody writes it.
   */
  readonly blockHashes: Int32Array | undefined;
  /** Tokens per hashed block (0 without hashes). */
  readonly hashBlockTokens: number;
  /**
   * Quality (only with a scenario `quality` section; NaN otherwise): the request's latent
   * difficulty in [0, 1] (ground truth: never in a policy's view), and the estimate of it a
   * router sees. Set by the workload right after construction, at arrival; nobody writes them later.
   */
  difficulty = Number.NaN;
  difficultyEstimate = Number.NaN;
  /**
   * The request's traffic key (engine/luck.ts: its class, that class's arrival ordinal, its send
   * in its session), which per-request luck draws by; -1: none. Set by the workload at arrival.
   */
  trafficKey = -1;

  constructor(
    id: number,
    classIndex: number,
    arrivalMs: number,
    promptTokens: number,
    outputTokens: number,
    deadlineMs: number,
    measured: boolean,
    stream: boolean,
    prefixId = -1,
    prefixTokens = 0,
    blockHashes: Int32Array | undefined = undefined,
    hashBlockTokens = 0,
  ) {
    this.id = id;
    this.classIndex = classIndex;
    this.arrivalMs = arrivalMs;
    this.promptTokens = promptTokens;
    this.outputTokens = outputTokens;
    this.deadlineMs = deadlineMs;
    this.measured = measured;
    this.stream = stream;
    this.prefixId = prefixId;
    this.prefixTokens = prefixTokens;
    this.blockHashes = blockHashes;
    this.hashBlockTokens = blockHashes === undefined ? 0 : hashBlockTokens;
  }
}

/** The arrival facts, writable: only `reuseWorkItem` writes them after construction. */
type Facts = { -readonly [K in keyof WorkItem]: WorkItem[K] };

/**
 * Makes `w`, a work item whose request ended and that nothing refers to any more, what
 * `new WorkItem(...)` with the same arguments would be (every field; `difficulty` and
 * `difficultyEstimate` NaN again, `trafficKey` -1): the workload reuses it for a later arrival (WorkItemPool).
 */
export function reuseWorkItem(
  w: WorkItem,
  id: number,
  classIndex: number,
  arrivalMs: number,
  promptTokens: number,
  outputTokens: number,
  deadlineMs: number,
  measured: boolean,
  stream: boolean,
  prefixId: number,
  prefixTokens: number,
  blockHashes: Int32Array | undefined,
  hashBlockTokens: number,
): WorkItem {
  const f = w as Facts;
  f.id = id;
  f.classIndex = classIndex;
  f.arrivalMs = arrivalMs;
  f.promptTokens = promptTokens;
  f.outputTokens = outputTokens;
  f.deadlineMs = deadlineMs;
  f.measured = measured;
  f.stream = stream;
  f.prefixId = prefixId;
  f.prefixTokens = prefixTokens;
  f.blockHashes = blockHashes;
  f.hashBlockTokens = blockHashes === undefined ? 0 : hashBlockTokens;
  f.difficulty = Number.NaN;
  f.difficultyEstimate = Number.NaN;
  f.trafficKey = -1;
  return w;
}

/**
 * Work items nothing refers to any more, for later arrivals (a record pool: a work item and its
 * boxed times are a good part of what a request allocates). The gateway gives one back when it
 * recycles the request's ticket, once no provider may still hold one of its attempts; the
 * workload takes them. Only a run whose probe, sessions and providers keep no work item after
 * the request ended (and its attempts were reported) uses one.
 */
export class WorkItemPool {
  private readonly free: WorkItem[] = [];

  take(): WorkItem | undefined {
    return this.free.pop();
  }

  give(w: WorkItem): void {
    this.free.push(w);
  }
}
