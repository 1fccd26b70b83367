/**
 * The outbound connection policy (rippled PeerFinder "autoconnect"), run once per autoconnect
 * tick, and the two sides of 503 redirects.
 *
 * Each tick may start up to maxConnectAttempts - attempts in flight new dials, taken from the
 * first tier that yields any:
 *   1. fixed peers, while fewer fixed peers are active than configured: those whose backoff has
 *      elapsed and whose IP has no connection or attempt; if none is ready but attempts are in
 *      flight, wait;
 *   2. (only if autoconnect is on, i.e. not [peer_private], and out < outMax) the Livecache,
 *      farthest hops first; if empty but attempts are in flight, wait;
 *   3. the Bootcache, by decreasing valence.
 * An IP is dialled at most once per recentAttemptInterval ("squelch"); the IPs of every current
 * connection and attempt are kept squelched, so an IP is never dialled twice at once and a
 * disconnected IP waits out the interval. One address per IP per batch.
 */
import { formatEndpoint, normalizeIp, sameIp, v6Groups, type IpEndpoint } from '../address/address.js';
import type { Bootcache } from './bootcache.js';
import { handout, type HandoutTarget, type HopEndpoint, type Livecache } from './livecache.js';

/** IPs dialled recently (rippled ConnectHandouts::Squelches), forgotten after the interval. */
export class RecentAttempts {
  private readonly map = new Map<string, number>();

  constructor(
    /** timers.recentAttemptInterval (60 s). */
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Add the IP; false (and no change) if it is already there. */
  insert(ip: string): boolean {
    this.expire();
    const key = ipKey(ip);
    if (this.map.has(key)) return false;
    this.map.set(key, this.now());
    return true;
  }

  /** Add the IP or restart its interval. */
  touch(ip: string): void {
    this.expire();
    const key = ipKey(ip);
    this.map.delete(key);
    this.map.set(key, this.now());
  }

  has(ip: string): boolean {
    this.expire();
    return this.map.has(ipKey(ip));
  }

  get size(): number {
    this.expire();
    return this.map.size;
  }

  expire(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [key, at] of this.map) if (at <= cutoff) this.map.delete(key);
  }
}

/** One spelling per address, so that "::ffff:1.2.3.4" / "1.2.3.4" and v6 spellings squelch each other. */
function ipKey(ip: string): string {
  const v4 = normalizeIp(ip);
  const groups = v6Groups(v4);
  return groups ? groups.map((g) => g.toString(16)).join(':') : v4;
}

export interface FixedTarget extends IpEndpoint {
  /** Do not dial before this time (the fixed peer's backoff). */
  nextAttemptAt: number;
}

export interface AutoconnectState {
  now: number;
  /** timers.maxConnectAttempts (20). */
  maxConnectAttempts: number;
  /** Outbound attempts started and not yet active or failed (all kinds, fixed included). */
  attemptsInFlight: number;
  /** Active outbound peers that hold a slot (not fixed, cluster or reserved). */
  outActive: number;
  outMax: number;
  /** Resolved [ips_fixed] addresses with their backoff. */
  fixed: FixedTarget[];
  /** Active peers that are fixed (either direction). */
  fixedActive: number;
  /** Remote IPs of every connection: active peers, both directions, and attempts in flight. */
  connectedIps: string[];
  /** Our own listening addresses: never dialled. */
  self?: IpEndpoint[];
  /** False for [peer_private] (and standalone): dial fixed peers only. */
  autoConnect: boolean;
  livecache: Livecache;
  bootcache: Bootcache;
  /** Kept by the caller across ticks; updated here with every address returned. */
  recentAttempts: RecentAttempts;
  /**
   * Also stop at the free outbound slots (outMax - outActive - attempts in flight). rippled does
   * not: it fills maxConnectAttempts and refuses the surplus handshakes as "full".
   */
  capAtFreeSlots?: boolean;
  random?: () => number;
}

export type AutoconnectSource = 'fixed' | 'livecache' | 'bootcache';

export interface AutoconnectResult {
  dial: IpEndpoint[];
  source?: AutoconnectSource;
  /** Why nothing was returned, for debug logs. */
  idle?: 'attempts-full' | 'waiting-on-attempts' | 'outbound-full' | 'autoconnect-off' | 'nothing-to-dial';
}

