import { Deque } from '../engine/deque.ts';
import type { Request } from '../workload/request.ts';

/**
 * GatewayQueue: where admitted-later requests wait (admission said `enqueue`). Order is FIFO,
 * LIFO (newest first, as in Facebook's adaptive LIFO) or priority (highest priority first, FIFO
 * within a priority). Removal is lazy: a request that stops waiting (timeout, cancel) clears its
 * `queued` flag and the queue skips it; `size` counts only live entries.
 */
export class GatewayQueue {
  private readonly order: 'fifo' | 'lifo' | 'priority';
  private readonly deque = new Deque<Request>();
  private readonly heap: Request[] = [];
  private live = 0;

  constructor(order: 'fifo' | 'lifo' | 'priority') {
    this.order = order;
  }

  get size(): number {
    return this.live;
  }

  push(req: Request): void {
    req.queued = true;
    this.live++;
    if (this.order === 'priority') this.heapPush(req);
    else this.deque.push(req);
  }

  /** Marks `req` as no longer waiting (it is skipped later). */
  remove(req: Request): void {
    if (!req.queued) return;
    req.queued = false;
    this.live--;
  }

  /** The next live request without removing it. */
  peek(): Request | undefined {
    this.dropDead();
    if (this.order === 'priority') return this.heap[0];
    return this.order === 'fifo' ? this.deque.peekFront() : this.peekBack();
  }

  /** Removes and returns the next live request. */
  take(): Request | undefined {
    this.dropDead();
    let req: Request | undefined;
    if (this.order === 'priority') req = this.heapPop();
    else req = this.order === 'fifo' ? this.deque.shift() : this.deque.pop();
    if (req) {
      req.queued = false;
      this.live--;
    }
    return req;
  }

  private peekBack(): Request | undefined {
    const r = this.deque.pop();
    if (r) this.deque.push(r);
    return r;
  }

  private dropDead(): void {
    if (this.order === 'priority') {
      while (this.heap.length > 0 && !this.heap[0]!.queued) this.heapPop();
    } else if (this.order === 'fifo') {
      while (this.deque.size > 0 && !this.deque.peekFront()!.queued) this.deque.shift();
    } else {
      for (;;) {
        const r = this.deque.pop();
        if (!r) break;
        if (r.queued) {
          this.deque.push(r);
          break;
        }
      }
    }
  }

  // Binary heap ordered by (priority desc, id asc): ids grow with arrival, so FIFO within a level.
  private before(a: Request, b: Request): boolean {
    return a.view.priority > b.view.priority || (a.view.priority === b.view.priority && a.id < b.id);
  }

  private heapPush(req: Request): void {
    const h = this.heap;
    h.push(req);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      const t = h[i]!;
      h[i] = h[p]!;
      h[p] = t;
      i = p;
    }
  }

  private heapPop(): Request | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        const t = h[i]!;
        h[i] = h[m]!;
        h[m] = t;
        i = m;
      }
    }
    return top;
  }
}
