import { BinaryHeap } from '../engine/binary-heap.ts';
import { Deque } from '../engine/deque.ts';
import type { Ticket } from './ticket.ts';

/**
 * GatewayQueue: where admitted-later tickets wait (admission said `enqueue`). Order is FIFO,
 * LIFO (newest first, as in Facebook's adaptive LIFO) or priority (highest priority first, FIFO
 * within a priority). Removal is lazy: a ticket that stops waiting (timeout, cancel) clears its
 * `queued` flag and the queue skips it; `size` counts only live entries.
 */
export class GatewayQueue {
  private readonly order: 'fifo' | 'lifo' | 'priority';
  private readonly deque = new Deque<Ticket>();
  // Ordered by (priority desc, id asc): ids grow with arrival, so FIFO within a level.
  private readonly heap = new BinaryHeap<Ticket>(
    (a, b) =>
      a.view.priority > b.view.priority || (a.view.priority === b.view.priority && a.work.id < b.work.id),
  );
  private live = 0;

  constructor(order: 'fifo' | 'lifo' | 'priority') {
    this.order = order;
  }

  get size(): number {
    return this.live;
  }

  push(req: Ticket): void {
    req.queued = true;
    this.live++;
    if (this.order === 'priority') this.heap.push(req);
    else this.deque.push(req);
  }

  /** Marks `req` as no longer waiting (it is skipped later). */
  remove(req: Ticket): void {
    if (!req.queued) return;
    req.queued = false;
    this.live--;
  }

  /** The next live ticket without removing it. */
  peek(): Ticket | undefined {
    this.dropDead();
    if (this.order === 'priority') return this.heap.peek();
    return this.order === 'fifo' ? this.deque.peekFront() : this.peekBack();
  }

  /** Removes and returns the next live ticket. */
  take(): Ticket | undefined {
    this.dropDead();
    let req: Ticket | undefined;
    if (this.order === 'priority') req = this.heap.pop();
    else req = this.order === 'fifo' ? this.deque.shift() : this.deque.pop();
    if (req) {
      req.queued = false;
      this.live--;
    }
    return req;
  }

  private peekBack(): Ticket | undefined {
    const r = this.deque.pop();
    if (r) this.deque.push(r);
    return r;
  }

  private dropDead(): void {
    if (this.order === 'priority') {
      while (this.heap.size > 0 && !this.heap.peek()!.queued) this.heap.pop();
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
}
