/**
 * How much one peer may make us decompress per second. LZ4 expands up to 255 times, so a few
 * hundred kilobytes on the wire can cost a quarter of a second of CPU: without a bound one peer
 * could starve every other connection (rippled has no such bound; it decompresses on its own
 * threads). A token bucket of uncompressed bytes: it refills at `bytesPerSecond`, holds at most one
 * second's worth, and may go into debt by one frame; while in debt the peer is not read (TCP then
 * slows it down), so over any stretch of time it gets at most the rate, and an honest peer merely
 * waits.
 */
export class DecompressBudget {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = bytesPerSecond;
    this.updatedAt = now();
  }

  /** Spends `bytes` just decompressed; returns how long (ms) to stop reading, 0 when not in debt. */
  spend(bytes: number): number {
    this.refill();
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.bytesPerSecond);
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.updatedAt);
    this.updatedAt = t;
    this.tokens = Math.min(this.bytesPerSecond, this.tokens + (elapsed * this.bytesPerSecond) / 1000);
  }
}
