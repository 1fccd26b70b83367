/**
 * The peer manager: the listener, every active peer, slots, fixed peers with their backoff, the
 * outbound policy, relay, and the /crawl and /health answers. Discovery plugs in through
 * `candidates` (addresses worth dialling) and the peer events.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import net, { isIP } from 'node:net';
import type tls from 'node:tls';
import type { Logger } from 'pino';
import type { TlsMaterial } from '../identity/certificate.js';
import type { NodeIdentity } from '../identity/node-key.js';
import { formatEndpoint, isPublicIp, isUnspecifiedIp, normalizeIp, sameIp, type IpEndpoint } from '../protocol/address.js';
import type { PeerMessage } from '../protocol/codec.js';
import { encodeFrame, type RawFrame } from '../protocol/framing.js';
import { type Features, HandshakeError } from '../protocol/handshake.js';
import { header, type HttpHead } from '../protocol/http-head.js';
import { MessageType } from '../protocol/message-types.js';
import type { TMEndpoints, TMSquelch } from '../protocol/messages.js';
import {
  badRequestResponse,
  checkInbound,
  ConnectError,
  dialPeer,
  type HandshakeTimeouts,
  isPeerUpgrade,
  type LocalNode,
  serviceUnavailableResponse,
  upgradeResponse,
} from '../peer/handshake-io.js';
import { Peer, type PeerInfo, type PeerLedgerStatus, type PeerOptions, RESOURCE_DROP_REASON } from '../peer/peer.js';
import { Charge } from '../peer/resource.js';
import { type ResourceConsumer, ResourceTable, type ResourceTableOptions } from '../peer/resource-table.js';
import { fixedPeerBackoffMs } from './backoff.js';
import { buildCrawl, type CrawlOptions, type OverlayServerFacts, type ServerPort } from './crawl.js';
import { buildHealth } from './health.js';
import { HashRouter } from './hash-router.js';
import { isNewAnnouncement, statusMessage } from './ledger-announce.js';
import { type LedgerRequestLimits, LedgerRequests } from './ledger-requests.js';
import { checkRelayItem } from './relay-checks.js';
import { encodeMessage } from '../protocol/codec.js';
import { ValidatorsHub } from '../validators/hub.js';
import { LIST_FEE_CHARGES, relayDecision, validatorServerInfo } from './validator-relay.js';
import { listExpired, unlInfo } from '../validators/reports.js';
import { Listener, sendHttp } from './listener.js';
import { Reservations } from './reservations.js';
import { messageValidator, ValidatorReduceRelay } from '../reduce-relay/vp-relay.js';
import { OT_TRANSACTIONS, TxReduceRelay, type TxRelayOptions } from '../reduce-relay/tx-relay.js';
import { txMetricOf } from '../reduce-relay/tx-messages.js';
import { ClusterState, LOAD_BASE } from '../cluster/cluster.js';
import { TrafficCount } from '../traffic/traffic-count.js';
import { networkTimeNow } from '../protocol/handshake.js';
import { Bootcache, bootcachePath } from './peerfinder/bootcache.js';
import {
  buildEndpointsMessages,
  connectTestDone,
  createPeerDiscovery,
  EndpointsSchedule,
  type PeerDiscovery,
  receiveEndpoints,
  selfAdvertisementPort,
  storeReceived,
} from './peerfinder/endpoints.js';
import { Livecache } from './peerfinder/livecache.js';
import { acceptRedirects, autoconnect, RecentAttempts, redirectHandouts } from './peerfinder/policy.js';
import { activate, checkNewInbound, countSlots, effectiveInMax, isFixedInbound, isFixedOutbound, type SlotView } from './peerfinder/slots.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface OverlayTimers {
  pingIntervalMs: number;
  autoconnectIntervalMs: number;
  fixedBackoffMinMs: number;
  fixedBackoffMaxMs: number;
  headTimeoutMs: number;
  tlsTimeoutMs: number;
  handshake: HandshakeTimeouts;
  maxConnectAttempts: number;
  hashRouterHoldMs: number;
  hashRouterRelayMs: number;
  maxHeaderBytes: number;
  maxHeaderCount: number;
  sendQueueTarget: number;
  sendQueueIntervals: number;
  /** [overlay] relay_backlog_bytes: no relaying to a peer with this much still unwritten. */
  relayBacklogBytes: number;
  /** Thresholds, decay window, entry expiration and drop fee of the resource table. */
  resource: ResourceTableOptions;
  /** Routed ledger requests, and max_unknown_time / max_diverged_time. */
  ledgerRequests: LedgerRequestLimits;
  discovery: DiscoveryTimers;
}

/** PeerFinder's timers and limits ([peerfinder] in the config). */
export interface DiscoveryTimers {
  endpointsIntervalMs: number;
  livecacheTtlMs: number;
  recentAttemptIntervalMs: number;
  bootcacheSize: number;
  bootcachePrunePercent: number;
  bootcacheCooldownMs: number;
  redirectIps: number;
  redirectIpsSent: number;
  maxHops: number;
  endpointsPerMessage: number;
  endpointsMaxReceived: number;
  /** TCP connect test of an inbound peer's advertised port. */
  connectTestTimeoutMs: number;
}

