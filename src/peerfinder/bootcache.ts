/**
 * The Bootcache: addresses worth dialling at start-up, persisted in the data directory.
 *
 * Each entry has a valence: the number of consecutive successful outbound handshakes when
 * positive, of consecutive failures when negative. A success after failures (or a failure
 * after successes) first resets it to 0. Addresses from the config's [ips] enter with a high
 * static valence (32) so they are tried before anything learned. Autoconnect walks the cache
 * by decreasing valence; when the cache grows past its capacity the worst share is pruned.
 *
 * A dead address is forgotten: a learned entry (not from [ips]) whose valence falls to
 * -maxFailures (that many failed dials in a row, one a minute at most) is removed, so it is not
 * redialled forever. rippled keeps it until a prune at capacity drops it, and a small cache never
 * reaches capacity. [ips] entries stay: the operator named them, and rippled re-adds them at start.
 *
 * Saving is throttled: a change marks the cache dirty and it is written at most once per
 * cooldown (checked on change and on the periodic tick); `flush()` writes now (shutdown).
 */
import { join } from 'node:path';
import { parseEndpoint, type IpEndpoint } from '../address/address.js';
import { describeJson, readJsonState, writeJsonAtomic } from '../identity/state-file.js';
import { endpointKey } from './livecache.js';

/** rippled Bootcache::staticValence: the valence of addresses from [ips]. */
export const STATIC_VALENCE = 32;

export const BOOTCACHE_FILE = 'bootcache.json';

export interface BootcacheOptions {
  /** timers.bootcacheSize (1000): prune when the cache holds more than this. */
  capacity: number;
  /** timers.bootcachePrunePercent (10): share of the entries dropped by one prune. */
  prunePercent: number;
  /** timers.bootcacheCooldown (60 s): least time between two saves. */
  cooldownMs: number;
  /** timers.bootcacheMaxFailures (ours, 10): a learned entry this many failures down is dropped; 0: never. */
  maxFailures?: number;
  now: () => number;
  /** File to persist to (usually `bootcachePath(dataDir)`); none: memory only. */
  path?: string;
  /** A failed save (it is retried after the cooldown); the caller logs it. */
  onSaveError?: (message: string) => void;
}

export interface BootcacheEntry extends IpEndpoint {
  valence: number;
}

interface Slot extends BootcacheEntry {
  /** Order among equal valences: later (re)insertions sort after earlier ones. */
  seq: number;
}

interface FileShape {
  version: 1;
  entries: { endpoint: string; valence: number }[];
}

export function bootcachePath(dataDir: string): string {
  return join(dataDir, BOOTCACHE_FILE);
}

export class Bootcache {
  private readonly map = new Map<string, Slot>();
  /** Keys of the [ips] addresses given this run (never dropped as dead). */
  private readonly statics = new Set<string>();
  private seq = 0;
  private dirty = false;
  private whenUpdate: number;
  /** Number of writes so far (for tests and diagnostics). */
  saves = 0;

  constructor(private readonly opts: BootcacheOptions) {
    this.whenUpdate = opts.now();
  }

  get size(): number {
    return this.map.size;
  }

  valence(ep: IpEndpoint): number | undefined {
    return this.map.get(endpointKey(ep))?.valence;
  }

  has(ep: IpEndpoint): boolean {
    return this.map.has(endpointKey(ep));
  }

  /** Entries by decreasing valence; equal valences in the order they were last changed. */
  entries(): BootcacheEntry[] {
    return this.sorted().map(({ ip, port, valence }) => ({ ip, port, valence }));
  }

  /** Addresses in autoconnect order. */
  ordered(): IpEndpoint[] {
    return this.sorted().map(({ ip, port }) => ({ ip, port }));
  }

  /** A newly learned address (TMEndpoints, redirect) at valence 0; an existing one is untouched. */
  insert(ep: IpEndpoint): boolean {
    const key = endpointKey(ep);
    if (this.map.has(key)) return false;
    this.put(key, ep, 0);
    this.prune();
    this.flagForUpdate();
    return true;
  }

  /** A configured [ips] address at STATIC_VALENCE; raises an existing entry that is lower. */
  insertStatic(ep: IpEndpoint): boolean {
    const key = endpointKey(ep);
    const old = this.map.get(key);
    this.statics.add(key);
    if (old && old.valence >= STATIC_VALENCE) return false;
    this.put(key, ep, STATIC_VALENCE);
    this.prune();
    this.flagForUpdate();
    return true;
  }

