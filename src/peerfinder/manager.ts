/**
 * PeerFinder: the discovery and slot component, shaped like rippled's PeerFinder::Manager.
 *
 * It owns everything about who we are connected to and whom to dial next: fixed peers and their
 * backoff, the Livecache, the Bootcache, the outbound attempts in flight, the active slots and
 * their counts, each peer's TMEndpoints state, and 503 redirects. It does no I/O of its own: the
 * overlay asks it (new inbound/outbound slot, activate, autoconnect, redirects) and tells it what
 * happened (on endpoints, on connected/failure/redirect, on closed, once per second). Time comes
 * from the injected clock, so unit tests drive it in milliseconds.
 */
import { isIP } from 'node:net';
import { formatEndpoint, normalizeIp, sameIp, type IpEndpoint } from '../address/address.js';
import type { TMEndpoints } from '../protocol/messages.js';
import { fixedPeerBackoffMs } from './backoff.js';
import { Bootcache } from './bootcache.js';
import {
  buildEndpointsMessages,
  connectTestDone,
  createPeerDiscovery,
  EndpointsSchedule,
  type PeerDiscovery,
  receiveEndpoints,
  selfAdvertisementPort,
  storeReceived,
} from './endpoints.js';
import { Livecache } from './livecache.js';
import { acceptRedirects, autoconnect, type AutoconnectSource, RecentAttempts, redirectHandouts } from './policy.js';
import { activate, type ActivateResult, checkNewInbound, countSlots, effectiveInMax, isFixedInbound, isFixedOutbound, type NewSlotResult, type SlotCounts, type SlotView } from './slots.js';

export interface HostPort {
  host: string;
  port: number;
}

/** PeerFinder's timers and limits ([peerfinder] and the fixed-peer keys of [overlay]). */
export interface DiscoveryTimers {
  endpointsIntervalMs: number;
  livecacheTtlMs: number;
  recentAttemptIntervalMs: number;
  bootcacheSize: number;
  bootcachePrunePercent: number;
  bootcacheCooldownMs: number;
  /** A learned Bootcache address failing this many times in a row is forgotten (0: never). */
  bootcacheMaxFailures: number;
  redirectIps: number;
  redirectIpsSent: number;
  maxHops: number;
  endpointsPerMessage: number;
  endpointsMaxReceived: number;
  /** TCP connect test of an inbound peer's advertised port. */
  connectTestTimeoutMs: number;
  /**
   * Ours ([peerfinder] endpoints_on_activate): each peer gets its first TMEndpoints as soon as it
   * is active, then one every endpointsInterval on its own schedule. rippled (false here) sends one
   * broadcast to all peers every endpointsInterval, so a new peer waits up to 151 s, and since every
   * node's broadcasts keep the same phase, the 30 s Livecache entries they carry can expire before
   * the receiver's own broadcast every time: a network started from one seed stays a star.
   */
  endpointsOnActivate?: boolean;
  /**
   * Ours ([peerfinder] store_tested_endpoint): a neighbour whose advertised port passes the connect
   * test enters the Livecache and Bootcache at once. rippled (false here) drops that entry and
   * waits for the peer's next TMEndpoints, 151 s later.
   */
  storeTestedEndpoint?: boolean;
  /**
   * Ours ([peerfinder] livecache_spans_interval): a Livecache entry lives endpointsInterval +
   * livecacheTtl (181 s) instead of livecacheTtl (30 s), so it lasts until the peer that sent it
   * sends again. With rippled's 30 s (false here) a node's Livecache is empty 121 s of every 151 s,
   * and what it passes on depends on whether its own sends fall in the 30 s after its receipts.
   */
  livecacheSpansInterval?: boolean;
}

