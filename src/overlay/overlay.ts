/**
 * The peer manager: the listener, every active peer, relay, and the /crawl and /health answers.
 * Slots, fixed peers, dialling policy and discovery belong to PeerFinder (peerfinder/manager.ts):
 * the overlay asks it and reports to it, and does the I/O it decides on.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type tls from 'node:tls';
import type { Logger } from 'pino';
import type { TlsMaterial } from '../identity/certificate.js';
import type { NodeIdentity } from '../identity/node-key.js';
import { formatEndpoint, isPublicIp, isUnspecifiedIp, normalizeIp, sameIp } from '../address/address.js';
import type { PeerMessage } from '../protocol/codec.js';
import { encodeFrame, tryEncodeFrame, type RawFrame } from '../protocol/framing.js';
import { type Features, HandshakeError, networkTimeNow } from '../protocol/handshake.js';
import { header, type HttpHead } from '../protocol/http-head.js';
import { MessageType, type MessageTypeName } from '../protocol/message-types.js';
import { NodeEvent, type TMEndpoints } from '../protocol/messages.js';
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
} from '../connect/handshake-io.js';
import { Peer, type PeerInfo, type PeerLedgerStatus, type PeerOptions } from '../peer/peer.js';
import { describeClose, type HandshakeFailure, type PeerClose } from '../peer/reasons.js';
import { Charge } from '../resource/resource.js';
import { type ResourceConsumer, ResourceTable, type ResourceTableOptions } from '../resource/resource-table.js';
import { buildCrawl, type CrawlOptions, type OverlayServerFacts, type ServerPort } from './crawl.js';
import { buildHealth } from './health.js';
import { HashRouter } from '../relay/hash-router.js';
import { isNewAnnouncement, statusMessage } from '../relay/ledger-announce.js';
import { type LedgerRequestLimits, LedgerRequests } from '../relay/ledger-requests.js';
import { checkRelayItem } from '../relay/relay-checks.js';
import { encodeMessage } from '../protocol/codec.js';
import { ValidatorsHub } from '../validators/hub.js';
import { LIST_FEE_CHARGES, relayDecision, validatorServerInfo } from '../relay/validator-relay.js';
import { listExpired, unlInfo } from '../validators/reports.js';
import { Listener, sendHttp } from './listener.js';
import { Reservations } from './reservations.js';
import { bootcachePath, type Bootcache } from '../peerfinder/bootcache.js';
import type { Livecache } from '../peerfinder/livecache.js';
import { type DiscoveryTimers, type HostPort, PeerFinder, type Slot } from '../peerfinder/manager.js';
import { PeerFinderIo } from './peerfinder-io.js';

export type { DiscoveryTimers, HostPort } from '../peerfinder/manager.js';

export interface OverlayTimers {
  pingIntervalMs: number;
  autoconnectIntervalMs: number;
  fixedBackoffMinMs: number;
  fixedBackoffMaxMs: number;
  headTimeoutMs: number;
  /** [overlay] loopback_http_timeout: headTimeoutMs for clients on a loopback address. */
  loopbackHeadTimeoutMs: number;
  /** [overlay] shutdown_timeout: a closing peer's socket is cut after this. */
  shutdownTimeoutMs: number;
  tlsTimeoutMs: number;
  handshake: HandshakeTimeouts;
  maxConnectAttempts: number;
  hashRouterHoldMs: number;
  hashRouterRelayMs: number;
  /** [hashrouter] sweep_interval: forget items unseen for the hold time this often. */
  hashRouterSweepMs: number;
  /** [overlay] resource_sweep_interval: forget expired resource balances this often. */
  resourceSweepMs: number;
  maxHeaderBytes: number;
  maxHeaderCount: number;
  sendQueueTarget: number;
  sendQueueIntervals: number;
  /** [overlay] relay_backlog_bytes: no relaying to a peer with this much still unwritten. */
  relayBacklogBytes: number;
  /** [overlay] decompress_bytes_per_second: what one peer may make us decompress per second. */
  decompressBytesPerSecond?: number;
  /** Thresholds, decay window, entry expiration and drop fee of the resource table. */
  resource: ResourceTableOptions;
  /** Routed ledger requests, and max_unknown_time / max_diverged_time. */
  ledgerRequests: LedgerRequestLimits;
  discovery: DiscoveryTimers;
  /** [overlay] health_min_peers: /health says 503 below this many peers (rippled: 8). */
  healthMinPeers?: number;
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
  /** [network_quorum]: peers needed to count as connected (rippled's default 1). */
  networkQuorum?: number;
  timers: OverlayTimers;
  /** Data directory for persisted state (reservations, bootcache); none: memory only. */
  dataDir?: string;
  log: Logger;
}

