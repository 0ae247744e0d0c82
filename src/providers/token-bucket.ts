/**
 * TokenBucket: continuous replenishment, the way hosted APIs describe their per-minute limits
 * (Anthropic: "continuously replenished up to the maximum"). Capacity is the per-minute limit,
 * refilled at limit/60 s. A debit may drive the balance negative (output tokens are only known at
 * the end of a request); requests are refused while the balance cannot cover them.
 */
const EPSILON = 1e-9;

export class TokenBucket {
  private readonly limitPerMinute: number;
  private capacity: number;
  private refillPerMs: number;
  private balance: number;
  private updatedMs = 0;

  constructor(limitPerMinute: number) {
    if (!(limitPerMinute > 0)) throw new Error(`token bucket needs a positive limit, got ${limitPerMinute}`);
    this.limitPerMinute = limitPerMinute;
    this.capacity = limitPerMinute;
    this.refillPerMs = limitPerMinute / 60_000;
    this.balance = limitPerMinute;
  }

  /** Scales the limit (a 429 storm sets factor 0.1; 1 restores it). The balance is clipped. */
  setFactor(factor: number, nowMs: number): void {
    this.refill(nowMs);
    this.capacity = this.limitPerMinute * factor;
    this.refillPerMs = this.capacity / 60_000;
    if (this.balance > this.capacity) this.balance = this.capacity;
  }

  available(nowMs: number): number {
    this.refill(nowMs);
    return this.balance;
  }

  /**
   * True when `amount` fits now (an empty request needs a positive balance). A caller who waited
   * exactly `msUntil` must pass, so the comparison forgives float rounding (1e-9 tokens).
   */
  canTake(amount: number, nowMs: number): boolean {
    this.refill(nowMs);
    return amount > 0 ? this.balance + EPSILON >= amount : this.balance > 0;
  }

  /** Takes `amount` (may go negative). */
  take(amount: number, nowMs: number): void {
    this.refill(nowMs);
    this.balance -= amount;
  }

  /** Milliseconds until `amount` would fit (Infinity if it never can at the current limit). */
  msUntil(amount: number, nowMs: number): number {
    this.refill(nowMs);
    const need = Math.max(amount, 1e-9) - this.balance;
    if (need <= 0) return 0;
    if (amount > this.capacity || this.refillPerMs <= 0) return Number.POSITIVE_INFINITY;
    return need / this.refillPerMs;
  }

  private refill(nowMs: number): void {
    if (nowMs > this.updatedMs) {
      this.balance = Math.min(this.capacity, this.balance + (nowMs - this.updatedMs) * this.refillPerMs);
      this.updatedMs = nowMs;
    }
  }
}