export interface OverlayOptions {
  identity: NodeIdentity;
  tls: TlsMaterial;
  /** Where the peer port listens; undefined for a node that only dials. */
  listen?: { host: string; port: number };
  userAgent: string;
  buildVersion: string;
  networkId?: number;
  serverDomain?: string;
  publicIp?: string;
  peerPrivate: boolean;
  features: Features;
  slots: { outMax: number; inMax: number; ipLimit: number };
  /** [overlay] verify_endpoints: test an inbound peer's advertised port before believing it. */
  verifyEndpoints: boolean;
  ips: HostPort[];
  ipsFixed: HostPort[];
  cluster: { n9: string; name?: string }[];
  crawl: CrawlOptions;
  /** Every port the node serves, for server_info and /crawl; default: the peer port alone. */
  servedPorts?: readonly ServerPort[];
  /** [vl] enabled: answer GET /vl/<key> (rippled's default: on). */
  vlEnabled?: boolean;
  /** Manifests, validator lists and the untrusted relay policy (src/validators); none: relay all. */
  validators?: ValidatorsHub;
  /** [reduce_relay] vp_base_squelch_*: squelching; none: off (TMSquelch ignored, as vprr is not offered). */
  vpReduceRelay?: { enabled: boolean; maxSelectedPeers: number; waitOnBootupMs: number };
  /** [reduce_relay] tx_*: transaction reduce-relay; none: off (txrr not offered, every tx to every peer). */
  txReduceRelay?: Omit<TxRelayOptions, 'now' | 'shuffle'> & { queueIntervalMs: number };
  /** [overlay] cluster_interval: how often we send TMCluster to cluster members (rippled: 10 s). */
  clusterIntervalMs?: number;
  /** [network_quorum]: peers needed to count as connected (rippled's default 1). */
  networkQuorum?: number;
  timers: OverlayTimers;
  /** Data directory for persisted state (reservations, bootcache); none: memory only. */
  dataDir?: string;
  log: Logger;
}

export interface OverlayEvents {
  peerConnected: [peer: Peer];
  peerDisconnected: [peer: Peer, reason: string];
  peerStatus: [peer: Peer, status: PeerLedgerStatus];
  message: [peer: Peer, msg: PeerMessage, frame: RawFrame];
  handshakeFailed: [direction: 'in' | 'out', reason: string];
  fixedReconnect: [endpoint: string];
}

interface FixedPeer {
  host: string;
  port: number;
  /** Last resolved address of `host`. */
  ip?: string;
  failures: number;
  nextAttemptAt: number;
  connecting: boolean;
}

const RELAYED_TYPES = new Set<number>([
  MessageType.TRANSACTION,
  MessageType.PROPOSE_LEDGER,
  MessageType.VALIDATION,
  MessageType.MANIFESTS,
]);

export class Overlay extends EventEmitter<OverlayEvents> {
  readonly startedAt = Date.now();
  /** Peers disconnected since start, and those of them dropped for resource use (server_info, metrics). */
  readonly disconnects = { total: 0, resources: 0 };
  readonly instanceCookie: bigint;
  readonly reservations: Reservations;
  readonly livecache: Livecache;
  readonly bootcache: Bootcache;
  /** Resource balances by remote address, shared by connections and kept after them (Resource::Manager). */
  readonly resources: ResourceTable;
  private readonly peersById = new Map<number, Peer>();
  private readonly discovery = new Map<number, PeerDiscovery>();
  private readonly fixed: FixedPeer[];
  /** Outbound attempts in flight, by "host|port". */
  private readonly attempts = new Map<string, HostPort>();
  private readonly recentAttempts: RecentAttempts;
  private readonly endpointsSchedule: EndpointsSchedule;
  private readonly router: HashRouter;
  /** Ledger and transaction-set requests routed between peers, and each peer's tracking. */
  readonly ledgerRequests: LedgerRequests;
  /** Validator/proposal squelching (src/reduce-relay). */
  readonly vpRelay: ValidatorReduceRelay;
  /** Transaction reduce-relay (src/reduce-relay). */
  readonly txRelay: TxReduceRelay;
  private txQueueTimer: NodeJS.Timeout | undefined;
  /** [cluster_nodes] members' reported status and the cluster fee (src/cluster). */
  readonly cluster: ClusterState;
  /** Traffic by rippled's categories (src/traffic). */
  readonly traffic = new TrafficCount();
  private clusterTimer: NodeJS.Timeout | undefined;
  private readonly allowPrivate: boolean;
  private listener: Listener | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private resourceTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Newest accepted ledger any peer told us of; we repeat it so rippled sees us as tracking. */
  private latestLedger: PeerLedgerStatus | undefined;

  constructor(readonly opts: OverlayOptions) {
    super();
    let cookie = 0n;
    while (cookie === 0n) cookie = randomBytes(8).readBigUInt64BE();
    this.instanceCookie = cookie;
    const d = opts.timers.discovery;
    this.reservations = new Reservations(opts.dataDir);
    this.livecache = new Livecache({ ttlMs: d.livecacheTtlMs, maxHops: d.maxHops, now: Date.now });
    this.bootcache = new Bootcache({
      capacity: d.bootcacheSize,
      prunePercent: d.bootcachePrunePercent,
      cooldownMs: d.bootcacheCooldownMs,
      now: Date.now,
      path: opts.dataDir ? bootcachePath(opts.dataDir) : undefined,
      onSaveError: (message) => this.log.warn({ err: message }, 'could not save the bootcache'),
    });
    this.recentAttempts = new RecentAttempts(d.recentAttemptIntervalMs, Date.now);
    this.endpointsSchedule = new EndpointsSchedule(d.endpointsIntervalMs, Date.now);
    this.resources = new ResourceTable(opts.timers.resource);
    this.router = new HashRouter({ holdMs: opts.timers.hashRouterHoldMs, relayAgainMs: opts.timers.hashRouterRelayMs });
    this.ledgerRequests = new LedgerRequests({
      peers: () => this.peersById.values(),
      ourLedger: () => (this.latestLedger?.ledgerSeq === undefined ? undefined : { seq: this.latestLedger.ledgerSeq, at: this.latestLedger.updatedAt }),
      limits: opts.timers.ledgerRequests,
      log: opts.log,
    });
    this.vpRelay = new ValidatorReduceRelay({
      enabled: opts.vpReduceRelay?.enabled ?? false,
      maxSelectedPeers: opts.vpReduceRelay?.maxSelectedPeers ?? 5,
      waitOnBootupMs: opts.vpReduceRelay?.waitOnBootupMs,
      peer: (id) => this.peersById.get(id),
      onIgnored: () => this.traffic.add('squelch_ignored', true, 0),
    });
    this.txRelay = new TxReduceRelay(
      opts.txReduceRelay ?? { enabled: false, metrics: false, minPeers: 20, relayPercentage: 25, cache: { size: 65_536, ageMs: 1_800_000, bytes: 64 << 20 } },
    );
    this.cluster = new ClusterState(opts.identity.n9, opts.cluster, networkTimeNow);
    this.fixed = opts.ipsFixed.map((e) => ({ ...e, failures: 0, nextAttemptAt: 0, connecting: false }));
    // rippled keeps only public addresses. A node bound to a private or loopback address (a lab
    // network, or our tests on 127.0.0.x) lives among private addresses, so it keeps those too.
    const host = opts.listen?.host;
    this.allowPrivate = host !== undefined && !isUnspecifiedIp(host) && !isPublicIp(host);
  }

