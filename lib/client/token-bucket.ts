import { Clock, realClock } from './clock';

/**
 * A token bucket on an injected clock (client-go's flowcontrol token bucket): `ratePerSecond`
 * tokens accrue per second, at most `burst` are banked, and it starts full. Callers either try
 * to take a token now (tryTake) or reserve one and learn how long to wait for it (reserve).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new Error(`TokenBucket: need ratePerSecond > 0 and burst >= 1, got ${ratePerSecond} and ${burst}`);
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Takes a token if one is banked; false (nothing taken) when the bucket is empty. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Takes a token, going into debt when none is banked: the milliseconds until the token is
   * covered (0 when it was there).
   */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsedMs = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSecond) / 1000);
  }
}