export interface OverlayEvents {
  peerConnected: [peer: Peer];
  peerDisconnected: [peer: Peer, close: PeerClose];
  peerStatus: [peer: Peer, status: PeerLedgerStatus];
  message: [peer: Peer, msg: PeerMessage, frame: RawFrame];
  handshakeFailed: [direction: 'in' | 'out', reason: HandshakeFailure];
  fixedReconnect: [endpoint: string];
  /** A handshake ended in an active peer after this long (see OverlayMetrics for where it starts). */
  handshakeCompleted: [direction: 'in' | 'out', seconds: number];
  /** What became of one relayable item received from a peer. */
  relayItem: [type: MessageTypeName, outcome: RelayOutcome];
}

/** relayed: sent on; duplicate: seen within the relay interval; refused: failed a check rippled makes. */
export type RelayOutcome = 'relayed' | 'duplicate' | 'refused';

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
  /** Items (transactions, proposals, validations, manifests) passed on since start, for the status log. */
  readonly relayed = { items: 0 };
  readonly instanceCookie: bigint;
  readonly reservations: Reservations;
  /** Slots, fixed peers, Livecache, Bootcache and the dialling policy. */
  readonly peerFinder: PeerFinder;
  /** Resource balances by remote address, shared by connections and kept after them (Resource::Manager). */
  readonly resources: ResourceTable;
  private readonly peersById = new Map<number, Peer>();
  /** Each active peer's PeerFinder slot, by peer id. */
  private readonly slots = new Map<number, Slot>();
  private readonly router: HashRouter;
  /** Ledger and transaction-set requests routed between peers, and each peer's tracking. */
  readonly ledgerRequests: LedgerRequests;
  /** Does the I/O PeerFinder decides on: dials, endpoints, connect tests. */
  private readonly io: PeerFinderIo;
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
    this.reservations = new Reservations(opts.dataDir);
    // rippled keeps only public addresses. A node bound to a private or loopback address (a lab
    // network, or our tests on 127.0.0.x) lives among private addresses, so it keeps those too.
    const host = opts.listen?.host;
    this.peerFinder = new PeerFinder(
      {
        outMax: opts.slots.outMax,
        inMax: opts.slots.inMax,
        ipLimit: opts.slots.ipLimit,
        peerPrivate: opts.peerPrivate,
        listening: !!opts.listen,
        verifyEndpoints: opts.verifyEndpoints,
        allowPrivate: host !== undefined && !isUnspecifiedIp(host) && !isPublicIp(host),
        maxConnectAttempts: opts.timers.maxConnectAttempts,
        fixedBackoffMinMs: opts.timers.fixedBackoffMinMs,
        fixedBackoffMaxMs: opts.timers.fixedBackoffMaxMs,
        discovery: opts.timers.discovery,
      },
      {
        now: Date.now,
        bootcachePath: opts.dataDir ? bootcachePath(opts.dataDir) : undefined,
        onSaveError: (message) => this.log.warn({ err: message }, 'could not save the bootcache'),
      },
    );
    for (const f of opts.ipsFixed) this.peerFinder.addFixedPeer(f.host, f.port);
    this.io = new PeerFinderIo(
      {
        peerFinder: this.peerFinder,
        log: opts.log,
        peers: () => this.peers(),
        slotOf: (peer) => this.slots.get(peer.id),
        listenAddress: () => this.listener?.address,
        connect: (host, port, why) => this.connect(host, port, why),
        isDiverged: (peer) => this.isDiverged(peer),
      },
      { connectTestTimeoutMs: opts.timers.discovery.connectTestTimeoutMs, listenHost: opts.listen?.host },
    );
    this.resources = new ResourceTable(opts.timers.resource);
    this.router = new HashRouter({ holdMs: opts.timers.hashRouterHoldMs, relayAgainMs: opts.timers.hashRouterRelayMs });
    this.ledgerRequests = new LedgerRequests({
      peers: () => this.peersById.values(),
      ourLedger: () => (this.latestLedger?.ledgerSeq === undefined ? undefined : { seq: this.latestLedger.ledgerSeq, at: this.latestLedger.updatedAt }),
      limits: opts.timers.ledgerRequests,
      log: opts.log,
    });
  }

  get livecache(): Livecache {
    return this.peerFinder.livecache;
  }

  get bootcache(): Bootcache {
    return this.peerFinder.bootcache;
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
          loopbackHeadTimeoutMs: this.opts.timers.loopbackHeadTimeoutMs,
          headLimits: { maxBytes: this.opts.timers.maxHeaderBytes, maxHeaders: this.opts.timers.maxHeaderCount },
          serverName: this.opts.userAgent,
        },
        {
          onRequest: (socket, head, rest) => this.onRequest(socket, head, rest),
          onBadClient: (remote, reason) => this.log.debug({ remote, reason }, 'dropped HTTP client'),
        },
      );
      await this.listener.start();
      this.log.info({ address: formatEndpoint(this.listener.address.host, this.listener.address.port), pubkey_node: this.opts.identity.n9 }, 'peer port listening');
    }
    // Bootstrap addresses: [ips], or [ips_fixed] when [ips] is empty, as rippled seeds its Bootcache.
    const bootstrap = this.opts.ips.length ? this.opts.ips : this.opts.ipsFixed;
    await Promise.all([
      ...bootstrap.map(async (e) => {
        const ip = await this.io.resolve(e.host);
        if (ip) this.peerFinder.addFallback({ ip, port: e.port });
      }),
      ...this.peerFinder.fixedPeers().map(async (f) => {
        f.ip = await this.io.resolve(f.host);
      }),
    ]);
    this.timer = setInterval(() => this.tick(), this.opts.timers.autoconnectIntervalMs);
    this.sweepTimer = setInterval(() => this.router.sweep(), this.opts.timers.hashRouterSweepMs);
    this.sweepTimer.unref();
    // rippled's Resource::Manager expires entries from its own thread, once a second.
    this.resourceTimer = setInterval(() => this.resources.expire(), this.opts.timers.resourceSweepMs);
    this.resourceTimer.unref();
    this.ledgerRequests.start(this.opts.timers.pingIntervalMs);
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearInterval(this.sweepTimer);
    clearInterval(this.resourceTimer);
    this.ledgerRequests.stop();
    for (const peer of this.peers()) peer.close({ reason: 'shutdown' });
    this.opts.validators?.stop();
    await this.listener?.stop();
    this.peerFinder.stop();
    this.log.info('overlay stopped');
  }

  /** Counts of peers that occupy slots (fixed, cluster and reserved peers do not). */
  slotCounts(): { in: number; out: number } {
    const c = this.peerFinder.counts();
    return { in: c.inActive, out: c.outActive };
  }

  private isClusterKey(n9: string): boolean {
    return this.opts.cluster.some((c) => c.n9 === n9);
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

  private refuse(socket: tls.TLSSocket, remoteIp: string, why: HandshakeFailure): void {
    this.log.info({ remote: remoteIp, reason: why }, 'inbound peer refused (503)');
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
      this.emit('handshakeFailed', 'in', 'resource-limit');
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
    const admission = this.peerFinder.newInboundSlot({ ip: remoteIp, port: socket.remotePort ?? 0 });
    if (admission !== 'success') {
      // rippled refuses these before the handshake, without redirects: its overlay leaves the request
      // unhandled and the HTTP server answers 403, as for any other request on a peer-only port.
      this.log.info({ remote: remoteIp, reason: admission }, 'inbound connection refused (403)');
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
        this.refuse(socket, remoteIp, 'not-peer');
      } else if (err instanceof HandshakeError && err.reason === 'bad-ledger-hash') {
        // rippled closes without any response when Closed-Ledger/Previous-Ledger are malformed.
        this.log.info({ remote: remoteIp, reason: err.reason, detail: err.message }, 'inbound handshake dropped');
        this.emit('handshakeFailed', 'in', err.reason);
        socket.destroy();
      } else if (err instanceof HandshakeError) {
        this.log.info({ remote: remoteIp, reason: err.reason, detail: err.message }, 'inbound handshake refused (400)');
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
    info.cluster = this.isClusterKey(info.n9);
    info.reserved = this.reservations.has(info.n9);
    const { result: verdict, slot } = this.peerFinder.activate({
      ip: remoteIp,
      port: info.remotePort,
      inbound: true,
      publicKey: info.publicKey.toString('hex'),
      reserved: info.cluster || info.reserved,
    });
    if (verdict !== 'success') {
      this.refuse(socket, remoteIp, verdict === 'full' ? 'slots-full' : verdict);
      return undefined;
    }
    info.fixed = slot.fixed;
    socket.write(upgradeResponse(check, local));
    this.listener?.release(socket);
    const peer = this.activate(info, slot, socket, rest, consumer);
    const since = this.listener?.secureSince(socket);
    if (since !== undefined) this.emit('handshakeCompleted', 'in', (performance.now() - since) / 1000);
    return peer;
  }

  /**
   * The "peer-ips" of a 503: Livecache addresses as rippled hands them out, topped up (our
   * addition) with the verified listening addresses of public peers, never the requester's own IP.
   */
  redirectAddresses(requesterIp: string): string[] {
    const listening = this.peers().flatMap((p) =>
      p.info.listeningPort !== undefined && p.info.crawl.toLowerCase() === 'public' ? [{ ip: p.info.remoteIp, port: p.info.listeningPort }] : [],
    );
    return this.peerFinder.redirect(requesterIp, listening);
  }

  // ------------------------------------------------------------ outbound

  /** Dial an address (admin `connect`, autoconnect, fixed peers). Resolves when the attempt ends. */
  async connect(host: string, port: number, why = 'manual'): Promise<Peer | undefined> {
    if (this.stopping) return undefined;
    const ip = isIP(host) ? normalizeIp(host) : undefined;
    if (ip && this.peers().some((p) => p.info.remotePort === port && sameIp(p.info.remoteIp, ip))) {
      throw new ConnectError('duplicate', `already connected to ${formatEndpoint(ip, port)}`);
    }
    // As rippled's OverlayImpl::connect: the endpoint's resource entry first, and no dial while it is
    // at or over the drop threshold (which adds the drop fee again). A name is checked once resolved.
    let consumer = ip ? this.resources.newOutboundEndpoint(ip, port) : undefined;
    if (consumer?.disconnect()) {
      const balance = consumer.balance;
      consumer.release();
      this.log.info({ address: formatEndpoint(ip!, port), why, balance }, 'outbound connection not attempted: over resource limit');
      throw new ConnectError('resource-limit', `${formatEndpoint(ip!, port)} is over its resource limit`);
    }
    if (!this.peerFinder.newOutboundSlot(ip ?? host, port)) {
      consumer?.release();
      return undefined;
    }
    const dialledAt = performance.now();
    try {
      const est = await dialPeer({
        host,
        port,
        localAddress: this.io.localAddressFor(host),
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
          throw new ConnectError('resource-limit', `${formatEndpoint(info.remoteIp, port)} is over its resource limit`);
        }
      }
      info.cluster = this.isClusterKey(info.n9);
      info.reserved = this.reservations.has(info.n9);
      // The address works even when we have no room for it (PeerFinder counts 'full' as a Bootcache
      // success); a duplicate says nothing either way.
      const { result: verdict, slot } = this.peerFinder.activate({
        ip: info.remoteIp,
        port,
        inbound: false,
        publicKey: info.publicKey.toString('hex'),
        reserved: info.cluster || info.reserved,
      });
      if (verdict !== 'success') {
        est.socket.destroy();
        throw new ConnectError(verdict === 'duplicate' ? 'duplicate' : 'slots-full', verdict === 'duplicate' ? 'already connected to this node' : 'outbound slots full');
      }
      info.fixed = slot.fixed;
      // The 'peer connected' line (activate) is the one info line for this event.
      this.log.debug({ peer: info.n9, address: formatEndpoint(info.remoteIp, port), why }, 'outbound handshake done');
      const peer = this.activate(info, slot, est.socket, est.rest, consumer);
      this.emit('handshakeCompleted', 'out', (performance.now() - dialledAt) / 1000);
      consumer = undefined; // the peer holds it now
      return peer;
    } catch (err) {
      const kind = err instanceof ConnectError ? err.kind : 'error';
      this.emit('handshakeFailed', 'out', (err instanceof ConnectError && err.refusal) || kind);
      // Only an address that did not answer as a peer loses valence: not one we had no room for or skipped.
      const answered = kind === 'handshake' || kind === 'resource-limit' || kind === 'duplicate' || kind === 'slots-full';
      if (ip && !answered) this.peerFinder.onFailure({ ip, port });
      if (err instanceof ConnectError && kind === 'redirect') this.peerFinder.onRedirects(err.peerIps);
      // A fixed peer's failure gets its own line with the backoff (peerfinder-io): one line per event.
      this.log[why === 'fixed' ? 'debug' : 'info']({ address: `${host}:${port}`, why, reason: kind, err: (err as Error).message }, 'outbound connection failed');
      throw err;
    } finally {
      consumer?.release();
      this.peerFinder.outboundSlotDone(ip ?? host, port);
    }
  }

  /** Once per autoconnect interval (rippled: once a second): PeerFinder's housekeeping, endpoints, dials. */
  private tick(): void {
    if (!this.stopping) this.io.tick();
  }

  /** A peer whose ledger is far from the network's is not trusted with addresses (rippled: unless converged). */
  isDiverged(peer: Peer): boolean {
    const ours = this.latestLedger?.ledgerSeq;
    const theirs = peer.ledger.ledgerSeq;
    return ours !== undefined && theirs !== undefined && Math.abs(ours - theirs) > 24;
  }

  // ------------------------------------------------------------ active peers

  private peerOptions(consumer: ResourceConsumer): Partial<PeerOptions> {
    return {
      pingIntervalMs: this.opts.timers.pingIntervalMs,
      shutdownTimeoutMs: this.opts.timers.shutdownTimeoutMs,
      sendQueueTarget: this.opts.timers.sendQueueTarget,
      sendQueueIntervals: this.opts.timers.sendQueueIntervals,
      ...(this.opts.timers.decompressBytesPerSecond ? { decompressBytesPerSecond: this.opts.timers.decompressBytesPerSecond } : {}),
      consumer,
      log: this.log,
    };
  }

  private activate(info: PeerInfo, slot: Slot, socket: tls.TLSSocket, rest: Buffer, consumer: ResourceConsumer): Peer {
    const peer = new Peer(info, socket, rest, this.peerOptions(consumer));
    this.peersById.set(peer.id, peer);
    this.slots.set(peer.id, slot);
    peer.on('message', (msg, frame) => this.onMessage(peer, msg, frame));
    peer.on('status', (s) => this.onPeerStatus(peer, s));
    peer.once('close', (close) => {
      this.peersById.delete(peer.id);
      this.opts.validators?.onPeerClosed(peer.id);
      this.slots.delete(peer.id);
      const fixedLost = this.peerFinder.onClosed(slot);
      this.ledgerRequests.onPeerClosed(peer);
      this.log.info({ peer: info.n9, direction: info.direction, reason: close.reason, detail: describeClose(close), uptime: peer.uptimeSeconds, fixed: info.fixed || undefined }, 'peer disconnected');
      this.disconnects.total++;
      if (close.reason === 'resource-limit') this.disconnects.resources++;
      this.emit('peerDisconnected', peer, close);
      if (!this.stopping) {
        for (const endpoint of fixedLost) {
          this.emit('fixedReconnect', endpoint);
          this.log.debug({ fixed: endpoint }, 'fixed peer lost, reconnecting'); // 'peer disconnected' says fixed
        }
      }
    });
    this.log.info({ peer: info.n9, direction: info.direction, remote: formatEndpoint(info.remoteIp, info.remotePort), version: info.version }, 'peer connected');
    // Tell the new peer the newest ledger we know, so that it counts us as tracking.
    if (this.latestLedger) peer.send('STATUS_CHANGE', statusMessage(this.latestLedger));
    this.emit('peerConnected', peer);
    peer.start();
    this.opts.validators?.onPeerActive(peer);
    return peer;
  }

  private onMessage(peer: Peer, msg: PeerMessage, frame: RawFrame): void {
    this.emit('message', peer, msg, frame);
    if (msg.name === 'ENDPOINTS') this.io.onEndpoints(peer, msg.message);
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
      this.emit('relayItem', msg.name, 'refused');
      if (check.charge) from.charge(check.charge, check.reason);
      else this.log.debug({ peer: from.info.n9, reason: check.reason }, 'not relayed');
      return;
    }
    const skip = this.router.receive(check.key, from.id);
    if (!skip) return void this.emit('relayItem', msg.name, 'duplicate');
    const hub = this.opts.validators;
    const policy = hub ? relayDecision(hub, msg) : 'relay';
    if (policy === 'drop') return;
    if (check.verify && !check.verify()) {
      this.emit('relayItem', msg.name, 'refused');
      from.charge(Charge.invalidSignature, `${msg.name}: bad signature`);
      return;
    }
    let payload = frame.payload;
    if (check.filter) {
      const kept = check.filter();
      const why = `${msg.name}: ${kept.dropped} left out (${kept.reason ?? 'failed'})`;
      if (kept.charge) from.charge(kept.charge, kept.reason ?? why);
      else if (kept.dropped > 0) this.log.debug({ peer: from.info.n9, reason: why }, 'partly relayed');
      if (!kept.payload) return void this.emit('relayItem', msg.name, 'refused');
      payload = kept.payload;
    }
    if (hub && msg.name === 'MANIFESTS') {
      // rippled relays only the manifests that changed what it knows, in a message of their own.
      const fresh = hub.onManifests(msg.message);
      if (!fresh) return void this.emit('relayItem', msg.name, 'duplicate');
      payload = encodeMessage('MANIFESTS', fresh);
    } else if (policy === 'hold') return;
    this.emit('relayItem', msg.name, 'relayed');
    this.relayed.items++;
    // Framed once for the peers that compress and once for those that do not, not once per peer.
    // A 64 MiB payload (accepted, as rippled does) fits only a compressed frame: none for the others.
    const framed: { plain?: Buffer | null; lz4?: Buffer | null } = {};
    for (const p of this.peersById.values()) {
      if (p === from || skip.has(p.id)) continue;
      if (p.unwrittenBytes >= this.opts.timers.relayBacklogBytes) continue; // not reading: no more for it
      const lz4 = p.info.features.compression;
      const out = lz4 ? (framed.lz4 ??= tryEncodeFrame(frame.type, payload, true) ?? null) : (framed.plain ??= tryEncodeFrame(frame.type, payload, false) ?? null);
      if (out) p.sendFrame(frame.type, out);
    }
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
    return buildHealth(this, { minPeers: this.opts.timers.healthMinPeers });
  }

  /** True when a validator list has expired (rippled: UNL blocked). */
  validatorListExpired(): boolean {
    return this.opts.validators ? listExpired(this.opts.validators) : false;
  }
}

export function isExempt(info: PeerInfo): boolean {
  return !!(info.fixed || info.cluster || info.reserved);
}
