/**
 * NodePool: the nodes a GPU pool's replicas run on (`nodePool` on a `kind: gpu` provider), as a
 * cluster autoscaler (Kubernetes cluster-autoscaler, Karpenter) adds and removes them:
 * - a node has `gpusPerNode` GPUs, so it holds gpusPerNode / tensorParallel replicas;
 * - a replica is placed on the fullest ready node with a free slot (bin-packing, as GPU clusters
 *   configure the scheduler's MostAllocated scoring), else on a node still provisioning, else a
 *   new node is requested (its delay drawn from `provisioning`) unless `maxNodes` are up, when the
 *   replica waits (unschedulable) for a slot to free;
 * - the replica starts (pull, load, warm-up) once its node is ready;
 * - a node empty for `scaleDownUnneededTime` (cluster-autoscaler's --scale-down-unneeded-time,
 *   10 min by default) is removed;
 * - a node bills from its request until it is removed: a cloud bills an instance from its launch
 *   (AWS EC2 and GCE: from the running state, seconds after the request), and the node's boot,
 *   drivers, kubelet join and device plugin, most of the provisioning delay, run on billed time.
 */
import type { Scheduler } from '../../engine/clock.ts';
import { createDistribution, type Distribution } from '../../engine/dist/index.ts';
import type { Random } from '../../engine/rng.ts';
import type { NodePoolConfig } from '../../scenario/schema.ts';

export type NodeState = 'provisioning' | 'ready' | 'reclaimed' | 'gone';

interface Node {
  id: number;
  state: NodeState;
  /** Replicas placed on it (their slots), by id. */
  replicas: Set<number>;
  /** When it last became empty while usable (the unneeded time counts from here). */
  emptySinceMs: number | undefined;
}

/** The nodes as the time series shows them. */
export interface NodeCounts {
  /** Asked for and not removed (provisioning + ready, a reclaimed one until it is gone). */
  requested: number;
  provisioning: number;
  ready: number;
}

export class NodePool {
  readonly replicasPerNode: number;
  private readonly config: NodePoolConfig;
  private readonly scheduler: Scheduler;
  private readonly rng: Random;
  private readonly provisioning: Distribution;
  private readonly nodes: Node[] = [];
  /** The node of each placed replica. */
  private readonly nodeOfReplica = new Map<number, Node>();
  /** Replicas waiting for a slot (max nodes reached), oldest first. */
  private readonly pending: number[] = [];
  /** What each replica placed on a node still provisioning does once its node is ready. */
  private readonly onNodeReady = new Map<number, () => void>();
  private billedCount = 0;
  private billedNodeMs = 0;
  private billedChangedMs = 0;

  constructor(config: NodePoolConfig, tensorParallel: number, scheduler: Scheduler, rng: Random) {
    this.config = config;
    this.replicasPerNode = Math.floor(config.gpusPerNode / tensorParallel);
    this.scheduler = scheduler;
    this.rng = rng;
    this.provisioning = createDistribution(config.provisioning);
  }

  /** The replicas the pool starts with, packed onto nodes ready (and billed) from now. */
  seed(replicaIds: readonly number[]): void {
    for (const id of replicaIds) {
      let node = this.nodes.at(-1);
      if (!node || node.replicas.size >= this.replicasPerNode) {
        node = this.newNode('ready');
      }
      node.replicas.add(id);
      this.nodeOfReplica.set(id, node);
    }
  }

  /**
   * Places replica `id`; `start` runs once it has a ready node: at once on a ready node, when its
   * node is ready on one provisioning, or when a slot frees for one that waits.
   */
  place(id: number, start: () => void): void {
    const node = this.freeNode();
    if (node) {
      this.assign(id, node, start);
      return;
    }
    this.onNodeReady.set(id, start);
    this.pending.push(id);
  }

  /** Replica `id` is gone (or will never start): its slot frees, for a waiting replica or else. */
  release(id: number): void {
    this.onNodeReady.delete(id);
    const waiting = this.pending.indexOf(id);
    if (waiting >= 0) {
      this.pending.splice(waiting, 1);
      return;
    }
    const node = this.nodeOfReplica.get(id);
    if (!node) return;
    this.nodeOfReplica.delete(id);
    node.replicas.delete(id);
    if (node.state !== 'ready' && node.state !== 'provisioning') return;
    const next = this.pending.shift();
    if (next !== undefined) {
      const start = this.onNodeReady.get(next)!;
      this.onNodeReady.delete(next);
      this.assign(next, node, start);
      return;
    }
    if (node.replicas.size === 0 && node.state === 'ready') this.becameEmpty(node);
  }

