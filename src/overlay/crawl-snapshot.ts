/**
 * The /crawl body, built at most once per interval and served as the same string until then, so
 * that a crawler asking often costs one JSON build per interval, not one per request (the body
 * lists every peer: ~130 bytes each). The overlay drops the snapshot when a peer comes or goes, so
 * the peer list is never stale; what can be up to one interval old is the rest (uptimes, ledgers).
 */
export class CrawlSnapshot {
  private body: string | undefined;
  private builtAt = 0;

  constructor(
    private readonly build: () => object,
    /** `[crawl] snapshot_ms`; 0 builds on every request. */
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The JSON text of /crawl. */
  json(): string {
    const t = this.now();
    if (this.body === undefined || this.maxAgeMs === 0 || t - this.builtAt >= this.maxAgeMs || t < this.builtAt) {
      this.body = JSON.stringify(this.build());
      this.builtAt = t;
    }
    return this.body;
  }

  /** The peer set changed: the next request builds afresh. */
  invalidate(): void {
    this.body = undefined;
  }
}
