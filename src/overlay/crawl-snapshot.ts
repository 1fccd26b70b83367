/**
 * The /crawl body, built at most once per interval and served as the same bytes until then, so
 * that a crawler asking often costs one JSON build per interval, not one per request (the body
 * lists every peer: ~130 bytes each), and no request pays for encoding it again.
 *
 * When a peer comes or goes the snapshot is dropped, and the next request builds afresh: the peer
 * list is never stale. When the snapshot is merely old (uptimes, ledgers), a request within one more
 * interval is answered from it and the new body is built right after that answer, off the request's
 * path, so a steady crawler never waits for a build; a request after a longer silence builds first.
 * So the rest of the body is at most two intervals old.
 */
export class CrawlSnapshot {
  private body: Buffer | undefined;
  private builtAt = 0;
  private rebuildQueued = false;

  constructor(
    private readonly build: () => object,
    /** `[crawl] snapshot_ms`; 0 builds on every request. */
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
    /** Runs the rebuild after the current answer is written (tests pass a queue of their own). */
    private readonly later: (work: () => void) => void = (work) => void setImmediate(work),
  ) {}

  /** The JSON of /crawl, UTF-8 encoded. */
  bytes(): Buffer {
    const t = this.now();
    const age = t - this.builtAt;
    if (this.body === undefined || this.maxAgeMs === 0 || age < 0 || age >= 2 * this.maxAgeMs) return this.rebuild(t);
    if (age >= this.maxAgeMs && !this.rebuildQueued) {
      this.rebuildQueued = true;
      this.later(() => {
        this.rebuildQueued = false;
        // A request in between may have rebuilt it already (after invalidate).
        if (this.body !== undefined && this.now() - this.builtAt >= this.maxAgeMs) this.rebuild(this.now());
      });
    }
    return this.body;
  }

  /** The JSON text of /crawl. */
  json(): string {
    return this.bytes().toString('utf8');
  }

  /** The peer set changed: the next request builds afresh. */
  invalidate(): void {
    this.body = undefined;
  }

  private rebuild(t: number): Buffer {
    this.body = Buffer.from(JSON.stringify(this.build()), 'utf8');
    this.builtAt = t;
    return this.body;
  }
}
