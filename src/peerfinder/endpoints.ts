/**
 * TMEndpoints (message 15, version 2): what we tell each peer, and what we take from theirs.
 *
 * Sending: one broadcast every endpointsInterval (151 s) to every active peer at once. Each
 * list holds at most endpointsPerMessage (12) entries: first our own "[::]:<port>" at hops 0
 * when we accept inbound, then Livecache entries handed out across the peers (hops 0..maxHops,
 * one address per IP, never the peer's own IP, nothing the peer told us or we told it within
 * the Livecache TTL at the same or fewer hops).
 *
 * Receiving: at most one list per peer per endpointsInterval; a longer list than
 * endpointsMaxReceived (64) is sampled; entries over maxHops, a second hops-0 entry, invalid
 * addresses and duplicates are dropped; the hops-0 entry takes the socket's remote IP; survivors
 * get hops + 1. The sender's own hops-0 address from a peer that dialled us is believed only
 * after a TCP connect to it succeeds (the first one is dropped while the test runs).
 */
import type { TMEndpoints, TMEndpointV2 } from '../protocol/messages.js';
import {
  formatEndpoint,
  isPublicIp,
  isUnspecifiedIp,
  normalizeIp,
  parseEndpoint,
  sameIp,
  type IpEndpoint,
} from '../address/address.js';
import type { Bootcache } from './bootcache.js';
import { endpointKey, handout, shuffle, type HandoutTarget, type HopEndpoint, type Livecache } from './livecache.js';

/** rippled PeerImp: a TMEndpoints with this many entries or more is refused whole (and charged). */
export const ENDPOINTS_HARD_LIMIT = 1024;

/** The only TMEndpoints version rippled accepts. */
export const ENDPOINTS_VERSION = 2;

// ---------------------------------------------------------------------------------------
// Per-peer state

/**
 * Addresses a peer told us, or we told it, with the hops, forgotten after the Livecache TTL.
 * We do not send a peer an address it already knows at the same or fewer hops.
 */
export class RecentEndpoints {
  private readonly map = new Map<string, { hops: number; at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Record (or lower and refresh) the hops at which this peer knows the address. */
  insert(ep: IpEndpoint, hops: number): void {
    this.expire();
    const key = endpointKey(ep);
    const old = this.map.get(key);
    if (old && hops > old.hops) return;
    this.map.delete(key);
    this.map.set(key, { hops, at: this.now() });
  }

  /** True when the peer already knows the address at `hops` or fewer. */
  filter(ep: IpEndpoint, hops: number): boolean {
    this.expire();
    const old = this.map.get(endpointKey(ep));
    return old !== undefined && old.hops <= hops;
  }

  get size(): number {
    this.expire();
    return this.map.size;
  }

  expire(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [key, v] of this.map) if (v.at <= cutoff) this.map.delete(key);
  }
}

/** What discovery keeps for one active peer (rippled keeps it on the Slot). */
export interface PeerDiscovery {
  remoteIp: string;
  inbound: boolean;
  /** Next TMEndpoints from this peer is ignored before this time (ms). */
  whenAcceptEndpoints: number;
  recent: RecentEndpoints;
  /** The peer's listening port has been tested (always true for peers we dialled). */
  checked: boolean;
  /** The test passed (always true for peers we dialled). */
  canAccept: boolean;
  checkInProgress: boolean;
  /** Set when a connect test passes. */
  listeningPort?: number;
}

export interface PeerDiscoveryOptions {
  remoteIp: string;
  inbound: boolean;
  /** `[overlay] verify_endpoints` (default true): test an inbound peer's advertised port. */
  verifyEndpoints: boolean;
  /** timers.livecacheTtl: how long the per-peer "recent" table remembers. */
  recentTtlMs: number;
  now: () => number;
}

/** State for a peer that just became active: it may send endpoints at once. */
export function createPeerDiscovery(o: PeerDiscoveryOptions): PeerDiscovery {
  const trusted = !o.inbound || !o.verifyEndpoints;
  return {
    remoteIp: normalizeIp(o.remoteIp),
    inbound: o.inbound,
    whenAcceptEndpoints: o.now(),
    recent: new RecentEndpoints(o.recentTtlMs, o.now),
    checked: trusted,
    canAccept: trusted,
    checkInProgress: false,
  };
}

// ---------------------------------------------------------------------------------------
// Receiving

export type DropReason = 'hops' | 'extra-self' | 'unspecified' | 'private' | 'port-zero' | 'duplicate' | 'check-in-progress' | 'connect-test' | 'failed-test';