/** Addresses to dial now. */
export function autoconnect(s: AutoconnectState): AutoconnectResult {
  let needed = Math.max(0, s.maxConnectAttempts - s.attemptsInFlight);
  if (needed === 0) return { dial: [], idle: 'attempts-full' };

  for (const ip of s.connectedIps) s.recentAttempts.touch(ip);

  // 1. Fixed peers.
  if (s.fixedActive < s.fixed.length) {
    const list: IpEndpoint[] = [];
    for (const f of s.fixed) {
      if (list.length >= needed) break;
      if (f.nextAttemptAt > s.now) continue;
      if (s.connectedIps.some((ip) => sameIp(ip, f.ip))) continue;
      if (isSelf(s, f)) continue;
      if (!s.recentAttempts.insert(f.ip)) continue;
      list.push({ ip: normalizeIp(f.ip), port: f.port });
    }
    if (list.length > 0) return { dial: list, source: 'fixed' };
    if (s.attemptsInFlight > 0) return { dial: [], idle: 'waiting-on-attempts' };
  }

  if (!s.autoConnect) return { dial: [], idle: 'autoconnect-off' };
  if (s.outActive >= s.outMax) return { dial: [], idle: 'outbound-full' };
  if (s.capAtFreeSlots) {
    needed = Math.min(needed, s.outMax - s.outActive - s.attemptsInFlight);
    if (needed <= 0) return { dial: [], idle: 'outbound-full' };
  }

  // 2. Livecache, farthest first.
  const live = new ConnectHandouts(needed, s);
  handout([live], s.livecache.hopLists(s.random).reverse());
  if (live.list.length > 0) return { dial: live.list, source: 'livecache' };
  if (s.attemptsInFlight > 0) return { dial: [], idle: 'waiting-on-attempts' };

  // 3. Bootcache, best valence first.
  const boot = new ConnectHandouts(needed, s);
  for (const ep of s.bootcache.ordered()) {
    if (boot.full()) break;
    boot.tryInsert(ep);
  }
  if (boot.list.length > 0) return { dial: boot.list, source: 'bootcache' };
  return { dial: [], idle: 'nothing-to-dial' };
}

function isSelf(s: AutoconnectState, ep: IpEndpoint): boolean {
  return (s.self ?? []).some((me) => me.port === ep.port && sameIp(me.ip, ep.ip));
}

class ConnectHandouts implements HandoutTarget {
  readonly list: IpEndpoint[] = [];

  constructor(
    private readonly needed: number,
    private readonly s: AutoconnectState,
  ) {}

  full(): boolean {
    return this.list.length >= this.needed;
  }

  tryInsert(e: IpEndpoint | HopEndpoint): boolean {
    if (this.full()) return false;
    if (this.list.some((x) => sameIp(x.ip, e.ip))) return false;
    if (isSelf(this.s, e)) return false;
    if (!this.s.recentAttempts.insert(e.ip)) return false;
    this.list.push({ ip: normalizeIp(e.ip), port: e.port });
    return true;
  }
}

// ---------------------------------------------------------------------------------------
// 503 redirects

export interface RedirectOptions {
  /** timers.redirectIpsSent (10). */
  limit: number;
  /** timers.maxHops (6). */
  maxHops: number;
  random?: () => number;
}

/**
 * The "peer-ips" of our 503 answer to `requesterIp`: Livecache entries, nearest hops first
 * (round-robin over hop levels), hops 1..maxHops, one per IP, never the requester's own IP.
 */
export function redirectHandouts(requesterIp: string, livecache: Livecache, o: RedirectOptions): string[] {
  const list: IpEndpoint[] = [];
  const target: HandoutTarget = {
    full: () => list.length >= o.limit,
    tryInsert: (e) => {
      if (list.length >= o.limit) return false;
      if (e.hops > o.maxHops || e.hops === 0) return false;
      if (sameIp(e.ip, requesterIp)) return false;
      if (list.some((x) => sameIp(x.ip, e.ip))) return false;
      list.push(e);
      return true;
    },
  };
  handout([target], livecache.hopLists(o.random));
  return list.map((e) => formatEndpoint(e.ip, e.port));
}

/**
 * The dialler's side of a 503: the first `max` (timers.redirectIps, 30) addresses of "peer-ips"
 * go into the Bootcache (valence 0 when new). Returns how many were taken.
 */
export function acceptRedirects(peerIps: IpEndpoint[], bootcache: Bootcache, max: number): number {
  const taken = peerIps.slice(0, max);
  for (const ep of taken) bootcache.insert(ep);
  return taken.length;
}