export interface PeerFinderConfig {
  outMax: number;
  inMax: number;
  ipLimit: number;
  peerPrivate: boolean;
  /** We have a peer port: inbound slots exist and we advertise ourselves. */
  listening: boolean;
  /** [overlay] verify_endpoints: test an inbound peer's advertised port before believing it. */
  verifyEndpoints: boolean;
  /** Keep non-public addresses heard in TMEndpoints (a node bound to a private address). */
  allowPrivate: boolean;
  maxConnectAttempts: number;
  fixedBackoffMinMs: number;
  fixedBackoffMaxMs: number;
  discovery: DiscoveryTimers;
}

export interface PeerFinderDeps {
  now: () => number;
  random?: () => number;
  /** Bootcache file; none: memory only. */
  bootcachePath?: string;
  onSaveError?: (message: string) => void;
}

/** A fixed peer: its configured name, its last resolved address and its backoff (rippled Fixed). */
export interface FixedPeer extends HostPort {
  ip?: string;
  failures: number;
  nextAttemptAt: number;
  /** A dial or a name lookup is under way. */
  connecting: boolean;
}

/** An active peer's slot (rippled SlotImp once active). */
export interface Slot {
  readonly ip: string;
  readonly port: number;
  readonly inbound: boolean;
  readonly fixed: boolean;
  /** Reserved or a cluster member: takes no slot. */
  readonly reserved: boolean;
  readonly publicKey: string;
  readonly discovery: PeerDiscovery;
  /** With endpointsOnActivate: when this peer's next TMEndpoints is due (ms). */
  nextEndpointsAt: number;
}

export interface ActivateCandidate {
  ip: string;
  port: number;
  inbound: boolean;
  /** Hex of the node public key. */
  publicKey: string;
  /** Reserved or cluster member. */
  reserved: boolean;
}

export interface Dial extends IpEndpoint {
  /** The fixed peer this dial is for: report its outcome with fixedDialDone. */
  fixed?: FixedPeer;
}

export type EndpointsVerdict = { ignored: true } | { ignored: false; tooLarge: boolean; malformed: number; connectTest?: IpEndpoint };

/** How a fixed peer's dial ended: 'not-tried' (already connected, refused for resource use) leaves the backoff alone. */
export type FixedDialOutcome = 'success' | 'failure' | 'not-tried';

export class PeerFinder {
  readonly livecache: Livecache;
  readonly bootcache: Bootcache;
  private readonly fixed: FixedPeer[] = [];
  /** Outbound attempts in flight, by "host|port". */
  private readonly attempts = new Map<string, HostPort>();
  private readonly active = new Set<Slot>();
  private readonly recentAttempts: RecentAttempts;
  private readonly endpointsSchedule: EndpointsSchedule;
  private readonly now: () => number;

  constructor(
    private readonly config: PeerFinderConfig,
    private readonly deps: PeerFinderDeps,
  ) {
    const d = config.discovery;
    this.now = deps.now;
    const liveTtlMs = d.livecacheSpansInterval ? d.livecacheTtlMs + d.endpointsIntervalMs : d.livecacheTtlMs;
    this.livecache = new Livecache({ ttlMs: liveTtlMs, maxHops: d.maxHops, now: deps.now });
    this.bootcache = new Bootcache({
      capacity: d.bootcacheSize,
      prunePercent: d.bootcachePrunePercent,
      cooldownMs: d.bootcacheCooldownMs,
      maxFailures: d.bootcacheMaxFailures,
      now: deps.now,
      path: deps.bootcachePath,
      onSaveError: deps.onSaveError,
    });
    this.recentAttempts = new RecentAttempts(d.recentAttemptIntervalMs, deps.now);
    this.endpointsSchedule = new EndpointsSchedule(d.endpointsIntervalMs, deps.now);
  }

  // ------------------------------------------------------------ configuration

  /** An [ips_fixed] entry; `ip` when already known (a literal, or resolved). */
  addFixedPeer(host: string, port: number, ip?: string): FixedPeer {
    const f: FixedPeer = { host, port, ip: ip === undefined ? undefined : normalizeIp(ip), failures: 0, nextAttemptAt: 0, connecting: false };
    this.fixed.push(f);
    return f;
  }