  get log(): Logger {
    return this.opts.log;
  }

  /** The address the peer port is bound to (after start). */
  get address(): { host: string; port: number } | undefined {
    return this.listener?.address;
  }

  peers(): Peer[] {
    return [...this.peersById.values()];
  }

  async start(): Promise<void> {
    const loaded = this.bootcache.load();
    if (loaded.warning) this.log.warn({ warning: loaded.warning }, 'bootcache not loaded');
    else if (loaded.loaded) this.log.info({ entries: loaded.loaded }, 'bootcache loaded');
    if (this.opts.listen) {
      this.listener = new Listener(
        {
          host: this.opts.listen.host,
          port: this.opts.listen.port,
          tls: this.opts.tls,
          tlsTimeoutMs: this.opts.timers.tlsTimeoutMs,
          headTimeoutMs: this.opts.timers.headTimeoutMs,
          headLimits: { maxBytes: this.opts.timers.maxHeaderBytes, maxHeaders: this.opts.timers.maxHeaderCount },
          serverName: this.opts.userAgent,
        },
        {
          onRequest: (socket, head, rest) => this.onRequest(socket, head, rest),
          onBadClient: (remote, reason) => this.log.debug({ remote, reason }, 'dropped HTTP client'),
        },
      );
      await this.listener.start();
      this.log.info({ address: formatEndpoint(this.listener.address.host, this.listener.address.port), node: this.opts.identity.n9 }, 'peer port listening');
    }
    // Bootstrap addresses: [ips], or [ips_fixed] when [ips] is empty, as rippled seeds its Bootcache.
    const bootstrap = this.opts.ips.length ? this.opts.ips : this.opts.ipsFixed;
    await Promise.all([
      ...bootstrap.map(async (e) => {
        const ip = await this.resolve(e.host);
        if (ip) this.bootcache.insertStatic({ ip, port: e.port });
      }),
      ...this.fixed.map(async (f) => {
        f.ip = await this.resolve(f.host);
      }),
    ]);
    this.timer = setInterval(() => this.tick(), this.opts.timers.autoconnectIntervalMs);
    this.sweepTimer = setInterval(() => this.router.sweep(), 10_000);
    this.sweepTimer.unref();
    // rippled's Resource::Manager expires entries from its own thread, once a second.
    this.resourceTimer = setInterval(() => this.resources.expire(), 1000);
    this.resourceTimer.unref();
    this.ledgerRequests.start(this.opts.timers.pingIntervalMs);
    this.vpRelay.start();
    if (this.opts.cluster.length) {
      this.clusterTimer = setInterval(() => this.sendCluster(), this.opts.clusterIntervalMs ?? 10_000);
      this.clusterTimer.unref();
    }
    if (this.txRelay.enabled) {
      this.txQueueTimer = setInterval(() => this.sendTxQueues(), this.opts.txReduceRelay!.queueIntervalMs);
      this.txQueueTimer.unref();
    }
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearInterval(this.sweepTimer);
    clearInterval(this.resourceTimer);
    this.ledgerRequests.stop();
    this.vpRelay.stop();
    clearInterval(this.txQueueTimer);
    clearInterval(this.clusterTimer);
    for (const peer of this.peers()) peer.close('shutting down');
    this.opts.validators?.stop();
    await this.listener?.stop();
    this.bootcache.flush();
    this.log.info('overlay stopped');
  }

  private async resolve(host: string): Promise<string | undefined> {
    if (isIP(host)) return normalizeIp(host);
    try {
      return normalizeIp((await lookup(host)).address);
    } catch (err) {
      this.log.warn({ host, err: (err as Error).message }, 'could not resolve peer address');
      return undefined;
    }
  }

  // ------------------------------------------------------------ slots

  /** Inbound slots on offer: none on a private node (only fixed, cluster and reserved peers get in). */
  private get inMax(): number {
    return effectiveInMax({ peerPrivate: this.opts.peerPrivate, listening: !!this.opts.listen, inMax: this.opts.slots.inMax });
  }

  private slotViews(): SlotView[] {
    const views: SlotView[] = [];
    for (const p of this.peersById.values()) views.push({ ip: p.info.remoteIp, port: p.info.remotePort, inbound: p.info.direction === 'in' });
    for (const a of this.attempts.values()) if (isIP(a.host)) views.push({ ip: a.host, port: a.port, inbound: false });
    return views;
  }

  private counts() {
    return countSlots(
      this.peers().map((p) => ({ inbound: p.info.direction === 'in', fixed: !!p.info.fixed, reserved: !!(p.info.cluster || p.info.reserved) })),
    );
  }

  /** Counts of peers that occupy slots (fixed, cluster and reserved peers do not). */
  slotCounts(): { in: number; out: number } {
    const c = this.counts();
    return { in: c.inActive, out: c.outActive };
  }

  private fixedEndpoints(): IpEndpoint[] {
    return this.fixed.flatMap((f) => (f.ip ? [{ ip: f.ip, port: f.port }] : []));
  }

  private isClusterKey(n9: string): boolean {
    return this.opts.cluster.some((c) => c.n9 === n9);
  }

  private findByKey(key: Buffer): Peer | undefined {
    for (const p of this.peersById.values()) if (p.info.publicKey.equals(key)) return p;
    return undefined;
  }

  // ------------------------------------------------------------ inbound