  /** An outbound handshake with this address completed. */
  onSuccess(ep: IpEndpoint): number {
    const key = endpointKey(ep);
    const old = this.map.get(key);
    const valence = old ? Math.max(old.valence, 0) + 1 : 1;
    this.put(key, ep, valence);
    if (!old) this.prune();
    this.flagForUpdate();
    return valence;
  }

  /** An outbound attempt to this address failed before activation. */
  onFailure(ep: IpEndpoint): number {
    const key = endpointKey(ep);
    const old = this.map.get(key);
    const valence = old ? Math.min(old.valence, 0) - 1 : -1;
    const max = this.opts.maxFailures ?? 0;
    if (max > 0 && valence <= -max && !this.statics.has(key)) {
      // Dead: forgotten rather than redialled every recentAttemptInterval forever.
      this.map.delete(key);
      this.flagForUpdate();
      return valence;
    }
    this.put(key, ep, valence);
    if (!old) this.prune();
    this.flagForUpdate();
    return valence;
  }

  /** Call once per autoconnect tick: saves when dirty and off cooldown. Returns true if it saved. */
  periodic(): boolean {
    return this.checkUpdate();
  }

  /** Save now if anything changed (shutdown). */
  flush(): boolean {
    if (!this.dirty) return false;
    return this.update();
  }

  /**
   * Replace the contents with the file's. A missing file is an empty cache; an unreadable or
   * malformed file leaves the cache empty and returns a warning for the caller to log.
   */
  load(): { loaded: number; warning?: string } {
    this.map.clear();
    if (!this.opts.path) return { loaded: 0 };
    let list: unknown[];
    try {
      list = readJsonState<unknown[]>(this.opts.path, [], (data) => {
        if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error(`expected an object, found ${describeJson(data)}`);
        const file = data as Partial<FileShape>;
        if (!Array.isArray(file.entries)) throw new Error(`no "entries" list (found ${describeJson(file.entries)})`);
        if (file.version !== undefined && file.version !== 1) throw new Error(`unknown version ${JSON.stringify(file.version)} (expected 1)`);
        return file.entries;
      });
    } catch (err) {
      // A cache: a damaged one is reported and replaced, not fatal.
      return { loaded: 0, warning: `bootcache ignored, starting empty: ${(err as Error).message}` };
    }
    let bad = 0;
    for (const item of list as unknown[]) {
      const rec = item as { endpoint?: unknown; valence?: unknown } | null;
      const ep = typeof rec?.endpoint === 'string' ? parseEndpoint(rec.endpoint) : undefined;
      const valence = rec?.valence;
      if (!ep || typeof valence !== 'number' || !Number.isSafeInteger(valence)) {
        bad++;
        continue;
      }
      const key = endpointKey(ep);
      if (this.map.has(key)) {
        bad++;
        continue;
      }
      this.put(key, ep, valence);
    }
    if (this.map.size > 0) this.prune();
    const warning = bad > 0 ? `bootcache ${this.opts.path}: skipped ${bad} malformed or duplicate entries` : undefined;
    return { loaded: this.map.size, warning };
  }

  // ------------------------------------------------------------ internals

  private put(key: string, ep: IpEndpoint, valence: number): void {
    this.map.delete(key);
    this.map.set(key, { ip: ep.ip, port: ep.port, valence, seq: this.seq++ });
  }

  private sorted(): Slot[] {
    return [...this.map.values()].sort((a, b) => b.valence - a.valence || a.seq - b.seq);
  }

  /** Over capacity: drop prunePercent of the entries from the worst end. */
  private prune(): number {
    if (this.map.size <= this.opts.capacity) return 0;
    const count = Math.floor((this.map.size * this.opts.prunePercent) / 100);
    const victims = this.sorted().slice(this.map.size - count);
    for (const v of victims) this.map.delete(endpointKey(v));
    return victims.length;
  }

  private flagForUpdate(): void {
    this.dirty = true;
    this.checkUpdate();
  }

  private checkUpdate(): boolean {
    if (!this.dirty || this.whenUpdate >= this.opts.now()) return false;
    return this.update();
  }

  private update(): boolean {
    this.whenUpdate = this.opts.now() + this.opts.cooldownMs;
    if (this.opts.path) {
      const file: FileShape = {
        version: 1,
        entries: this.sorted().map((e) => ({ endpoint: endpointKey(e), valence: e.valence })),
      };
      try {
        writeJsonAtomic(this.opts.path, file);
      } catch (err) {
        // Stay dirty: the next tick after the cooldown tries again.
        this.opts.onSaveError?.(`bootcache not saved to ${this.opts.path}: ${(err as Error).message}`);
        return false;
      }
      this.saves++;
    }
    this.dirty = false;
    return true;
  }
}
