/**
 * The peer manager: the listener, every active peer, slots, fixed peers with their backoff, the
 * outbound policy, relay, and the /crawl and /health answers. Discovery plugs in through
 * `candidates` (addresses worth dialling) and the peer events.
 */
import { EventEmitter } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type tls from 'node:tls';
import type { Logger } from 'pino';
import type { TlsMaterial } from '../identity/certificate.js';
import type { NodeIdentity } from '../identity/node-key.js';
import { formatEndpoint, isUnspecifiedIp, normalizeIp, sameIp, type IpEndpoint } from '../protocol/address.js';
import type { PeerMessage } from '../protocol/codec.js';
import type { RawFrame } from '../protocol/framing.js';
import { type Features, HandshakeError, networkTimeNow } from '../protocol/handshake.js';
import { header, type HttpHead } from '../protocol/http-head.js';
import { MessageType } from '../protocol/message-types.js';
import { NodeEvent } from '../protocol/messages.js';
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
import { Peer, type PeerInfo, type PeerLedgerStatus, type PeerOptions } from '../peer/peer.js';
import type { ResourceLimits } from '../peer/resource.js';
import { fixedPeerBackoffMs } from './backoff.js';
import { buildCrawl, type CrawlOptions } from './crawl.js';
import { buildHealth } from './health.js';
import { HashRouter } from './hash-router.js';
import { Listener, sendHttp } from './listener.js';
import { Reservations } from './reservations.js';

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
  maxHeaderBytes: number;
  maxHeaderCount: number;
  sendQueueTarget: number;
  sendQueueIntervals: number;
  resource: ResourceLimits;
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
  slots: { outMax: number; inMax: number };
  ips: HostPort[];
  ipsFixed: HostPort[];
  cluster: { n9: string; name?: string }[];
  crawl: CrawlOptions;
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
  readonly instanceCookie: bigint;
  private readonly peersById = new Map<number, Peer>();
  private readonly fixed: FixedPeer[];
  private readonly attempts = new Set<string>();
  private readonly router = new HashRouter({ holdMs: 300_000, relayAgainMs: 30_000 });
  private listener: Listener | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Newest accepted ledger any peer told us of; we repeat it so rippled sees us as tracking. */
  private latestLedger: PeerLedgerStatus | undefined;
  /** Addresses heard through 503 redirects (and later discovery), tried when [ips] is exhausted. */
  readonly candidates: IpEndpoint[] = [];
  readonly reservations: Reservations;

  constructor(readonly opts: OverlayOptions) {
    super();
    let cookie = 0n;
    while (cookie === 0n) cookie = randomBytes(8).readBigUInt64BE();
    this.instanceCookie = cookie;
    this.reservations = new Reservations(opts.dataDir);
    this.fixed = opts.ipsFixed.map((e) => ({ ...e, failures: 0, nextAttemptAt: 0, connecting: false }));
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
    this.timer = setInterval(() => this.autoconnect(), this.opts.timers.autoconnectIntervalMs);
    this.sweepTimer = setInterval(() => this.router.sweep(), 10_000);
    this.sweepTimer.unref();
    this.autoconnect();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearInterval(this.sweepTimer);
    for (const peer of this.peers()) peer.close('shutting down');
    await this.listener?.stop();
    this.log.info('overlay stopped');
  }

  // ------------------------------------------------------------ slots

  /** Counts of peers that occupy slots (fixed, cluster and reserved peers do not). */
  slotCounts(): { in: number; out: number } {
    let inbound = 0;
    let outbound = 0;
    for (const p of this.peersById.values()) {
      if (isExempt(p.info)) continue;
      if (p.info.direction === 'in') inbound++;
      else outbound++;
    }
    return { in: inbound, out: outbound };
  }

  private isFixedIp(ip: string): boolean {
    return this.fixed.some((f) => f.ip !== undefined && sameIp(f.ip, ip));
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
    if ((header(head, 'Connect-As') ?? '').toLowerCase() !== 'peer') return this.refuse(socket, remoteIp, 'Connect-As is not Peer');
    const local = this.localNode();
    let check;
    try {
      check = checkInbound(socket, head, local);
    } catch (err) {
      if (err instanceof HandshakeError && err.reason === 'bad-ledger-hash') {
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
    info.fixed = this.isFixedIp(remoteIp);
    info.cluster = this.isClusterKey(info.n9);
    info.reserved = this.reservations.has(info.n9);
    if (this.findByKey(info.publicKey)) return this.refuse(socket, remoteIp, 'duplicate connection');
    if (this.opts.peerPrivate && !isExempt(info)) return this.refuse(socket, remoteIp, 'private node accepts only fixed and cluster peers');
    if (!isExempt(info) && this.slotCounts().in >= this.opts.slots.inMax) return this.refuse(socket, remoteIp, 'inbound slots full');
    socket.write(upgradeResponse(check, local));
    this.listener?.release(socket);
    this.activate(info, socket, rest);
  }

  /** Up to 10 addresses of our outbound peers (their listening ports), never the requester's own IP. */
  redirectAddresses(requesterIp: string): string[] {
    const out: string[] = [];
    for (const p of this.peersById.values()) {
      if (out.length >= 10) break;
      if (p.info.listeningPort === undefined || p.info.crawl.toLowerCase() !== 'public') continue;
      if (sameIp(p.info.remoteIp, requesterIp)) continue;
      out.push(formatEndpoint(p.info.remoteIp, p.info.listeningPort));
    }
    return out;
  }

  // ------------------------------------------------------------ outbound

  /** Dial an address (admin `connect`, autoconnect, fixed peers). Resolves when the attempt ends. */
  async connect(host: string, port: number, why = 'manual'): Promise<Peer | undefined> {
    const key = `${host}|${port}`;
    if (this.attempts.has(key) || this.stopping) return undefined;
    this.attempts.add(key);
    const listenHost = this.opts.listen?.host;
    const localAddress = listenHost && !isUnspecifiedIp(listenHost) && isIP(host) === isIP(listenHost) ? listenHost : undefined;
    try {
      const est = await dialPeer({
        host,
        port,
        localAddress,
        local: this.localNode(),
        timeouts: this.opts.timers.handshake,
        headLimits: { maxBytes: this.opts.timers.maxHeaderBytes, maxHeaders: this.opts.timers.maxHeaderCount },
      });
      if (this.stopping) {
        est.socket.destroy();
        return undefined;
      }
      const info = est.info;
      info.fixed = this.isFixedIp(info.remoteIp) || this.fixed.some((f) => f.host === host && f.port === port);
      info.cluster = this.isClusterKey(info.n9);
      info.reserved = this.reservations.has(info.n9);
      if (this.findByKey(info.publicKey)) {
        est.socket.destroy();
        throw new ConnectError('handshake', 'already connected to this node');
      }
      this.log.info({ peer: info.n9, address: formatEndpoint(info.remoteIp, port), why }, 'outbound peer connected');
      return this.activate(info, est.socket, est.rest);
    } catch (err) {
      const e = err as ConnectError;
      this.emit('handshakeFailed', 'out', e.kind ?? 'error');
      if (e.kind === 'redirect') this.addCandidates(e.peerIps);
      this.log.info({ address: `${host}:${port}`, why, err: e.message }, 'outbound connection failed');
      throw err;
    } finally {
      this.attempts.delete(key);
    }
  }

  addCandidates(list: IpEndpoint[]): void {
    for (const c of list) {
      if (this.candidates.some((x) => sameIp(x.ip, c.ip) && x.port === c.port)) continue;
      this.candidates.push(c);
    }
    // A dialler keeps up to 30 redirect addresses.
    while (this.candidates.length > 30) this.candidates.shift();
  }

  private autoconnect(): void {
    if (this.stopping) return;
    const now = Date.now();
    for (const f of this.fixed) {
      if (f.connecting || now < f.nextAttemptAt || this.fixedConnected(f)) continue;
      if (this.attempts.size >= this.opts.timers.maxConnectAttempts) return;
      void this.dialFixed(f);
    }
    if (this.opts.peerPrivate) return; // a private node dials only its fixed peers
    const pool: HostPort[] = [...this.opts.ips, ...this.candidates.map((c) => ({ host: c.ip, port: c.port }))];
    for (const target of pool) {
      if (this.slotCounts().out + this.attempts.size >= this.opts.slots.outMax) return;
      if (this.attempts.size >= this.opts.timers.maxConnectAttempts) return;
      if (this.isConnectedTo(target)) continue;
      this.connect(target.host, target.port, 'autoconnect').catch(() => {});
    }
  }

  private isConnectedTo(t: HostPort): boolean {
    for (const p of this.peersById.values()) {
      if (p.info.listeningPort === t.port && (p.info.remoteIp === t.host || sameIpSafe(p.info.remoteIp, t.host))) return true;
    }
    return false;
  }

  private fixedConnected(f: FixedPeer): boolean {
    for (const p of this.peersById.values()) {
      if (f.ip !== undefined && sameIp(p.info.remoteIp, f.ip)) return true;
    }
    return false;
  }

  private async dialFixed(f: FixedPeer): Promise<void> {
    f.connecting = true;
    try {
      f.ip = isIP(f.host) ? f.host : (await lookup(f.host)).address;
      if (this.fixedConnected(f)) return;
      await this.connect(f.ip, f.port, 'fixed');
      f.failures = 0;
      f.nextAttemptAt = 0;
    } catch (err) {
      f.failures++;
      const delay = fixedPeerBackoffMs(f.failures, this.opts.timers.fixedBackoffMinMs, this.opts.timers.fixedBackoffMaxMs);
      f.nextAttemptAt = Date.now() + delay;
      this.log.warn({ fixed: `${f.host}:${f.port}`, failures: f.failures, retryInMs: delay, err: (err as Error).message }, 'fixed peer unreachable, backing off');
    } finally {
      f.connecting = false;
    }
  }

  // ------------------------------------------------------------ active peers

  private peerOptions(): Partial<PeerOptions> {
    return {
      pingIntervalMs: this.opts.timers.pingIntervalMs,
      sendQueueTarget: this.opts.timers.sendQueueTarget,
      sendQueueIntervals: this.opts.timers.sendQueueIntervals,
      resource: this.opts.timers.resource,
      log: this.log,
    };
  }

  private activate(info: PeerInfo, socket: tls.TLSSocket, rest: Buffer): Peer {
    const peer = new Peer(info, socket, rest, this.peerOptions());
    this.peersById.set(peer.id, peer);
    peer.on('message', (msg, frame) => this.onMessage(peer, msg, frame));
    peer.on('status', (s) => this.onPeerStatus(peer, s));
    peer.once('close', (reason) => {
      this.peersById.delete(peer.id);
      this.log.info({ peer: info.n9, direction: info.direction, reason, uptime: peer.uptimeSeconds }, 'peer disconnected');
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
    return peer;
  }

  private onMessage(peer: Peer, msg: PeerMessage, frame: RawFrame): void {
    this.emit('message', peer, msg, frame);
    if (RELAYED_TYPES.has(frame.type)) this.relay(peer, msg, frame);
  }

  /** Relay consensus traffic to every peer that has not sent it to us, once per item. */
  private relay(from: Peer, msg: PeerMessage, frame: RawFrame): void {
    const skip = this.router.receive(suppressionKey(msg, frame), from.id);
    if (!skip) return;
    for (const p of this.peersById.values()) {
      if (p === from || skip.has(p.id)) continue;
      p.sendRaw(frame.type, frame.payload);
    }
  }

  private onPeerStatus(peer: Peer, s: PeerLedgerStatus): void {
    this.emit('peerStatus', peer, s);
    if (s.event !== NodeEvent.ACCEPTED_LEDGER || s.ledgerSeq === undefined || !s.ledgerHash) return;
    if (this.latestLedger?.ledgerSeq !== undefined && this.latestLedger.ledgerSeq >= s.ledgerSeq) return;
    this.latestLedger = s;
    const m = statusMessage(s);
    for (const p of this.peersById.values()) if (p !== peer) p.send('STATUS_CHANGE', m);
  }

  // ------------------------------------------------------------ reports

  serverState(): string {
    return this.peersById.size > 0 ? 'connected' : 'disconnected';
  }

  uptimeSeconds(): number {
    return Math.floor((Date.now() - this.startedAt) / 1000);
  }

  ledgerAgeSeconds(): number | undefined {
    return this.latestLedger ? Math.floor((Date.now() - this.latestLedger.updatedAt) / 1000) : undefined;
  }

  /** The overlay's part of rippled's server_info. */
  serverInfo(): Record<string, unknown> {
    const info: Record<string, unknown> = {
      build_version: this.opts.buildVersion,
      pubkey_node: this.opts.identity.n9,
      server_state: this.serverState(),
      uptime: this.uptimeSeconds(),
      peers: this.peersById.size,
    };
    if (this.opts.networkId !== undefined) info.network_id = this.opts.networkId;
    if (this.latestLedger?.ledgerSeq !== undefined) {
      info.network_ledger = { seq: this.latestLedger.ledgerSeq, hash: this.latestLedger.ledgerHash?.toString('hex').toUpperCase() };
    }
    return info;
  }

  crawl(): object {
    return buildCrawl(this, this.opts.crawl);
  }

  health(): { status: number; reason: string; body: object } {
    return buildHealth(this);
  }
}

function sameIpSafe(a: string, b: string): boolean {
  return isIP(a) !== 0 && isIP(b) !== 0 && sameIp(a, b);
}

export function isExempt(info: PeerInfo): boolean {
  return !!(info.fixed || info.cluster || info.reserved);
}

/** What we repeat of a peer's accepted ledger: no ledger range, since we hold no ledgers. */
function statusMessage(s: PeerLedgerStatus) {
  return {
    newEvent: NodeEvent.ACCEPTED_LEDGER,
    ledgerSeq: s.ledgerSeq,
    ledgerHash: s.ledgerHash,
    ledgerHashPrevious: s.previousHash,
    networkTime: s.networkTime ?? networkTimeNow(),
  };
}

/** The identity of a relayed item: the signed part, so re-stamped copies still match. */
function suppressionKey(msg: PeerMessage, frame: RawFrame): string {
  const h = createHash('sha256');
  switch (msg.name) {
    case 'TRANSACTION':
      h.update(msg.message.rawTransaction);
      break;
    case 'VALIDATION':
      h.update(msg.message.validation);
      break;
    case 'PROPOSE_LEDGER':
      h.update(msg.message.signature);
      break;
    default:
      h.update(frame.payload);
  }
  return `${frame.type}:${h.digest('base64')}`;
}