  private onRequest(socket: tls.TLSSocket, head: HttpHead, rest: Buffer): void {
    const path = (head.target ?? '').split('?')[0];
    const remoteIp = normalizeIp(socket.remoteAddress ?? '');
    if (isPeerUpgrade(head)) return this.onPeerUpgrade(socket, head, rest, remoteIp);
    if (head.method === 'GET' && path === '/crawl') {
      if (!this.opts.crawl.enabled) return sendHttp(socket, 403, 'Forbidden', '', this.opts.userAgent, 'text/plain');
      return sendHttp(socket, 200, 'OK', JSON.stringify(this.crawl()), this.opts.userAgent);
    }
    if (head.method === 'GET' && path === '/health') {
      const h = this.health();
      return sendHttp(socket, h.status, h.reason, JSON.stringify(h.body), this.opts.userAgent);
    }
    if (head.method === 'GET' && path.startsWith('/vl/') && path.length > 4 && this.opts.vlEnabled !== false) {
      const file = this.opts.validators?.vlFile(path.slice(4));
      if (file) return sendHttp(socket, 200, 'OK', JSON.stringify(file), this.opts.userAgent);
      // rippled's answer for a publisher key it holds no list for.
      return sendHttp(socket, 404, 'Not Found', '', this.opts.userAgent);
    }
    sendHttp(socket, 403, 'Forbidden', '', this.opts.userAgent, 'text/plain');
  }

  private localNode(): LocalNode {
    return {
      identity: this.opts.identity,
      tls: this.opts.tls,
      userAgent: this.opts.userAgent,
      crawlPublic: !this.opts.peerPrivate,
      features: this.opts.features,
      instanceCookie: this.instanceCookie,
      networkId: this.opts.networkId,
      serverDomain: this.opts.serverDomain,
      publicIp: this.opts.publicIp,
      closedLedger: this.latestLedger?.ledgerHash,
      previousLedger: this.latestLedger?.previousHash,
    };
  }

  private refuse(socket: tls.TLSSocket, remoteIp: string, why: string): void {
    this.log.info({ remote: remoteIp, why }, 'inbound peer refused (503)');
    this.emit('handshakeFailed', 'in', why);
    socket.end(serviceUnavailableResponse(this.redirectAddresses(remoteIp), this.opts, remoteIp));
  }

  private onPeerUpgrade(socket: tls.TLSSocket, head: HttpHead, rest: Buffer, remoteIp: string): void {
    // As rippled's OverlayImpl::onHandoff, before anything else (even the slot check): the address's
    // resource entry, refused while still at or over the drop threshold (which adds the drop fee again).
    const consumer = this.resources.newInboundEndpoint(remoteIp);
    if (consumer.disconnect()) {
      consumer.release();
      // rippled has taken the connection over by then (handoff.moved), so it closes it without a response.
      this.log.info({ remote: remoteIp, balance: consumer.balance }, 'inbound connection refused for its resource use');
      this.emit('handshakeFailed', 'in', 'resource limit');
      socket.destroy();
      return;
    }
    let peer: Peer | undefined;
    try {
      peer = this.acceptInbound(socket, head, rest, remoteIp, consumer);
    } finally {
      // Refused: the entry is let go (and kept for the expiration time), as rippled's Consumer goes out of scope.
      if (!peer) consumer.release();
    }
  }

  /** The checks of onHandoff after the resource check; the new peer, or undefined when refused. */
  private acceptInbound(socket: tls.TLSSocket, head: HttpHead, rest: Buffer, remoteIp: string, consumer: ResourceConsumer): Peer | undefined {
    const admission = checkNewInbound({ ip: remoteIp, port: socket.remotePort ?? 0 }, this.slotViews(), this.opts.slots.ipLimit);
    if (admission !== 'success') {
      // rippled refuses these before the handshake, without redirects: its overlay leaves the request
      // unhandled and the HTTP server answers 403, as for any other request on a peer-only port.
      this.log.info({ remote: remoteIp, why: admission }, 'inbound connection refused (403)');
      this.emit('handshakeFailed', 'in', admission);
      sendHttp(socket, 403, 'Forbidden', '', this.opts.userAgent, 'text/plain');
      return;
    }
    const local = this.localNode();
    let check;
    try {
      // Connect-As comes first (a 503), then the checks that answer 400.
      check = checkInbound(socket, head, local);
    } catch (err) {
      if (err instanceof HandshakeError && err.reason === 'not-peer') {
        this.log.debug({ remote: remoteIp, connectAs: header(head, 'Connect-As') }, 'inbound request not Connect-As: Peer');
        this.refuse(socket, remoteIp, 'Connect-As is not Peer');
      } else if (err instanceof HandshakeError && err.reason === 'bad-ledger-hash') {
        // rippled closes without any response when Closed-Ledger/Previous-Ledger are malformed.
        this.log.info({ remote: remoteIp, reason: err.message }, 'inbound handshake dropped');
        this.emit('handshakeFailed', 'in', err.reason);
        socket.destroy();
      } else if (err instanceof HandshakeError) {
        this.log.info({ remote: remoteIp, reason: err.message }, 'inbound handshake refused (400)');
        this.emit('handshakeFailed', 'in', err.reason);
        socket.end(badRequestResponse(err.message, this.opts, remoteIp));
      } else {
        this.log.warn({ remote: remoteIp, err: (err as Error).message }, 'inbound handshake failed');
        this.emit('handshakeFailed', 'in', 'error');
        socket.destroy();
      }
      return;
    }
    const info = check.info;
    info.fixed = isFixedInbound(remoteIp, this.fixedEndpoints());
    info.cluster = this.isClusterKey(info.n9);
    info.reserved = this.reservations.has(info.n9);
    const verdict = activate({
      candidate: { inbound: true, fixed: info.fixed, reserved: info.cluster || info.reserved },
      keyActive: !!this.findByKey(info.publicKey),
      counts: this.counts(),
      limits: { inMax: this.inMax, outMax: this.opts.slots.outMax },
    });
    if (verdict !== 'success') {
      const why = { duplicate: 'duplicate connection', full: 'inbound slots full', 'inbound-disabled': 'not accepting inbound peers' }[verdict];
      this.refuse(socket, remoteIp, why);
      return undefined;
    }
    socket.write(upgradeResponse(check, local));
    this.listener?.release(socket);
    return this.activate(info, socket, rest, consumer);
  }

