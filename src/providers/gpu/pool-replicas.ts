import type { Attempt } from '../attempt.ts';
import type { ReplicaGauges, ReplicaSet, ReplicaWatcher } from '../provider.ts';
import type { GpuReplica } from './replica.ts';

/**
 * A GPU pool's replicas as the `replicas` facet shows them. A replica's id is the `index` it was
 * built with; while no replica leaves the pool, id and position agree. A lookup checks the id it
 * finds, so a position that no longer holds that id reads as absent rather than as another replica.
 */
export class PoolReplicas implements ReplicaSet {
  private readonly members: readonly GpuReplica[];
  private readonly submitToReplica: (id: number, attempt: Attempt) => void;
  private readonly watchReplicas: (watcher: ReplicaWatcher) => void;

  /**
   * `members` is the pool's own list (read live); `submitTo` is the pool's refusal and start path;
   * `watch` registers for replicas that join and leave as the pool scales.
   */
  constructor(
    members: readonly GpuReplica[],
    submitTo: (id: number, attempt: Attempt) => void,
    watch: (watcher: ReplicaWatcher) => void,
  ) {
    this.members = members;
    this.submitToReplica = submitTo;
    this.watchReplicas = watch;
  }

  watch(watcher: ReplicaWatcher): void {
    this.watchReplicas(watcher);
  }

  get count(): number {
    return this.members.length;
  }

  idAt(position: number): number {
    return this.members[position]!.index;
  }

  has(id: number): boolean {
    return this.members[id]?.index === id;
  }

  submitTo(id: number, attempt: Attempt): void {
    this.submitToReplica(id, attempt);
  }

  gauges(id: number): ReplicaGauges {
    const r = this.members[id]!;
    return { waiting: r.waitingCount, running: r.runningCount, kvUsage: r.kvUsage, up: r.up };
  }
}