  fixedPeers(): readonly FixedPeer[] {
    return this.fixed;
  }

  /** An [ips] address (or [ips_fixed] when [ips] is empty): a Bootcache entry at the static valence. */
  addFallback(ep: IpEndpoint): void {
    this.bootcache.insertStatic(ep);
  }

  /** Fixed peers whose name is not resolved and whose backoff has elapsed; marked connecting. */
  fixedToResolve(): FixedPeer[] {
    const now = this.now();
    const due = this.fixed.filter((f) => !f.ip && !f.connecting && now >= f.nextAttemptAt);
    for (const f of due) f.connecting = true;
    return due;
  }

  /** The lookup of a fixed peer's name ended: an address, or a failure that backs it off. */
  fixedResolved(f: FixedPeer, ip: string | undefined): number | undefined {
    f.connecting = false;
    if (ip) {
      f.ip = normalizeIp(ip);
      return undefined;
    }
    return this.fixedFailure(f);
  }

  // ------------------------------------------------------------ slots

  /** Inbound slots on offer: none on a private node or one without a peer port. */
  get inMax(): number {
    return effectiveInMax({ peerPrivate: this.config.peerPrivate, listening: this.config.listening, inMax: this.config.inMax });
  }

  counts(): SlotCounts {
    return countSlots([...this.active].map((s) => ({ inbound: s.inbound, fixed: s.fixed, reserved: s.reserved })));
  }

  /** A connection accepted on the peer port: may it go on to the handshake? */
  newInboundSlot(remote: IpEndpoint): NewSlotResult {
    return checkNewInbound(remote, this.slotViews(), this.config.ipLimit);
  }

  /** Start an outbound attempt; false when one to this host and port is already in flight. */
  newOutboundSlot(host: string, port: number): boolean {
    const key = `${host}|${port}`;
    if (this.attempts.has(key)) return false;
    this.attempts.set(key, { host, port });
    return true;
  }

  /** The attempt has ended (activated or not). */
  outboundSlotDone(host: string, port: number): void {
    this.attempts.delete(`${host}|${port}`);
  }

  /** The outbound attempt started with `host` resolved to `ip`: count it under the address. */
  outboundSlotResolved(host: string, port: number, ip: string): void {
    const a = this.attempts.get(`${host}|${port}`);
    if (a) a.host = normalizeIp(ip);
  }

  get attemptsInFlight(): number {
    return this.attempts.size;
  }

  /** Is this an inbound connection from a fixed peer's IP, or a dial to a fixed peer's ip:port? */
  isFixed(ep: IpEndpoint, inbound: boolean): boolean {
    const fixed = this.fixed.flatMap((f) => (f.ip ? [{ ip: f.ip, port: f.port }] : []));
    return inbound ? isFixedInbound(ep.ip, fixed) : isFixedOutbound(ep, fixed);
  }

  /**
   * A handshaked connection asks for a slot. On 'success' it holds one (unless fixed/reserved)
   * until onClosed. rippled counts an outbound 'full' as a Bootcache success (the address works).
   */
  activate(c: ActivateCandidate): { result: 'success'; slot: Slot } | { result: Exclude<ActivateResult, 'success'>; slot?: undefined } {
    const fixed = this.isFixed(c, c.inbound);
    const result = activate({
      candidate: { inbound: c.inbound, fixed, reserved: c.reserved },
      keyActive: [...this.active].some((s) => s.publicKey === c.publicKey),
      counts: this.counts(),
      limits: { inMax: this.inMax, outMax: this.config.outMax },
    });
    if (!c.inbound && (result === 'success' || result === 'full')) this.bootcache.onSuccess({ ip: c.ip, port: c.port });
    if (result !== 'success') return { result };
    const slot: Slot = {
      ip: normalizeIp(c.ip),
      port: c.port,
      inbound: c.inbound,
      fixed,
      reserved: c.reserved,
      publicKey: c.publicKey,
      discovery: createPeerDiscovery({
        remoteIp: c.ip,
        inbound: c.inbound,
        verifyEndpoints: this.config.verifyEndpoints,
        recentTtlMs: this.config.discovery.livecacheTtlMs,
        now: this.now,
      }),
      nextEndpointsAt: this.now(),
    };
    this.active.add(slot);
    return { result, slot };
  }