  /**
   * The "peer-ips" of a 503: Livecache addresses as rippled hands them out, topped up (our
   * addition) with the verified listening addresses of public peers, never the requester's own IP.
   */
  redirectAddresses(requesterIp: string): string[] {
    const d = this.opts.timers.discovery;
    const out = redirectHandouts(requesterIp, this.livecache, { limit: d.redirectIpsSent, maxHops: d.maxHops });
    for (const p of this.peersById.values()) {
      if (out.length >= d.redirectIpsSent) break;
      if (p.info.listeningPort === undefined || p.info.crawl.toLowerCase() !== 'public') continue;
      if (sameIp(p.info.remoteIp, requesterIp)) continue;
      const ep = formatEndpoint(p.info.remoteIp, p.info.listeningPort);
      if (!out.includes(ep)) out.push(ep);
    }
    return out;
  }

  // ------------------------------------------------------------ outbound

  private localAddressFor(host: string): string | undefined {
    const listenHost = this.opts.listen?.host;
    return listenHost && !isUnspecifiedIp(listenHost) && isIP(host) === isIP(listenHost) ? listenHost : undefined;
  }

  /** Dial an address (admin `connect`, autoconnect, fixed peers). Resolves when the attempt ends. */
  async connect(host: string, port: number, why = 'manual'): Promise<Peer | undefined> {
    const key = `${host}|${port}`;
    if (this.attempts.has(key) || this.stopping) return undefined;
    const ip = isIP(host) ? normalizeIp(host) : undefined;
    if (ip && this.peers().some((p) => p.info.remotePort === port && sameIp(p.info.remoteIp, ip))) {
      throw new ConnectError('handshake', `already connected to ${formatEndpoint(ip, port)}`);
    }
    // As rippled's OverlayImpl::connect: the endpoint's resource entry first, and no dial while it is
    // at or over the drop threshold (which adds the drop fee again). A name is checked once resolved.
    let consumer = ip ? this.resources.newOutboundEndpoint(ip, port) : undefined;
    if (consumer?.disconnect()) {
      const balance = consumer.balance;
      consumer.release();
      this.log.info({ address: formatEndpoint(ip!, port), why, balance }, 'outbound connection not attempted: over resource limit');
      throw new ConnectError('resource', `${formatEndpoint(ip!, port)} is over its resource limit`);
    }
    this.attempts.set(key, { host: ip ?? host, port });
    try {
      const est = await dialPeer({
        host,
        port,
        localAddress: this.localAddressFor(host),
        local: this.localNode(),
        timeouts: this.opts.timers.handshake,
        headLimits: { maxBytes: this.opts.timers.maxHeaderBytes, maxHeaders: this.opts.timers.maxHeaderCount },
      });
      if (this.stopping) {
        est.socket.destroy();
        return undefined;
      }
      const info = est.info;
      if (!consumer) {
        consumer = this.resources.newOutboundEndpoint(info.remoteIp, port);
        if (consumer.disconnect()) {
          est.socket.destroy();
          throw new ConnectError('resource', `${formatEndpoint(info.remoteIp, port)} is over its resource limit`);
        }
      }
      const address = { ip: info.remoteIp, port };
      info.fixed = isFixedOutbound(address, this.fixedEndpoints());
      info.cluster = this.isClusterKey(info.n9);
      info.reserved = this.reservations.has(info.n9);
      const verdict = activate({
        candidate: { inbound: false, fixed: info.fixed, reserved: info.cluster || info.reserved },
        keyActive: !!this.findByKey(info.publicKey),
        counts: this.counts(),
        limits: { inMax: this.inMax, outMax: this.opts.slots.outMax },
      });
      if (verdict !== 'success') {
        est.socket.destroy();
        // The address works even when we have no room for it; a duplicate says nothing either way.
        if (verdict === 'full') this.bootcache.onSuccess(address);
        throw new ConnectError('handshake', verdict === 'duplicate' ? 'already connected to this node' : 'outbound slots full');
      }
      this.bootcache.onSuccess(address);
      this.log.info({ peer: info.n9, address: formatEndpoint(info.remoteIp, port), why }, 'outbound peer connected');
      const peer = this.activate(info, est.socket, est.rest, consumer);
      consumer = undefined; // the peer holds it now
      return peer;
    } catch (err) {
      const e = err as ConnectError;
      this.emit('handshakeFailed', 'out', e.kind ?? 'error');
      if (ip && e.kind !== 'handshake' && e.kind !== 'resource') this.bootcache.onFailure({ ip, port });
      if (e.kind === 'redirect') acceptRedirects(e.peerIps, this.bootcache, this.opts.timers.discovery.redirectIps);
      this.log.info({ address: `${host}:${port}`, why, err: e.message }, 'outbound connection failed');
      throw err;
    } finally {
      consumer?.release();
      this.attempts.delete(key);
    }
  }

  /** Once per autoconnect interval: save the bootcache, send endpoints when due, dial what the policy says. */
  private tick(): void {
    if (this.stopping) return;
    this.bootcache.periodic();
    this.livecache.expire();
    if (this.endpointsSchedule.due()) this.sendEndpoints();
    for (const f of this.fixed) if (!f.ip && !f.connecting && Date.now() >= f.nextAttemptAt) void this.resolveFixed(f);
    const c = this.counts();
    const plan = autoconnect({
      now: Date.now(),
      maxConnectAttempts: this.opts.timers.maxConnectAttempts,
      attemptsInFlight: this.attempts.size,
      outActive: c.outActive,
      outMax: this.opts.slots.outMax,
      fixed: this.fixed.flatMap((f) => (f.ip && !f.connecting ? [{ ip: f.ip, port: f.port, nextAttemptAt: f.nextAttemptAt }] : [])),
      fixedActive: c.fixedActive,
      connectedIps: [...this.peers().map((p) => p.info.remoteIp), ...[...this.attempts.values()].map((a) => a.host)],
      self: this.listener ? [{ ip: this.listener.address.host, port: this.listener.address.port }] : [],
      autoConnect: !this.opts.peerPrivate,
      livecache: this.livecache,
      bootcache: this.bootcache,
      recentAttempts: this.recentAttempts,
    });
    for (const target of plan.dial) {
      const f = plan.source === 'fixed' ? this.fixed.find((x) => x.port === target.port && x.ip && sameIp(x.ip, target.ip)) : undefined;
      if (f) void this.dialFixed(f);
      else this.connect(target.ip, target.port, plan.source ?? 'autoconnect').catch(() => {});
    }
  }