export interface ReceiveOptions {
  now: number;
  /** timers.endpointsInterval (151 s). */
  intervalMs: number;
  /** timers.maxHops (6). */
  maxHops: number;
  /** timers.endpointsMaxReceived (64). */
  maxReceived: number;
  /**
   * Keep non-public addresses (RFC 1918, loopback, link-local...). rippled has no such switch:
   * it always drops them. For test networks on 127.0.0.x and private LANs.
   */
  allowPrivate: boolean;
  random?: () => number;
  /** Lists this long or longer are refused whole (rippled PeerImp: 1024). */
  hardLimit?: number;
}

export interface ReceivedEndpoints {
  status: 'accepted' | 'rate-limited' | 'bad-version' | 'too-large';
  /** For the Livecache and the Bootcache; hops already incremented (1 = the sender itself). */
  accepted: HopEndpoint[];
  /** The sender's listening address, to test with a TCP connect (then call connectTestDone). */
  connectTest?: IpEndpoint;
  dropped: { endpoint: string; reason: DropReason }[];
  /** Entries whose address did not parse (rippled charges the peer for each). */
  malformed: number;
}

/**
 * Process a TMEndpoints from an active peer. Updates `state` (rate limit, recent table, connect
 * test flags) and returns what to store. The caller checks rippled's other precondition itself:
 * the message is ignored unless the peer is tracking the network (converged).
 */
export function receiveEndpoints(state: PeerDiscovery, msg: TMEndpoints, o: ReceiveOptions): ReceivedEndpoints {
  const result: ReceivedEndpoints = { status: 'accepted', accepted: [], dropped: [], malformed: 0 };
  if (msg.version !== ENDPOINTS_VERSION) return { ...result, status: 'bad-version' };
  const raw = msg.endpoints_v2 ?? [];
  if (raw.length >= (o.hardLimit ?? ENDPOINTS_HARD_LIMIT)) return { ...result, status: 'too-large' };

  // Parse; a hops-0 entry describes the sender: take the IP the socket sees.
  let list: HopEndpoint[] = [];
  for (const e of raw) {
    const ep = parseWireEndpoint(e.endpoint);
    if (!ep) {
      result.malformed++;
      continue;
    }
    const hops = Math.min(e.hops >>> 0, o.maxHops + 1);
    list.push(hops === 0 ? { ip: state.remoteIp, port: ep.port, hops } : { ...ep, hops });
  }

  if (list.length > o.maxReceived) list = shuffle(list, o.random).slice(0, o.maxReceived);

  if (state.whenAcceptEndpoints > o.now) return { ...result, status: 'rate-limited' };

  const kept: HopEndpoint[] = [];
  let neighbour = false;
  for (const ep of list) {
    const drop = (reason: DropReason) => result.dropped.push({ endpoint: formatEndpoint(ep.ip, ep.port), reason });
    if (ep.hops > o.maxHops) {
      drop('hops');
      continue;
    }
    if (ep.hops === 0) {
      if (neighbour) {
        drop('extra-self');
        continue;
      }
      neighbour = true;
    }
    const invalid = invalidReason(ep, o.allowPrivate);
    if (invalid) {
      drop(invalid);
      continue;
    }
    if (kept.some((k) => k.port === ep.port && sameIp(k.ip, ep.ip))) {
      drop('duplicate');
      continue;
    }
    kept.push({ ...ep, hops: ep.hops + 1 });
  }

  for (const ep of kept) {
    state.recent.insert(ep, ep.hops);
    if (ep.hops === 1) {
      if (state.checkInProgress) {
        result.dropped.push({ endpoint: formatEndpoint(ep.ip, ep.port), reason: 'check-in-progress' });
        continue;
      }
      if (!state.checked) {
        state.checkInProgress = true;
        result.connectTest = { ip: ep.ip, port: ep.port };
        result.dropped.push({ endpoint: formatEndpoint(ep.ip, ep.port), reason: 'connect-test' });
        continue;
      }
      if (!state.canAccept) {
        result.dropped.push({ endpoint: formatEndpoint(ep.ip, ep.port), reason: 'failed-test' });
        continue;
      }
    }
    result.accepted.push(ep);
  }

  state.whenAcceptEndpoints = o.now + o.intervalMs;
  return result;
}

/** Store what receiveEndpoints accepted: Livecache (by hops) and Bootcache (valence 0 if new). */
export function storeReceived(accepted: HopEndpoint[], livecache: Livecache, bootcache?: Bootcache): void {
  for (const ep of accepted) {
    livecache.insert(ep);
    bootcache?.insert(ep);
  }
}

/**
 * The TCP connect test of a peer's advertised address finished. On success the peer's listening
 * port is known (set PeerInfo.listeningPort); on failure its hops-0 entries are dropped from now
 * on and the caller records a Bootcache failure for `tested`.
 */
