/**
 * The table of resource balances, after rippled's Resource::Manager (Logic): a balance belongs to
 * the remote address, not to one connection.
 *
 * - An inbound connection is keyed by the remote IP alone (rippled keys it at port 0), an outbound
 *   one by the address and port dialled; the two kinds never share an entry.
 * - Every connection with the same key shares the one entry, and so the one balance.
 * - When its last connection lets go, an entry is kept for `expirationMs` (rippled: 300 s), so that a
 *   peer dropped for its load and reconnecting at once still carries that load.
 * - Dropping a consumer for its load adds `dropFee` to it (rippled's feeDrop, 6000), which keeps it
 *   away a little longer; an attempt refused because the entry is still over the drop threshold
 *   pays it again.
 *
 * rippled runs `expire()` once a second and has no size limit. Ours also has a cap: past it the
 * inactive entries with the least balance are evicted first (a zero balance is the same as no
 * entry at all), so addresses that merely connected cannot push out one that is still over the
 * drop threshold. Entries in use are never evicted; there are never more of them than connections.
 *
 * rippled makes no peer an unlimited consumer (newUnlimitedEndpoint serves admin RPC clients only),
 * so cluster, fixed and reserved peers are charged like any other.
 */
import { formatEndpoint, normalizeIp } from '../address/address.js';
import { type ChargeOutcome, DEFAULT_RESOURCE_LIMITS, ResourceBalance, type ResourceLimits } from './resource.js';

export type ConsumerKind = 'inbound' | 'outbound';

export interface ResourceTableOptions extends ResourceLimits {
  /** How long an entry outlives its last consumer, ms (rippled's secondsUntilExpiration: 300 s). */
  expirationMs: number;
  /** Raw cost added when a consumer is dropped or refused for its load (rippled's feeDrop: 6000). */
  dropFee: number;
  /** Most entries kept before inactive ones are evicted (ours; rippled has no limit). */
  maxEntries?: number;
}

export const DEFAULT_RESOURCE_TABLE: Required<ResourceTableOptions> = {
  ...DEFAULT_RESOURCE_LIMITS,
  expirationMs: 300_000,
  dropFee: 6000,
  maxEntries: 10_000,
};

/** Eviction at the cap goes down to this share of it, so that it does not run on every insert. */
const PRUNE_TO = 0.9;

interface Entry {
  readonly key: string;
  readonly kind: ConsumerKind;
  /** "ip" (inbound) or "ip:port" / "[v6]:port" (outbound). */
  readonly address: string;
  readonly balance: ResourceBalance;
  refcount: number;
  /** Clock reading after which an inactive entry is erased. */
  expiresAt: number;
}

/** One connection's (or connection attempt's) hold on an entry, as rippled's Resource::Consumer. */
export class ResourceConsumer {
  private released = false;

  constructor(
    private readonly table: ResourceTable,
    private readonly entry: Entry,
  ) {}

  get kind(): ConsumerKind {
    return this.entry.kind;
  }

  /** The address the entry is keyed by. */
  get address(): string {
    return this.entry.address;
  }

  /** The shared normalised balance (admin `peers` shows it as `load`). */
  get balance(): number {
    return this.entry.balance.balance;
  }

  /** Adds a cost to the shared balance and compares the result with the thresholds (Logic::charge). */
  charge(cost: number): ChargeOutcome {
    return this.entry.balance.charge(cost);
  }

  /**
   * True when the balance is at or over the drop threshold, having then added the drop fee
   * (Logic::disconnect): the caller drops the connection, or refuses it.
   */
  disconnect(): boolean {
    if (this.balance < this.table.options.dropThreshold) return false;
    this.entry.balance.charge(this.table.options.dropFee);
    return true;
  }

  /** Lets go of the entry; the last consumer to do so starts its expiry. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.table.release(this.entry);
  }
}

export class ResourceTable {
  readonly options: Required<ResourceTableOptions>;
  private readonly entries = new Map<string, Entry>();
  /** Entries nobody holds, in the order they were let go (and so of expiry). */
  private readonly inactive = new Map<string, Entry>();

  constructor(
    options: Partial<ResourceTableOptions> = {},
    /** Milliseconds on a monotonic clock. */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.options = { ...DEFAULT_RESOURCE_TABLE, ...options };
  }

  /** A consumer for an inbound connection: keyed by the remote IP, whatever its port. */
  newInboundEndpoint(ip: string): ResourceConsumer {
    return this.acquire('inbound', normalizeIp(ip));
  }

  /** A consumer for a connection we dial: keyed by the address and port. */
  newOutboundEndpoint(ip: string, port: number): ResourceConsumer {
    return this.acquire('outbound', formatEndpoint(ip, port));
  }

  /** Entries held, in use or waiting to expire. */
  get size(): number {
    return this.entries.size;
  }

  /** The balance kept for a key, without taking a hold on it (0 when there is no entry). */
  peek(kind: 'inbound', ip: string): number;
  peek(kind: 'outbound', ip: string, port: number): number;
  peek(kind: ConsumerKind, ip: string, port?: number): number {
    const address = kind === 'inbound' ? normalizeIp(ip) : formatEndpoint(ip, port!);
    const e = this.live(`${kind} ${address}`);
    return e ? e.balance.balance : 0;
  }

  /** Erases the inactive entries whose time is up (rippled: Logic::periodicActivity, each second). */
  expire(): number {
    const t = this.now();
    let erased = 0;
    for (const e of this.inactive.values()) {
      if (e.expiresAt > t) break;
      this.erase(e);
      erased++;
    }
    return erased;
  }

  /** @internal Called by ResourceConsumer.release. */
  release(e: Entry): void {
    if (--e.refcount > 0) return;
    e.expiresAt = this.now() + this.options.expirationMs;
    this.inactive.delete(e.key);
    this.inactive.set(e.key, e);
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.refcount === 0 && e.expiresAt <= this.now()) {
      this.erase(e);
      return undefined;
    }
    return e;
  }

  private acquire(kind: ConsumerKind, address: string): ResourceConsumer {
    const key = `${kind} ${address}`;
    let e = this.live(key);
    if (!e) {
      e = { key, kind, address, balance: new ResourceBalance(this.options, this.now), refcount: 0, expiresAt: 0 };
      this.entries.set(key, e);
    }
    if (e.refcount++ === 0) this.inactive.delete(key);
    if (this.entries.size > this.options.maxEntries) this.prune();
    return new ResourceConsumer(this, e);
  }

  private erase(e: Entry): void {
    this.entries.delete(e.key);
    this.inactive.delete(e.key);
  }

  /** Over the cap: drop worthless (zero-balance) inactive entries, then the least loaded ones. */
  private prune(): void {
    this.expire();
    const target = Math.floor(this.options.maxEntries * PRUNE_TO);
    const rest: { e: Entry; balance: number }[] = [];
    for (const e of this.inactive.values()) {
      const balance = e.balance.balance;
      if (balance === 0) this.erase(e);
      else rest.push({ e, balance });
    }
    if (this.entries.size <= target) return;
    rest.sort((a, b) => a.balance - b.balance);
    for (const { e } of rest) {
      if (this.entries.size <= target) break;
      this.erase(e);
    }
  }
}

/** A consumer of its own, for a Peer made outside an overlay (tests, tools). */
export function standaloneConsumer(limits: ResourceLimits = DEFAULT_RESOURCE_LIMITS, ip = 'standalone'): ResourceConsumer {
  return new ResourceTable(limits).newInboundEndpoint(ip);
}
