/**
 * Suppression for relayed items, after rippled's HashRouter: remember each item with the peers that
 * sent it since it was last relayed, so that an item is relayed at most once per relay interval and
 * never back to those peers. As in rippled, every sighting refreshes an item, so an item that keeps
 * circulating stays suppressed; an item is forgotten once unseen for the hold time.
 */

export interface HashRouterOptions {
  /** How long an unseen item is remembered (rippled: 300 s). */
  holdMs: number;
  /** An item may be relayed again after this (rippled: 30 s). */
  relayAgainMs: number;
  /** Most items remembered; past it the least recently seen are forgotten first. */
  maxEntries?: number;
}

/** Enough for every item a busy mainnet node sees in its hold time, with room to spare. */
export const DEFAULT_MAX_ENTRIES = 200_000;

interface Entry {
  lastSeen: number;
  relayedAt: number | undefined;
  /** Peers that sent it since it was last relayed (rippled releases the set when relaying). */
  from: Set<number>;
}

export class HashRouter {
  /** In order of last sighting: the first entry is the least recently seen. */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly opts: HashRouterOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Note that `peerId` sent `key`. Returns the peers to skip when this call should relay the item,
   * or undefined when it was relayed recently enough already.
   */
  receive(key: string, peerId: number): Set<number> | undefined {
    const t = this.now();
    let e = this.entries.get(key);
    if (e) this.entries.delete(key);
    else e = { lastSeen: t, relayedAt: undefined, from: new Set() };
    e.lastSeen = t;
    this.entries.set(key, e);
    this.trim();
    e.from.add(peerId);
    if (e.relayedAt !== undefined && t - e.relayedAt < this.opts.relayAgainMs) return undefined;
    e.relayedAt = t;
    const skip = e.from;
    e.from = new Set();
    return skip;
  }

  /**
   * The peers that sent `key` since `receive` last released it (copies that came while it was being
   * checked), now released too: they are skipped when it is relayed, as rippled's shouldRelay takes
   * the set at relay time.
   */
  takeSenders(key: string): Set<number> | undefined {
    const e = this.entries.get(key);
    if (!e || e.from.size === 0) return undefined;
    const from = e.from;
    e.from = new Set();
    return from;
  }

  /** Forget items unseen for the hold time; call periodically. */
  sweep(): void {
    const cutoff = this.now() - this.opts.holdMs;
    for (const [k, e] of this.entries) {
      if (e.lastSeen >= cutoff) break; // the rest were seen later
      this.entries.delete(k);
    }
  }

  private trim(): void {
    const max = this.opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (this.entries.size <= max) return;
    for (const k of this.entries.keys()) {
      if (this.entries.size <= max) return;
      this.entries.delete(k);
    }
  }
}