  private async resolveFixed(f: FixedPeer): Promise<void> {
    f.connecting = true;
    f.ip = await this.resolve(f.host);
    f.connecting = false;
    if (!f.ip) this.fixedFailed(f, new Error(`cannot resolve ${f.host}`));
  }

  private fixedFailed(f: FixedPeer, err: Error): void {
    f.failures++;
    const t = this.opts.timers;
    const delay = fixedPeerBackoffMs(f.failures, t.fixedBackoffMinMs, t.fixedBackoffMaxMs);
    f.nextAttemptAt = Date.now() + delay;
    this.log.warn({ fixed: `${f.host}:${f.port}`, failures: f.failures, retryInMs: delay, err: err.message }, 'fixed peer unreachable, backing off');
  }

  private async dialFixed(f: FixedPeer): Promise<void> {
    f.connecting = true;
    try {
      await this.connect(f.ip!, f.port, 'fixed');
      f.failures = 0;
      f.nextAttemptAt = 0;
    } catch (err) {
      // Already connected to it (say, it dialled us first) is not a failure, and neither is a dial we
      // did not make for its resource use: rippled makes no slot then, so its fixed-peer timer is untouched.
      const notTried = err instanceof ConnectError && err.kind === 'resource';
      if (!notTried && !/already connected/.test((err as Error).message)) this.fixedFailed(f, err as Error);
    } finally {
      f.connecting = false;
    }
  }

  // ------------------------------------------------------------ discovery

  private sendEndpoints(): void {
    const d = this.opts.timers.discovery;
    const targets = this.peers().flatMap((peer) => {
      const state = this.discovery.get(peer.id);
      return state ? [{ peer, state }] : [];
    });
    if (!targets.length) return;
    const selfPort = selfAdvertisementPort({ peerPrivate: this.opts.peerPrivate, listeningPort: this.listener?.address.port, inMax: this.opts.slots.inMax });
    for (const { peer, message } of buildEndpointsMessages(targets, this.livecache, { selfPort, perMessage: d.endpointsPerMessage, maxHops: d.maxHops })) {
      peer.send('ENDPOINTS', message);
    }
  }

  /** A peer whose ledger is far from the network's is not trusted with addresses (rippled: unless converged). */
  private isDiverged(peer: Peer): boolean {
    const ours = this.latestLedger?.ledgerSeq;
    const theirs = peer.ledger.ledgerSeq;
    return ours !== undefined && theirs !== undefined && Math.abs(ours - theirs) > 24;
  }

  private onEndpoints(peer: Peer, m: TMEndpoints): void {
    const state = this.discovery.get(peer.id);
    if (!state || this.isDiverged(peer)) return;
    const d = this.opts.timers.discovery;
    const r = receiveEndpoints(state, m, {
      now: Date.now(),
      intervalMs: d.endpointsIntervalMs,
      maxHops: d.maxHops,
      maxReceived: d.endpointsMaxReceived,
      allowPrivate: this.allowPrivate,
    });
    if (r.status === 'too-large') peer.charge(Charge.useless, 'oversized endpoints list');
    for (let i = 0; i < r.malformed && !peer.closed; i++) peer.charge(Charge.invalidData, 'malformed endpoint');
    storeReceived(r.accepted, this.livecache, this.bootcache);
    if (r.connectTest) void this.testListeningPort(peer, state, r.connectTest);
  }

  /** Believe an inbound peer's advertised port only once a TCP connect to it succeeds. */
  private async testListeningPort(peer: Peer, state: PeerDiscovery, ep: IpEndpoint): Promise<void> {
    const ok = await tcpProbe(ep, this.opts.timers.discovery.connectTestTimeoutMs, this.localAddressFor(ep.ip));
    if (!this.discovery.has(peer.id)) return;
    const { listeningPort } = connectTestDone(state, ep, ok);
    if (listeningPort !== undefined) {
      peer.info.listeningPort = listeningPort;
      this.log.debug({ peer: peer.info.n9, port: listeningPort }, 'peer listening port verified');
    } else if (!ok) {
      this.bootcache.onFailure(ep);
      this.log.debug({ peer: peer.info.n9, endpoint: formatEndpoint(ep.ip, ep.port) }, 'peer advertised a port we cannot reach');
    }
  }

  // ------------------------------------------------------------ active peers

  private peerOptions(consumer: ResourceConsumer): Partial<PeerOptions> {
    return {
      pingIntervalMs: this.opts.timers.pingIntervalMs,
      sendQueueTarget: this.opts.timers.sendQueueTarget,
      sendQueueIntervals: this.opts.timers.sendQueueIntervals,
      consumer,
      log: this.log,
      onSent: (type, bytes, msg) => this.traffic.addMessage(type, msg, false, bytes),
    };
  }

  private activate(info: PeerInfo, socket: tls.TLSSocket, rest: Buffer, consumer: ResourceConsumer): Peer {
    const peer = new Peer(info, socket, rest, this.peerOptions(consumer));
    this.peersById.set(peer.id, peer);
    this.discovery.set(
      peer.id,
      createPeerDiscovery({
        remoteIp: info.remoteIp,
        inbound: info.direction === 'in',
        verifyEndpoints: this.opts.verifyEndpoints,
        recentTtlMs: this.opts.timers.discovery.livecacheTtlMs,
        now: Date.now,
      }),
    );
    peer.on('message', (msg, frame) => this.onMessage(peer, msg, frame));
    peer.on('status', (s) => this.onPeerStatus(peer, s));
    peer.once('close', (reason) => {
      this.peersById.delete(peer.id);
      this.opts.validators?.onPeerClosed(peer.id);
      this.discovery.delete(peer.id);
      this.ledgerRequests.onPeerClosed(peer);
      this.vpRelay.onPeerClosed(peer.id);
      this.txRelay.onPeerClosed(peer.id);
      this.log.info({ peer: info.n9, direction: info.direction, reason, uptime: peer.uptimeSeconds }, 'peer disconnected');
      this.disconnects.total++;
      if (reason.startsWith(RESOURCE_DROP_REASON)) this.disconnects.resources++;
      this.emit('peerDisconnected', peer, reason);
      if (info.fixed && !this.stopping) {
        for (const f of this.fixed) {
          if (f.ip !== undefined && sameIp(f.ip, info.remoteIp)) {
            this.emit('fixedReconnect', `${f.host}:${f.port}`);
            this.log.info({ fixed: `${f.host}:${f.port}` }, 'fixed peer lost, reconnecting');
          }
        }
      }
    });
    this.log.info({ peer: info.n9, direction: info.direction, remote: formatEndpoint(info.remoteIp, info.remotePort), version: info.version }, 'peer active');
    // Tell the new peer the newest ledger we know, so that it counts us as tracking.
    if (this.latestLedger) peer.send('STATUS_CHANGE', statusMessage(this.latestLedger));
    this.emit('peerConnected', peer);
    peer.start();
    this.opts.validators?.onPeerActive(peer);
    return peer;
  }

