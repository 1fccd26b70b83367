/**
 * The I/O PeerFinder decides on and does not do itself: once a tick, send TMEndpoints when due,
 * look up fixed peers' names and dial what autoconnect names (fixed peers with their backoff);
 * take a peer's TMEndpoints and run the TCP connect test of its advertised port.
 */
import { lookup } from 'node:dns/promises';
import net, { isIP } from 'node:net';
import type { Logger } from 'pino';
import { formatEndpoint, isPublicIp, isUnspecifiedIp, normalizeIp, type IpEndpoint } from '../address/address.js';
import type { TMEndpoints } from '../protocol/messages.js';
import { ConnectError } from '../connect/handshake-io.js';
import type { Peer } from '../peer/peer.js';
import { Charge } from '../resource/resource.js';
import { bootcachePath } from '../peerfinder/bootcache.js';
import { type FixedPeer, PeerFinder, type Slot } from '../peerfinder/manager.js';
import type { OverlayOptions } from './options.js';

/** What the driver needs of the overlay. */
export interface PeerFinderHost {
  readonly peerFinder: PeerFinder;
  readonly log: Logger;
  peers(): Peer[];
  slotOf(peer: Peer): Slot | undefined;
  /** Our listening address, once listening. */
  listenAddress(): { host: string; port: number } | undefined;
  /** Dial; rejects with the reason the attempt failed. */
  connect(host: string, port: number, why: string): Promise<Peer | undefined>;
  /** Its ledger is far from ours: its addresses are not believed (rippled: unless converged). */
  isDiverged(peer: Peer): boolean;
}

export class PeerFinderIo {
  constructor(
    private readonly host: PeerFinderHost,
    private readonly opts: { connectTestTimeoutMs: number; listenHost?: string },
  ) {}

  private get pf(): PeerFinder {
    return this.host.peerFinder;
  }

  /** Once per autoconnect interval (rippled: once a second): housekeeping, endpoints, dials. */
  tick(): void {
    if (this.pf.oncePerSecond()) this.sendEndpoints();
    for (const f of this.pf.fixedToResolve()) void this.resolveFixed(f);
    const listen = this.host.listenAddress();
    const plan = this.pf.autoconnect(listen ? { ip: listen.host, port: listen.port } : undefined);
    for (const target of plan.dial) {
      if (target.fixed) void this.dialFixed(target.fixed);
      else this.host.connect(target.ip, target.port, plan.source ?? 'autoconnect').catch(() => {});
    }
  }

  /** The local address to dial `host` from: our listening address when it is specific and of the same family. */
  localAddressFor(host: string): string | undefined {
    const listenHost = this.opts.listenHost;
    return listenHost && !isUnspecifiedIp(listenHost) && isIP(host) === isIP(listenHost) ? listenHost : undefined;
  }

  async resolve(host: string): Promise<string | undefined> {
    if (isIP(host)) return normalizeIp(host);
    try {
      return normalizeIp((await lookup(host)).address);
    } catch (err) {
      this.host.log.warn({ host, err: (err as Error).message }, 'could not resolve peer address');
      return undefined;
    }
  }

  onEndpoints(peer: Peer, m: TMEndpoints): void {
    const slot = this.host.slotOf(peer);
    if (!slot) return;
    const r = this.pf.onEndpoints(slot, m, this.host.isDiverged(peer));
    if (r.ignored) return;
    if (r.tooLarge) peer.charge(Charge.useless, 'oversized endpoints list');
    for (let i = 0; i < r.malformed && !peer.closed; i++) peer.charge(Charge.invalidData, 'malformed endpoint');
    if (r.connectTest) void this.testListeningPort(peer, slot, r.connectTest);
  }

  private sendEndpoints(): void {
    const targets = this.host.peers().flatMap((peer) => {
      const slot = this.host.slotOf(peer);
      return slot ? [{ peer, slot }] : [];
    });
    for (const { peer, message } of this.pf.buildEndpoints(targets, this.host.listenAddress()?.port)) peer.send('ENDPOINTS', message);
  }

  private async resolveFixed(f: FixedPeer): Promise<void> {
    const ip = await this.resolve(f.host);
    const delay = this.pf.fixedResolved(f, ip);
    if (delay !== undefined) this.fixedBackoffLog(f, delay, `cannot resolve ${f.host}`);
  }

  private fixedBackoffLog(f: FixedPeer, delay: number, err: string): void {
    this.host.log.warn({ fixed: `${f.host}:${f.port}`, failures: f.failures, retryInMs: delay, err }, 'fixed peer unreachable, backing off');
  }

  private async dialFixed(f: FixedPeer): Promise<void> {
    try {
      await this.host.connect(f.ip!, f.port, 'fixed');
      this.pf.fixedDialDone(f, 'success');
    } catch (err) {
      // Already connected to it (say, it dialled us first) is not a failure, and neither is a dial we
      // did not make for its resource use: rippled makes no slot then, so its fixed-peer timer is untouched.
      const notTried = err instanceof ConnectError && (err.kind === 'resource-limit' || err.kind === 'duplicate');
      const delay = this.pf.fixedDialDone(f, notTried ? 'not-tried' : 'failure');
      if (delay !== undefined) this.fixedBackoffLog(f, delay, (err as Error).message);
    }
  }

  /** Believe an inbound peer's advertised port only once a TCP connect to it succeeds. */
  private async testListeningPort(peer: Peer, slot: Slot, ep: IpEndpoint): Promise<void> {
    const ok = await tcpProbe(ep, this.opts.connectTestTimeoutMs, this.localAddressFor(ep.ip));
    if (!this.pf.isActive(slot)) return;
    const listeningPort = this.pf.onConnectTestDone(slot, ep, ok);
    if (listeningPort !== undefined) {
      peer.info.listeningPort = listeningPort;
      this.host.log.debug({ peer: peer.info.n9, port: listeningPort }, 'peer listening port verified');
    } else if (!ok) {
      this.host.log.debug({ peer: peer.info.n9, endpoint: formatEndpoint(ep.ip, ep.port) }, 'peer advertised a port we cannot reach');
    }
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

/** The overlay's PeerFinder, set up from its options (slots, timers, the bootcache file in the data directory). */
export function newPeerFinder(opts: OverlayOptions): PeerFinder {
  // rippled keeps only public addresses. A node bound to a private or loopback address (a lab
  // network, or our tests on 127.0.0.x) lives among private addresses, so it keeps those too.
  const host = opts.listen?.host;
  return new PeerFinder(
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
      onSaveError: (message) => opts.log.warn({ err: message }, 'could not save the bootcache'),
    },
  );
}