  /** An active peer went away: its slot is free. Returns the fixed peers (host:port) it was. */
  onClosed(slot: Slot): string[] {
    if (!this.active.delete(slot) || !slot.fixed) return [];
    return this.fixed.filter((f) => f.ip !== undefined && sameIp(f.ip, slot.ip)).map((f) => `${f.host}:${f.port}`);
  }

  isActive(slot: Slot): boolean {
    return this.active.has(slot);
  }

  // ------------------------------------------------------------ outcomes of dials

  /** A dial failed before activation (TCP, TLS, handshake answer other than a refusal of ours). */
  onFailure(ep: IpEndpoint): number {
    return this.bootcache.onFailure(ep);
  }

  /** The dialled node was full and answered 503 with addresses: the first redirectIps go to the Bootcache. */
  onRedirects(peerIps: IpEndpoint[]): number {
    return acceptRedirects(peerIps, this.bootcache, this.config.discovery.redirectIps);
  }

  /** A fixed peer's dial ended. Returns the backoff delay started, if any. */
  fixedDialDone(f: FixedPeer, outcome: FixedDialOutcome): number | undefined {
    f.connecting = false;
    if (outcome === 'success') {
      f.failures = 0;
      f.nextAttemptAt = this.now();
      return undefined;
    }
    if (outcome === 'failure') return this.fixedFailure(f);
    return undefined;
  }

  private fixedFailure(f: FixedPeer): number {
    f.failures++;
    const delay = fixedPeerBackoffMs(f.failures, this.config.fixedBackoffMinMs, this.config.fixedBackoffMaxMs);
    f.nextAttemptAt = this.now() + delay;
    return delay;
  }

  // ------------------------------------------------------------ autoconnect

  /**
   * What to dial now: fixed peers first (marked connecting; report with fixedDialDone), then
   * Livecache, then Bootcache. `self` is our own listening address (never dialled).
   */
  autoconnect(self?: IpEndpoint): { dial: Dial[]; source?: AutoconnectSource } {
    const c = this.counts();
    const plan = autoconnect({
      now: this.now(),
      maxConnectAttempts: this.config.maxConnectAttempts,
      attemptsInFlight: this.attempts.size,
      outActive: c.outActive,
      outMax: this.config.outMax,
      fixed: this.fixed.flatMap((f) => (f.ip && !f.connecting ? [{ ip: f.ip, port: f.port, nextAttemptAt: f.nextAttemptAt }] : [])),
      fixedActive: c.fixedActive,
      connectedIps: [...[...this.active].map((s) => s.ip), ...[...this.attempts.values()].map((a) => a.host)],
      self: self ? [self] : [],
      autoConnect: !this.config.peerPrivate,
      livecache: this.livecache,
      bootcache: this.bootcache,
      recentAttempts: this.recentAttempts,
      random: this.deps.random,
    });
    const dial = plan.dial.map((t): Dial => {
      const f = plan.source === 'fixed' ? this.fixed.find((x) => x.port === t.port && x.ip && sameIp(x.ip, t.ip)) : undefined;
      if (f) f.connecting = true;
      return f ? { ...t, fixed: f } : t;
    });
    return { dial, source: plan.source };
  }

  // ------------------------------------------------------------ once per second

  /** Save the Bootcache when due and expire the Livecache. Returns true when TMEndpoints are due. */
  oncePerSecond(): boolean {
    this.bootcache.periodic();
    this.livecache.expire();
    if (!this.config.discovery.endpointsOnActivate) return this.endpointsSchedule.due();
    const now = this.now();
    return [...this.active].some((s) => s.nextEndpointsAt <= now);
  }