  private onMessage(peer: Peer, msg: PeerMessage, frame: RawFrame): void {
    this.emit('message', peer, msg, frame);
    this.traffic.addMessage(frame.type, msg, true, frame.wireBytes);
    if (this.txRelay.metricsOn) {
      const followed = txMetricOf(msg);
      if (followed) this.txRelay.metrics.addMessage(followed, frame.wireBytes);
    }
    if (msg.name === 'ENDPOINTS') this.onEndpoints(peer, msg.message);
    else if (msg.name === 'SQUELCH') this.onSquelch(peer, msg.message);
    else if (msg.name === 'CLUSTER') {
      if (peer.info.cluster) this.cluster.onCluster(msg.message);
      else peer.charge(Charge.useless, 'unknown cluster'); // rippled: feeUnwantedData
    }
    else if (msg.name === 'HAVE_TRANSACTIONS' || msg.name === 'TRANSACTIONS' || (msg.name === 'GET_OBJECTS' && msg.message.type === OT_TRANSACTIONS && msg.message.query)) {
      this.onTxReduceRelay(peer, msg);
    }
    else if (this.ledgerRequests.onMessage(peer, msg)) return;
    else if (msg.name === 'VALIDATOR_LIST' || msg.name === 'VALIDATOR_LIST_COLLECTION') {
      const r = this.opts.validators?.onValidatorList(peer, msg, this.peers());
      if (r?.fee) peer.charge(LIST_FEE_CHARGES[r.fee], r.reason);
      else if (r) this.log.debug({ peer: peer.info.n9, reason: r.reason }, 'validator list');
    } else if (RELAYED_TYPES.has(frame.type)) this.relay(peer, msg, frame);
  }

  /**
   * Relay consensus traffic to every peer that has not sent it to us, once per item, after the
   * checks rippled makes before it relays (an item rippled would charge us for is dropped here, and
   * its sender charged instead).
   */
  private relay(from: Peer, msg: PeerMessage, frame: RawFrame): void {
    const check = checkRelayItem(msg, frame.payload);
    if (!check.ok) {
      if (check.charge) from.charge(check.charge, check.reason);
      else this.log.debug({ peer: from.info.n9, reason: check.reason }, 'not relayed');
      return;
    }
    if (msg.name === 'TRANSACTION') this.txRelay.onTransactionFrom(from.id, msg.message.rawTransaction);
    const skip = this.router.receive(check.key, from.id);
    const hub = this.opts.validators;
    const validator = messageValidator(msg);
    if (!skip) {
      const dup = msg.name === 'TRANSACTION' ? 'transactions_duplicate' : msg.name === 'PROPOSE_LEDGER' ? 'proposals_duplicate' : msg.name === 'VALIDATION' ? 'validations_duplicate' : undefined;
      if (dup) this.traffic.add(dup, true, frame.wireBytes);
      // A later copy still tells the slots which peers carry this validator (rippled counts it too).
      if (validator !== undefined && (!hub || relayDecision(hub, msg) !== 'drop')) this.vpRelay.observe(check.key, validator, [from.id]);
      return;
    }
    const policy = hub ? relayDecision(hub, msg) : 'relay';
    if (hub && validator !== undefined && !hub.list.trusted(Buffer.from(validator, 'hex'))) {
      this.traffic.add(msg.name === 'VALIDATION' ? 'validations_untrusted' : 'proposals_untrusted', true, frame.wireBytes);
    }
    if (policy === 'drop') return;
    if (check.verify && !check.verify()) {
      from.charge(Charge.invalidSignature, `${msg.name}: bad signature`);
      return;
    }
    let payload = frame.payload;
    if (check.filter) {
      const kept = check.filter();
      const why = `${msg.name}: ${kept.dropped} left out (${kept.reason ?? 'failed'})`;
      if (kept.charge) from.charge(kept.charge, kept.reason ?? why);
      else if (kept.dropped > 0) this.log.debug({ peer: from.info.n9, reason: why }, 'partly relayed');
      if (!kept.payload) return;
      payload = kept.payload;
    }
    if (hub && msg.name === 'MANIFESTS') {
      // rippled relays only the manifests that changed what it knows, in a message of their own.
      const fresh = hub.onManifests(msg.message);
      if (!fresh) return;
      payload = encodeMessage('MANIFESTS', fresh);
    } else if (policy === 'hold') return;
    if (validator !== undefined) this.vpRelay.observe(check.key, validator, skip);
    const txPlan = msg.name === 'TRANSACTION' ? this.txRelay.plan(msg.message.rawTransaction, this.peers(), skip) : undefined;
    for (const f of txPlan?.flushes ?? []) this.peersById.get(f.peerId)?.send('HAVE_TRANSACTIONS', f.message);
    // Framed once for the peers that compress and once for those that do not, not once per peer.
    const framed: { plain?: Buffer; lz4?: Buffer } = {};
    for (const p of this.peersById.values()) {
      if (p === from || skip.has(p.id)) continue;
      if (p.unwrittenBytes >= this.opts.timers.relayBacklogBytes) continue; // not reading: no more for it
      if (!this.vpRelay.mayRelay(p.id, validator)) {
        this.traffic.add('squelch_suppressed', false, payload.length + 6); // it squelched this validator
        continue;
      }
      if (txPlan && !txPlan.send.has(p.id)) continue; // gets the hash in its next TMHaveTransactions
      const lz4 = p.info.features.compression;
      const out = lz4 ? (framed.lz4 ??= encodeFrame(frame.type, payload, true)) : (framed.plain ??= encodeFrame(frame.type, payload, false));
      p.sendFrame(frame.type, out);
    }
  }

