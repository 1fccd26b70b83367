/**
 * The Livecache: addresses heard from peers in TMEndpoints, kept for a short time.
 *
 * Entries are stored at the hop count we would send them at (the sender's hops + 1), so a
 * direct neighbour is at hops 1 and an address received at the maximum hops is stored at
 * maxHops + 1: it is used for our own dialling and 503 redirects but never passed on.
 * Peers advertise themselves only while they have free slots, so entries expire quickly.
 *
 * Also home of the "handout" distribution shared by the TMEndpoints builder, autoconnect and
 * 503 redirects: hop levels are visited round-robin, one acceptable entry per level per
 * target per round, so a list mixes hop distances instead of draining one level first.
 */
import { formatEndpoint, normalizeIp, type IpEndpoint } from '../address/address.js';

export interface HopEndpoint extends IpEndpoint {
  hops: number;
}

export interface LiveEntry extends HopEndpoint {
  /** When the entry was inserted or last refreshed (ms). */
  seenAt: number;
}

export interface LivecacheOptions {
  /** How long an entry lives after its last sighting (timers.livecacheTtl, rippled 30 s). */
  ttlMs: number;
  /** timers.maxHops (rippled 6); entries are stored at hops 0..maxHops+1. */
  maxHops: number;
  now: () => number;
}

export type LivecacheInsertResult = 'inserted' | 'improved' | 'refreshed' | 'ignored';

export function endpointKey(ep: IpEndpoint): string {
  return formatEndpoint(ep.ip, ep.port);
}

export class Livecache {
  private readonly entries = new Map<string, LiveEntry>();

  constructor(private readonly opts: LivecacheOptions) {}

  get maxHops(): number {
    return this.opts.maxHops;
  }

  /**
   * Record a sighting. A new address is inserted; a sighting at fewer hops moves the entry to
   * those hops and refreshes it; one at the same hops refreshes it; one at more hops is ignored
   * (and does not refresh). Hops above maxHops + 1 are clamped to it.
   */
  insert(ep: HopEndpoint): LivecacheInsertResult {
    this.expire();
    const hops = Math.max(0, Math.min(Math.floor(ep.hops), this.opts.maxHops + 1));
    const key = endpointKey(ep);
    const now = this.opts.now();
    const old = this.entries.get(key);
    if (!old) {
      this.entries.set(key, { ip: normalizeIp(ep.ip), port: ep.port, hops, seenAt: now });
      return 'inserted';
    }
    if (hops > old.hops) return 'ignored';
    // Re-insert so that iteration order (oldest sighting first) follows the refresh time.
    this.entries.delete(key);
    this.entries.set(key, { ...old, hops, seenAt: now });
    return hops < old.hops ? 'improved' : 'refreshed';
  }

  /** Drop entries last seen ttl or more ago; returns how many were dropped. */
  expire(): number {
    const cutoff = this.opts.now() - this.opts.ttlMs;
    let n = 0;
    for (const [key, e] of this.entries) {
      if (e.seenAt > cutoff) continue;
      this.entries.delete(key);
      n++;
    }
    return n;
  }

  get size(): number {
    this.expire();
    return this.entries.size;
  }

  get(ep: IpEndpoint): LiveEntry | undefined {
    this.expire();
    const e = this.entries.get(endpointKey(ep));
    return e ? { ...e } : undefined;
  }

  all(): LiveEntry[] {
    this.expire();
    return [...this.entries.values()].map((e) => ({ ...e }));
  }

  /** Count of entries at each hop level, index = hops (0..maxHops+1). */
  histogram(): number[] {
    const h = new Array<number>(this.opts.maxHops + 2).fill(0);
    for (const e of this.all()) h[e.hops]!++;
    return h;
  }

  /**
   * The entries grouped by hops (index = hops, 0..maxHops+1), each group shuffled; fresh
   * copies the caller may reorder. Ascending for TMEndpoints and redirects; reverse it for
   * autoconnect (rippled dials the farthest addresses first).
   */
  hopLists(random: () => number = Math.random): LiveEntry[][] {
    const lists: LiveEntry[][] = Array.from({ length: this.opts.maxHops + 2 }, () => []);
    for (const e of this.all()) lists[e.hops]!.push(e);
    for (const list of lists) shuffle(list, random);
    return lists;
  }
}

/** Fisher-Yates, in place. */
export function shuffle<T>(list: T[], random: () => number = Math.random): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/** A receiver of handed-out entries (one TMEndpoints list, one dial batch, one redirect). */
export interface HandoutTarget {
  full(): boolean;
  /** Take the entry if acceptable; false to skip it. */
  tryInsert(e: HopEndpoint): boolean;
}

/**
 * Distribute entries from `lists` (visited in the given order) to `targets`: each round gives
 * every non-full target at most one entry from each list; an entry given out moves to the back
 * of its list so the next target sees a different one first. Ends when every target is full
 * or a whole round hands out nothing.
 */
export function handout(targets: HandoutTarget[], lists: HopEndpoint[][]): void {
  for (;;) {
    let given = 0;
    for (const list of lists) {
      let allFull = true;
      for (const t of targets) {
        if (t.full()) continue;
        allFull = false;
        given += handoutOne(t, list);
      }
      if (allFull) return;
    }
    if (given === 0) return;
  }
}

function handoutOne(t: HandoutTarget, list: HopEndpoint[]): number {
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (!t.tryInsert(e)) continue;
    list.splice(i, 1);
    list.push(e);
    return 1;
  }
  return 0;
}
