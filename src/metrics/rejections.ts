/**
 * Rejection counts: how often each gateway policy rejected, and why (`reject('over-limit')`).
 * Memory is bounded by the distinct (policy, reason) pairs (FG-6): a policy that builds its
 * reasons dynamically gets at most MAX_REASONS of them, the rest are counted under 'other'.
 * A reason is resolved to an integer slot once (a Map lookup per rejection, nothing per admit).
 */

import type { RejectionKind } from '../gateway/probe.ts';

export type { RejectionKind };

/** The name the gateway queue's refusals are filed under (it is not a policy). */
const GATEWAY_QUEUE = 'gateway-queue';

/** One (policy, reason) pair and how many measured requests it rejected. */
export interface RejectionCount {
  policy: string;
  kind: RejectionKind;
  reason: string;
  count: number;
}

/** Distinct reasons kept per policy; later new ones are counted under OTHER_REASON. */
export const MAX_REASONS = 32;
const OTHER_REASON = 'other';
/** Longest reason kept (characters); a longer one is cut, so one reason cannot hold much memory. */
const MAX_REASON_LENGTH = 80;
const KINDS: readonly RejectionKind[] = ['admission', 'routing', 'queue'];

/** The reason a policy gave, as text: what user code returned may not be a string. */
function reasonText(reason: unknown): string {
  const text = typeof reason === 'string' ? reason : `(${typeof reason})`;
  return text.length > MAX_REASON_LENGTH ? text.slice(0, MAX_REASON_LENGTH) : text;
}

export class RejectionCounter {
  /** Policy name per kind, as the scenario names it. */
  private readonly policies: readonly string[];
  private readonly slotByReason: Map<string, number>[] = KINDS.map(() => new Map());
  /** Per slot: its kind and reason. */
  private readonly slotKind: number[] = [];
  private readonly slotReason: string[] = [];
  /** Per class, counts by slot. */
  private readonly counts: number[][];

  constructor(policies: Record<'admission' | 'routing', string>, classCount: number) {
    this.policies = KINDS.map((k) => (k === 'queue' ? GATEWAY_QUEUE : policies[k]));
    this.counts = Array.from({ length: classCount }, () => []);
  }

  /** Counts one rejection of a request of `classIndex`. */
  add(classIndex: number, kind: RejectionKind, reason: unknown): void {
    const slot = this.slot(KINDS.indexOf(kind), reasonText(reason));
    const row = this.counts[classIndex]!;
    row[slot] = (row[slot] ?? 0) + 1;
  }

  private slot(kind: number, reason: string): number {
    const slots = this.slotByReason[kind]!;
    const known = slots.get(reason);
    if (known !== undefined) return known;
    // Full: new reasons share the 'other' slot (created once, beyond the MAX_REASONS kept).
    const key = slots.size < MAX_REASONS ? reason : OTHER_REASON;
    const shared = slots.get(key);
    if (shared !== undefined) return shared;
    const slot = this.slotKind.length;
    this.slotKind.push(kind);
    this.slotReason.push(key);
    slots.set(key, slot);
    return slot;
  }

  /**
   * The counts of the given classes (all when omitted), sorted by kind (admission, routing, queue), then
   * count (highest first), then reason: deterministic for a seed.
   */
  summary(classIndexes?: readonly number[]): RejectionCount[] {
    const rows = classIndexes ? classIndexes.map((i) => this.counts[i]!) : this.counts;
    const out: RejectionCount[] = [];
    for (let slot = 0; slot < this.slotKind.length; slot++) {
      let count = 0;
      for (const row of rows) count += row[slot] ?? 0;
      if (count === 0) continue;
      const kind = KINDS[this.slotKind[slot]!]!;
      out.push({ policy: this.policies[this.slotKind[slot]!]!, kind, reason: this.slotReason[slot]!, count });
    }
    return out.sort(
      (a, b) =>
        KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) ||
        b.count - a.count ||
        (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0),
    );
  }
}