  private onSquelch(peer: Peer, m: TMSquelch): void {
    const r = this.vpRelay.onSquelch(peer, m);
    if (r.charge) peer.charge(r.charge, r.reason);
    else this.log.debug({ peer: peer.info.n9, outcome: r.outcome, reason: r.reason }, 'squelch');
  }

  /** TMHaveTransactions, TMTransactions and requests for transactions by hash (tx reduce-relay). */
  private onTxReduceRelay(peer: Peer, msg: PeerMessage): void {
    if (msg.name === 'HAVE_TRANSACTIONS') {
      const r = this.txRelay.onHaveTransactions(peer, msg.message);
      if (r.charge) peer.charge(r.charge, r.reason);
      else if (r.request) peer.send('GET_OBJECTS', r.request);
    } else if (msg.name === 'GET_OBJECTS') {
      const r = this.txRelay.onGetTransactions(peer, msg.message);
      if (r.charge) peer.charge(r.charge, r.reason);
      else if (r.reply) peer.send('TRANSACTIONS', r.reply);
    } else if (msg.name === 'TRANSACTIONS') {
      const r = this.txRelay.onTransactions(peer, msg.message);
      if (r.charge) return void peer.charge(r.charge, r.reason);
      for (const tx of r.transactions ?? []) {
        if (peer.closed) return;
        const payload = encodeMessage('TRANSACTION', tx);
        this.relay(peer, { name: 'TRANSACTION', type: MessageType.TRANSACTION, message: tx }, { type: MessageType.TRANSACTION, payload, compressed: false, wireBytes: payload.length });
      }
    }
  }

  /** Our status (load fee: always normal, we run no transactions) and the members', to every member connected. */
  private sendCluster(): void {
    const m = this.cluster.report(LOAD_BASE);
    if (!m) return;
    for (const p of this.peersById.values()) if (p.info.cluster) p.send('CLUSTER', m);
  }

  /** Each peer's queued transaction hashes, in one TMHaveTransactions (rippled's sendTxQueue). */
  private sendTxQueues(): void {
    for (const { peerId, message } of this.txRelay.drainQueues()) this.peersById.get(peerId)?.send('HAVE_TRANSACTIONS', message);
  }

  private onPeerStatus(peer: Peer, s: PeerLedgerStatus): void {
    this.emit('peerStatus', peer, s);
    this.ledgerRequests.onStatus(peer, s);
    const seqs = this.peers().flatMap((p) => (p.ledger.ledgerSeq === undefined ? [] : [p.ledger.ledgerSeq]));
    if (!isNewAnnouncement(s, this.latestLedger?.ledgerSeq, seqs)) return;
    this.latestLedger = s;
    this.ledgerRequests.onOurLedger(s.ledgerSeq!);
    // To every peer, the one whose status tipped the median included, as rippled announces each
    // ledger it accepts: each rippled peer then counts us converged (PeerImp::checkTracking).
    const m = statusMessage(s);
    for (const p of this.peersById.values()) p.send('STATUS_CHANGE', m);
  }

  // ------------------------------------------------------------ reports

  serverState(): string {
    return this.peersById.size >= Math.max(1, this.opts.networkQuorum ?? 1) ? 'connected' : 'disconnected';
  }

  uptimeSeconds(): number {
    return Math.floor((Date.now() - this.startedAt) / 1000);
  }

  ledgerAgeSeconds(): number | undefined {
    return this.latestLedger ? Math.floor((Date.now() - this.latestLedger.updatedAt) / 1000) : undefined;
  }

  /** The overlay's part of rippled's server_info. */
  serverInfo(): OverlayServerFacts {
    // crawl.ts's buildServerInfo makes rippled's server_info of this, for the admin command and
    // for /crawl alike.
    const info: OverlayServerFacts = {
      build_version: this.opts.buildVersion,
      pubkey_node: this.opts.identity.n9,
      server_state: this.serverState(),
      uptime: this.uptimeSeconds(),
      peers: this.peersById.size,
      ports: this.opts.servedPorts ?? (this.address ? [{ port: this.address.port, protocols: ['peer'], admin: [] }] : []),
      peer_disconnects: this.disconnects.total,
      peer_disconnects_resources: this.disconnects.resources,
    };
    if (this.opts.networkId !== undefined) info.network_id = this.opts.networkId;
    if (this.opts.serverDomain) info.server_domain = this.opts.serverDomain;
    if (this.opts.validators) Object.assign(info, validatorServerInfo(this.opts.validators));
    // Ours, not rippled's `network_ledger` (which is only ever the string "waiting").
    if (this.latestLedger?.ledgerSeq !== undefined) {
      info.newest_peer_ledger = { seq: this.latestLedger.ledgerSeq, hash: this.latestLedger.ledgerHash?.toString('hex').toUpperCase() };
    }
    return info;
  }

  crawl(): object {
    return buildCrawl(this, this.opts.crawl);
  }

  unlInfo(): Record<string, unknown> | undefined {
    return this.opts.validators ? unlInfo(this.opts.validators) : undefined;
  }

  health(): { status: number; reason: string; body: object } {
    return buildHealth(this);
  }

  /** True when a validator list has expired (rippled: UNL blocked). */
  validatorListExpired(): boolean {
    return this.opts.validators ? listExpired(this.opts.validators) : false;
  }
}

/** A TCP connect and nothing else: is anything listening there? */
function tcpProbe(ep: IpEndpoint, timeoutMs: number, localAddress?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: ep.ip, port: ep.port, localAddress });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function isExempt(info: PeerInfo): boolean {
  return !!(info.fixed || info.cluster || info.reserved);
}