  /**
   * Spot reclaim: the nodes holding `replicaIds` are cordoned now (no new placements) and gone,
   * billing stopped, after `noticeMs`. Returns every replica on those nodes.
   */
  reclaimNodesOf(replicaIds: readonly number[], noticeMs: number): number[] {
    const hit = new Set<Node>();
    for (const id of replicaIds) {
      const node = this.nodeOfReplica.get(id);
      if (node && node.state === 'ready') hit.add(node);
    }
    const replicas: number[] = [];
    for (const node of [...hit].sort((a, b) => a.id - b.id)) {
      node.state = 'reclaimed';
      replicas.push(...node.replicas);
      this.scheduler.after(noticeMs, this.onReclaimed, node);
    }
    return replicas.sort((a, b) => a - b);
  }

  counts(): NodeCounts {
    let provisioning = 0;
    let ready = 0;
    for (const n of this.nodes) {
      if (n.state === 'provisioning') provisioning++;
      else if (n.state === 'ready' || n.state === 'reclaimed') ready++;
    }
    return { requested: provisioning + ready, provisioning, ready };
  }

  /** Nodes ever requested (ids given out). */
  get ever(): number {
    return this.nodes.length;
  }

  /** The node replica `id` is placed on; undefined while it waits for a slot or once it is gone. */
  nodeOf(id: number): number | undefined {
    return this.nodeOfReplica.get(id)?.id;
  }

  /** Node-milliseconds billed (every node from its request until removed) up to `nowMs`. */
  billedMs(nowMs: number): number {
    return this.billedNodeMs + this.billedCount * (nowMs - this.billedChangedMs);
  }

  costUsd(nowMs: number): number {
    return (this.billedMs(nowMs) / 3_600_000) * this.config.costPerNodeHour;
  }

  // -------------------------------------------------------------------------------------------

  /** The fullest usable node with a free slot, ready before provisioning, lowest id on ties. */
  private freeNode(): Node | undefined {
    let best: Node | undefined;
    const rank = (n: Node) => (n.state === 'ready' ? 0 : 1);
    for (const n of this.nodes) {
      if (n.state !== 'ready' && n.state !== 'provisioning') continue;
      if (n.replicas.size >= this.replicasPerNode) continue;
      if (!best || rank(n) < rank(best) || (rank(n) === rank(best) && n.replicas.size > best.replicas.size))
        best = n;
    }
    if (best) return best;
    if (this.billedCount >= this.config.maxNodes) return undefined;
    const node = this.newNode('provisioning');
    this.scheduler.after(Math.max(0, this.provisioning.sample(this.rng)), this.onProvisioned, node);
    return node;
  }

  private assign(id: number, node: Node, start: () => void): void {
    node.replicas.add(id);
    node.emptySinceMs = undefined;
    this.nodeOfReplica.set(id, node);
    if (node.state === 'ready') start();
    else this.onNodeReady.set(id, start);
  }

  private newNode(state: 'ready' | 'provisioning'): Node {
    const node: Node = { id: this.nodes.length, state, replicas: new Set(), emptySinceMs: undefined };
    this.nodes.push(node);
    this.setBilledCount(this.billedCount + 1);
    return node;
  }

  private readonly onProvisioned = (node: Node) => {
    node.state = 'ready';
    const ids = [...node.replicas].sort((a, b) => a - b);
    for (const id of ids) {
      const start = this.onNodeReady.get(id);
      this.onNodeReady.delete(id);
      start?.();
    }
    if (node.replicas.size === 0) this.becameEmpty(node);
  };

  private becameEmpty(node: Node): void {
    const since = this.scheduler.now();
    node.emptySinceMs = since;
    this.scheduler.after(this.config.scaleDownUnneededTime, this.onUnneeded, { node, since });
  }

  private readonly onUnneeded = ({ node, since }: { node: Node; since: number }) => {
    if (node.state !== 'ready' || node.emptySinceMs !== since || node.replicas.size > 0) return;
    this.remove(node);
  };

  private readonly onReclaimed = (node: Node) => {
    for (const id of node.replicas) this.nodeOfReplica.delete(id);
    node.replicas.clear();
    this.remove(node);
  };

  /** Removes `node`; replicas waiting for a slot may now get a new node. */
  private remove(node: Node): void {
    node.state = 'gone';
    this.setBilledCount(this.billedCount - 1);
    while (this.pending.length > 0) {
      const free = this.freeNode();
      if (!free) return;
      const id = this.pending.shift()!;
      const start = this.onNodeReady.get(id)!;
      this.onNodeReady.delete(id);
      this.assign(id, free, start);
    }
  }

  private setBilledCount(n: number): void {
    const now = this.scheduler.now();
    this.billedNodeMs = this.billedMs(now);
    this.billedChangedMs = now;
    this.billedCount = n;
  }
}
