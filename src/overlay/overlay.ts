/**
 * The peer manager: the registry of active peers and the wiring of the parts — the listener and inbound
 * admission (inbound.ts), dialling (dial.ts), PeerFinder and its I/O, relay (src/relay/), ledger following,
 * and the /crawl, /health and server_info answers. Slots, fixed peers, dialling policy and discovery belong to
 * PeerFinder: the overlay asks it and reports to it, and does the I/O it decides on.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type tls from 'node:tls';
import type { Logger } from 'pino';
import { formatEndpoint } from '../address/address.js';
import type { PeerMessage } from '../protocol/codec.js';
import type { RawFrame } from '../protocol/framing.js';
import type { LocalNode } from '../connect/handshake-io.js';
import { Peer, peerSettings, type PeerInfo, type PeerLedgerStatus, type PeerOptions } from '../peer/peer.js';
import { describeClose } from '../peer/reasons.js';
import { type ResourceConsumer, ResourceTable } from '../resource/resource-table.js';
import { buildCrawl, DEFAULT_CRAWL_SNAPSHOT_MS, type OverlayServerFacts } from './crawl.js';
import { CrawlSnapshot } from './crawl-snapshot.js';
import { buildHealth } from './health.js';
import { HashRouter } from '../relay/hash-router.js';
import { RelayFanout } from '../relay/fanout.js';
import { createVerifier, type Verifier } from '../relay/verify-pool.js';
import { defaultTimers } from '../config/timers.js';
import { LedgerAnnouncer, statusMessage } from '../relay/ledger-announce.js';
import { LedgerRequests } from '../relay/ledger-requests.js';
import { LIST_FEE_CHARGES } from '../relay/validator-relay.js';
import { listExpired, unlInfo } from '../validators/reports.js';
import { Listener } from './listener.js';
import { Reservations } from './reservations.js';
import type { Bootcache } from '../peerfinder/bootcache.js';
import type { Livecache } from '../peerfinder/livecache.js';
import { PeerFinder, type Slot } from '../peerfinder/manager.js';
import { newPeerFinder, PeerFinderIo } from './peerfinder-io.js';
import { dial } from './dial.js';
import { onRequest } from './inbound.js';
import type { OverlayCore, OverlayEvents, OverlayOptions } from './options.js';
import { overlayServerFacts } from './server-facts.js';
import type { OverlayView } from './view.js';
import type { ValidatorsHub } from '../validators/hub.js';
import type { ValidatedLedger } from '../monitor/validated-ledger.js';
import { RelayFeatures } from './relay-features.js';

export type { DiscoveryTimers, HostPort } from '../peerfinder/manager.js';
export type { OverlayEvents, OverlayOptions, OverlayTimers } from './options.js';
export type { RelayOutcome } from '../relay/fanout.js';
export type { OverlayView } from './view.js';

export class Overlay extends EventEmitter<OverlayEvents> implements OverlayView {
  readonly startedAt = Date.now();
  /** Peers disconnected since start, and those of them dropped for resource use (server_info, metrics). */
  readonly disconnects = { total: 0, resources: 0 };
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
  /** Passes consensus traffic on to the other peers. */
  private readonly fanout: RelayFanout;
  /** Signature checks of relayed items, on worker threads ([overlay] verify_threads). */
  private readonly verifier: Verifier;
  /** What inbound admission and dialling work with. */
  private readonly core: OverlayCore;
  /** Ledger and transaction-set requests routed between peers, and each peer's tracking. */
  readonly ledgerRequests: LedgerRequests;
  /** Does the I/O PeerFinder decides on: dials, endpoints, connect tests. */
  private readonly io: PeerFinderIo;
  /** Squelching, transaction reduce-relay, the cluster exchange and traffic categories. */
  readonly features: RelayFeatures;
  private listener: Listener | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private resourceTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Newest accepted ledger any peer told us of; we repeat it so rippled sees us as tracking. */
  private readonly announcer = new LedgerAnnouncer();

  constructor(readonly opts: OverlayOptions) {
    super();
    let cookie = 0n;
    while (cookie === 0n) cookie = randomBytes(8).readBigUInt64BE();
    this.instanceCookie = cookie;
    this.reservations = new Reservations(opts.dataDir);
    this.peerFinder = newPeerFinder(opts);
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
    const peer = (id: number) => this.peersById.get(id);
    const defaults = defaultTimers();
    const verify = opts.timers.verify ?? { threads: defaults.verifyThreads, queue: defaults.verifyQueue };
    this.verifier = createVerifier({ threads: verify.threads, queueMax: verify.queue, log: opts.log });
    this.features = new RelayFeatures(opts, {
      peer,
      peers: () => this.peersById.values(),
      relay: (from, msg, frame) => this.fanout.relay(from, msg, frame),
      log: opts.log,
    });
    this.fanout = new RelayFanout({
      router: this.router,
      validators: opts.validators,
      peers: () => this.peersById.values(),
      peer,
      relayBacklogBytes: opts.timers.relayBacklogBytes,
      onOutcome: (type, outcome) => this.emit('relayItem', type, outcome),
      onVerified: (from, msg, payload) => this.emit('verifiedItem', from, msg, payload),
      monitor: opts.monitor,
      vpRelay: this.features.vpRelay,
      txRelay: this.features.txRelay,
      traffic: this.features.traffic,
      verifier: this.verifier,
      log: opts.log,
    });
    opts.monitor?.on('quorum', (l) => this.announceValidated(l));
    this.core = {
      opts,
      log: opts.log,
      resources: this.resources,
      peerFinder: this.peerFinder,
      reservations: this.reservations,
      listener: () => this.listener,
      isStopping: () => this.stopping,
      peers: () => this.peers(),
      localNode: () => this.localNode(),
      isClusterKey: (n9) => this.isClusterKey(n9),
      redirectAddresses: (ip) => this.redirectAddresses(ip),
      activate: (info, slot, socket, rest, consumer) => this.activate(info, slot, socket, rest, consumer),
      emit: this.emit.bind(this) as OverlayCore['emit'],
    };
  }

  /** Signature checks of relayed items (a VerifyPool unless [overlay] verify_threads = 0). */
  get verifyPool(): Verifier {
    return this.verifier;
  }

  /** Items (transactions, proposals, validations, manifests) passed on since start, for the status log. */
  get relayed(): { items: number } {
    return this.fanout.relayed;
  }

  get clusterNodes(): readonly { n9: string; name?: string }[] {
    return this.opts.cluster;
  }

  /** [cluster_nodes] members' reported status and the cluster fee. */
  get cluster(): RelayFeatures['cluster'] {
    return this.features.cluster;
  }

  /** Traffic by rippled's categories. */
  get traffic(): RelayFeatures['traffic'] {
    return this.features.traffic;
  }

  get txRelay(): RelayFeatures['txRelay'] {
    return this.features.txRelay;
  }

  get vpRelay(): RelayFeatures['vpRelay'] {
    return this.features.vpRelay;
  }

  get monitor(): OverlayOptions['monitor'] {
    return this.opts.monitor;
  }

  get networkId(): number | undefined {
    return this.opts.networkId;
  }

  get nodeKey(): string {
    return this.opts.identity.n9;
  }

  get validators(): ValidatorsHub | undefined {
    return this.opts.validators;
  }

  private get latestLedger(): PeerLedgerStatus | undefined {
    return this.announcer.latest;
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
          onRequest: (socket, head, rest) => onRequest(this.core, this, socket, head, rest),
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
    this.features.start();
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearInterval(this.sweepTimer);
    clearInterval(this.resourceTimer);
    this.ledgerRequests.stop();
    this.features.stop();
    await this.verifier.close();
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

  // ------------------------------------------------------------ wiring

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
    return dial(this.core, (h) => this.io.localAddressFor(h), host, port, why);
  }

  /** Once per autoconnect interval (rippled: once a second): PeerFinder's housekeeping, endpoints, dials. */
  private tick(): void {
    if (!this.stopping) this.io.tick();
  }

  /** A peer whose ledger is far from the network's is not trusted with addresses (rippled: unless converged). */
  isDiverged(peer: Peer): boolean {
    return this.announcer.isDiverged(peer);
  }

  // ------------------------------------------------------------ active peers

  /** Every peer's options, made once: peers share them (their resource entry is their own). */
  private peerOptionsOnce: Readonly<PeerOptions> | undefined;

  private peerOptions(): Readonly<PeerOptions> {
    return (this.peerOptionsOnce ??= peerSettings({
      pingIntervalMs: this.opts.timers.pingIntervalMs,
      shutdownTimeoutMs: this.opts.timers.shutdownTimeoutMs,
      sendQueueTarget: this.opts.timers.sendQueueTarget,
      sendQueueIntervals: this.opts.timers.sendQueueIntervals,
      ...(this.opts.timers.decompressBytesPerSecond ? { decompressBytesPerSecond: this.opts.timers.decompressBytesPerSecond } : {}),
      log: this.log,
      onSent: (type, bytes, msg) => this.features.onSent(type, bytes, msg),
    }));
  }

  private activate(info: PeerInfo, slot: Slot, socket: tls.TLSSocket, rest: Buffer, consumer: ResourceConsumer): Peer {
    const peer = new Peer(info, socket, rest, this.peerOptions(), consumer);
    this.peersById.set(peer.id, peer);
    this.crawlSnapshot?.invalidate();
    this.slots.set(peer.id, slot);
    peer.on('message', (msg, frame) => this.onMessage(peer, msg, frame));
    peer.on('status', (s) => this.onPeerStatus(peer, s));
    peer.once('close', (close) => {
      this.peersById.delete(peer.id);
      this.crawlSnapshot?.invalidate();
      this.opts.validators?.onPeerClosed(peer.id);
      this.slots.delete(peer.id);
      const fixedLost = this.peerFinder.onClosed(slot);
      this.ledgerRequests.onPeerClosed(peer);
      this.features.onPeerClosed(peer.id);
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
    if (this.features.onMessage(peer, msg, frame)) return;
    if (msg.name === 'ENDPOINTS') this.io.onEndpoints(peer, msg.message);
    else if (this.ledgerRequests.onMessage(peer, msg)) return;
    else if (msg.name === 'VALIDATOR_LIST' || msg.name === 'VALIDATOR_LIST_COLLECTION') {
      const r = this.opts.validators?.onValidatorList(peer, msg, this.peers());
      if (r?.fee) peer.charge(LIST_FEE_CHARGES[r.fee], r.reason);
      else if (r) this.log.debug({ peer: peer.info.n9, reason: r.reason }, 'validator list');
    } else if (RelayFanout.relays(frame.type)) this.fanout.relay(peer, msg, frame);
  }

  private onPeerStatus(peer: Peer, s: PeerLedgerStatus): void {
    this.emit('peerStatus', peer, s);
    this.ledgerRequests.onStatus(peer, s);
    if (!this.announcer.onStatus(s, this.peersById.values())) return;
    this.ledgerRequests.onOurLedger(s.ledgerSeq!);
    // To every peer, the one whose status tipped the median included, as rippled announces each
    // ledger it accepts: each rippled peer then counts us converged (PeerImp::checkTracking).
    const m = statusMessage(s);
    for (const p of this.peersById.values()) p.send('STATUS_CHANGE', m);
  }

  /** The network's validated ledger (a quorum of trusted validations): announced to every peer. */
  private announceValidated(l: ValidatedLedger): void {
    if (!this.announcer.onValidated(l)) return;
    this.ledgerRequests.onOurLedger(l.seq);
    const m = statusMessage(this.announcer.latest!);
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
    return overlayServerFacts(this.opts, {
      serverState: this.serverState(),
      uptime: this.uptimeSeconds(),
      peers: this.peersById.size,
      address: this.address,
      disconnects: this.disconnects,
      latestLedger: this.latestLedger,
      latestFromQuorum: this.announcer.fromQuorum,
    });
  }

  crawl(): object {
    return buildCrawl(this, this.opts.crawl);
  }

  private crawlSnapshot: CrawlSnapshot | undefined;

  crawlBytes(): Buffer {
    this.crawlSnapshot ??= new CrawlSnapshot(() => this.crawl(), this.opts.crawl.snapshotMs ?? DEFAULT_CRAWL_SNAPSHOT_MS);
    return this.crawlSnapshot.bytes();
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