  /** Save the Bootcache now (shutdown). */
  stop(): void {
    this.bootcache.flush();
  }

  // ------------------------------------------------------------ TMEndpoints

  /** One TMEndpoints for each of `targets` (active peers, with their slots). */
  buildEndpoints<P>(targets: { peer: P; slot: Slot }[], listeningPort: number | undefined): { peer: P; message: TMEndpoints }[] {
    const d = this.config.discovery;
    let live = targets.filter((t) => this.active.has(t.slot));
    if (d.endpointsOnActivate) {
      // Each peer on its own schedule, starting when it became active.
      const now = this.now();
      live = live.filter((t) => t.slot.nextEndpointsAt <= now);
      for (const t of live) t.slot.nextEndpointsAt = now + d.endpointsIntervalMs;
    }
    if (!live.length) return [];
    const selfPort = selfAdvertisementPort({ peerPrivate: this.config.peerPrivate, listeningPort, inMax: this.config.inMax });
    return buildEndpointsMessages(
      live.map((t) => ({ peer: t.peer, state: t.slot.discovery })),
      this.livecache,
      { selfPort, perMessage: d.endpointsPerMessage, maxHops: d.maxHops, random: this.deps.random },
    );
  }

  /**
   * A TMEndpoints from an active peer. `diverged`: its ledger is far from ours, so (as rippled,
   * unless converged) its addresses are not believed. The caller charges the peer as told and
   * runs the connect test, reporting with onConnectTestDone.
   */
  onEndpoints(slot: Slot, msg: TMEndpoints, diverged: boolean): EndpointsVerdict {
    if (!this.active.has(slot) || diverged) return { ignored: true };
    const d = this.config.discovery;
    const r = receiveEndpoints(slot.discovery, msg, {
      now: this.now(),
      intervalMs: d.endpointsIntervalMs,
      maxHops: d.maxHops,
      maxReceived: d.endpointsMaxReceived,
      allowPrivate: this.config.allowPrivate,
      random: this.deps.random,
    });
    storeReceived(r.accepted, this.livecache, this.bootcache);
    return { ignored: false, tooLarge: r.status === 'too-large', malformed: r.malformed, connectTest: r.connectTest };
  }

  /** The TCP connect test of a peer's advertised address ended; its verified listening port, if any. */
  onConnectTestDone(slot: Slot, ep: IpEndpoint, ok: boolean): number | undefined {
    if (!this.active.has(slot)) return undefined;
    const { listeningPort } = connectTestDone(slot.discovery, ep, ok);
    if (!ok) this.bootcache.onFailure(ep);
    // The neighbour itself, at hops 1, as its next message would have told us.
    else if (this.config.discovery.storeTestedEndpoint) storeReceived([{ ...ep, hops: 1 }], this.livecache, this.bootcache);
    return listeningPort;
  }

  // ------------------------------------------------------------ redirects

  /**
   * The "peer-ips" of a 503 to `requesterIp`: Livecache addresses as rippled hands them out,
   * topped up (our addition) with `extra` (verified listening addresses of public peers).
   */
  redirect(requesterIp: string, extra: IpEndpoint[] = []): string[] {
    const d = this.config.discovery;
    const out = redirectHandouts(requesterIp, this.livecache, { limit: d.redirectIpsSent, maxHops: d.maxHops, random: this.deps.random });
    for (const ep of extra) {
      if (out.length >= d.redirectIpsSent) break;
      if (sameIp(ep.ip, requesterIp)) continue;
      const text = formatEndpoint(ep.ip, ep.port);
      if (!out.includes(text)) out.push(text);
    }
    return out;
  }

  // ------------------------------------------------------------ internals

  private slotViews(): SlotView[] {
    const views: SlotView[] = [...this.active].map((s) => ({ ip: s.ip, port: s.port, inbound: s.inbound }));
    for (const a of this.attempts.values()) if (isIP(a.host)) views.push({ ip: a.host, port: a.port, inbound: false });
    return views;
  }
}

