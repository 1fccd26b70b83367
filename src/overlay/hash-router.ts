/**
 * Suppression for relayed items, after rippled's HashRouter: remember each item for a while, with
 * the peers that sent it to us, so that an item is relayed once and never back to its senders.
 */

export interface HashRouterOptions {
  /** How long an item is remembered (rippled: 300 s). */
  holdMs: number;
  /** An item may be relayed again after this (rippled: 30 s). */
  relayAgainMs: number;
}

interface Entry {
  firstSeen: number;
  relayedAt: number | undefined;
  from: Set<number>;
}

export class HashRouter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly opts: HashRouterOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Note that `peerId` sent `key`. Returns the set of peers to skip when this call should relay
   * the item, or undefined when it was relayed recently enough already.
   */
  receive(key: string, peerId: number): Set<number> | undefined {
    const t = this.now();
    let e = this.entries.get(key);
    if (!e) {
      e = { firstSeen: t, relayedAt: undefined, from: new Set() };
      this.entries.set(key, e);
    }
    e.from.add(peerId);
    if (e.relayedAt !== undefined && t - e.relayedAt < this.opts.relayAgainMs) return undefined;
    e.relayedAt = t;
    return e.from;
  }

  /** Drop entries older than the hold time; call periodically. */
  sweep(): void {
    const cutoff = this.now() - this.opts.holdMs;
    for (const [k, e] of this.entries) if (e.firstSeen < cutoff) this.entries.delete(k);
  }
}
