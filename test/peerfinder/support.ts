/** Helpers shared by the PeerFinder unit tests. */
import { defaultTimers } from '../../src/config/timers.js';
import { Bootcache } from '../../src/peerfinder/bootcache.js';
import { Livecache } from '../../src/peerfinder/livecache.js';

export const T = defaultTimers();
export const SEC = 1000;

/** Deterministic random in [0, 1). */
export function seeded(seed = 1): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A public address, distinct per n. */
export function pub(n: number, port = 51235): { ip: string; port: number } {
  return { ip: `44.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, port };
}

export function makeLivecache(now: () => number): Livecache {
  return new Livecache({ ttlMs: T.livecacheTtl, maxHops: T.maxHops, now });
}

export function makeBootcache(now: () => number, path?: string): Bootcache {
  return new Bootcache({ capacity: T.bootcacheSize, prunePercent: T.bootcachePrunePercent, cooldownMs: T.bootcacheCooldown, now, path });
}