export function connectTestDone(state: PeerDiscovery, tested: IpEndpoint, ok: boolean): { listeningPort?: number } {
  state.checked = true;
  state.checkInProgress = false;
  state.canAccept = ok;
  if (!ok) return {};
  state.listeningPort = tested.port;
  return { listeningPort: tested.port };
}

function invalidReason(ep: IpEndpoint, allowPrivate: boolean): DropReason | undefined {
  if (isUnspecifiedIp(ep.ip)) return 'unspecified';
  if (!allowPrivate && !isPublicIp(ep.ip)) return 'private';
  if (ep.port === 0) return 'port-zero';
  return undefined;
}

/** parseEndpoint, except that port 0 is well-formed here (rippled parses it, then drops it). */
function parseWireEndpoint(text: string): IpEndpoint | undefined {
  const ep = parseEndpoint(text);
  if (ep) return ep;
  const m = /^(.+):0{1,5}$/.exec(text);
  const withPort = m ? parseEndpoint(`${m[1]}:1`) : undefined;
  return withPort ? { ip: withPort.ip, port: 0 } : undefined;
}

// ---------------------------------------------------------------------------------------
// Sending

export interface SelfAdvertOptions {
  peerPrivate: boolean;
  /** Our peer port; 0 or undefined when we do not listen. */
  listeningPort?: number;
  /** Inbound slots configured (not free ones): slotLimits().inMax. */
  inMax: number;
}

/**
 * The port to advertise as ourselves, or undefined: only when we want inbound (not
 * [peer_private], listening) and have inbound slots at all. rippled does not look at free slots.
 */
export function selfAdvertisementPort(o: SelfAdvertOptions): number | undefined {
  const port = o.listeningPort ?? 0;
  if (o.peerPrivate || port === 0 || o.inMax <= 0) return undefined;
  return port;
}

/** The hops-0 entry for ourselves: the address is ignored by the receiver, so "[::]". */
export function selfEntry(port: number): TMEndpointV2 {
  return { endpoint: formatEndpoint('::', port), hops: 0 };
}

export interface EndpointsTarget<P> {
  peer: P;
  state: PeerDiscovery;
}

export interface BuildOptions {
  /** From selfAdvertisementPort(); undefined: no self entry. */
  selfPort?: number;
  /** timers.endpointsPerMessage (12). */
  perMessage: number;
  /** timers.maxHops (6). */
  maxHops: number;
  random?: () => number;
}

/**
 * One TMEndpoints per active peer (lists may be empty; rippled sends those too). Records what is
 * sent in each peer's recent table, so the same address is not repeated to it within the TTL.
 */
export function buildEndpointsMessages<P>(
  targets: EndpointsTarget<P>[],
  livecache: Livecache,
  o: BuildOptions,
): { peer: P; message: TMEndpoints }[] {
  const random = o.random ?? Math.random;
  const order = shuffle([...targets], random);
  const receivers = order.map((t) => new SlotHandouts(t.state, o.perMessage, o.maxHops));
  if (o.selfPort !== undefined) for (const r of receivers) r.list.push(selfEntry(o.selfPort));
  handout(receivers, livecache.hopLists(random));
  return order.map((t, i) => ({ peer: t.peer, message: { version: ENDPOINTS_VERSION, endpoints_v2: receivers[i]!.list } }));
}

class SlotHandouts implements HandoutTarget {
  readonly list: TMEndpointV2[] = [];
  private readonly ips: string[] = [];

  constructor(
    private readonly state: PeerDiscovery,
    private readonly limit: number,
    private readonly maxHops: number,
  ) {}

  full(): boolean {
    return this.list.length >= this.limit;
  }

  tryInsert(e: HopEndpoint): boolean {
    if (this.full() || e.hops > this.maxHops) return false;
    if (this.state.recent.filter(e, e.hops)) return false;
    if (sameIp(e.ip, this.state.remoteIp)) return false;
    // One address per IP, whatever the port.
    if (this.ips.some((ip) => sameIp(ip, e.ip))) return false;
    this.ips.push(e.ip);
    this.list.push({ endpoint: formatEndpoint(e.ip, e.port), hops: e.hops });
    this.state.recent.insert(e, e.hops);
    return true;
  }
}

/** When the next broadcast is due: at start, then every endpointsInterval. */
export class EndpointsSchedule {
  private nextAt: number;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {
    this.nextAt = now();
  }

  /** True (and the next one scheduled) when a broadcast is due now. */
  due(): boolean {
    const now = this.now();
    if (this.nextAt > now) return false;
    this.nextAt = now + this.intervalMs;
    return true;
  }
}
