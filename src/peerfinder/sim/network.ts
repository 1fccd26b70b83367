/**
 * A network of PeerFinders on one manual clock, wired through an in-memory transport: the
 * discovery simulation (issue 17), in the spirit of rippled's src/test/peerfinder and
 * peerfinder/sim. Everything the overlay and PeerFinderIo do for PeerFinder happens here without
 * sockets: dials (with a handshake that takes one tick), the inbound slot and activation checks on
 * the far side, 503 answers with "peer-ips" built and parsed by the real code, TMEndpoints encoded
 * and decoded by the real protobuf codec, connect tests, disconnects and restarts with a saved
 * Bootcache. One step is one second (rippled's autoconnect interval), so hours of simulated time
 * take seconds.
 *
 * It lives beside the component (not under test/) because both the test suite and `npm run bench`
 * drive it, and it must track PeerFinder's API as that changes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTimers, type Timers } from '../../config/timers.js';
import { parseRedirectBody } from '../../connect/handshake-io.js';
import type { IpEndpoint } from '../../address/address.js';
import { decodeMessage, encodeMessage } from '../../protocol/codec.js';
import { MessageType } from '../../protocol/message-types.js';
import type { TMEndpoints } from '../../protocol/messages.js';
import { bootcachePath } from '../bootcache.js';
import { discoveryTimers } from '../discovery-timers.js';
import { type DiscoveryTimers, PeerFinder, type PeerFinderConfig, type Slot } from '../manager.js';

export const SIM_PORT = 51235;

export interface SimOptions {
  /** Timer table; default: rippled's defaults (src/config/timers.ts). */
  timers?: Timers;
  /** Slots of every node; default [peers_max] 21 → 10 out, 11 in, ip_limit 2. */
  outMax?: number;
  inMax?: number;
  /** Seed for every random choice (PeerFinder's shuffles, start order). */
  seed?: number;
  /** Extra PeerFinder settings for every node (e.g. the discovery options). */
  config?: Partial<PeerFinderConfig>;
}

/** One link between two live nodes: both ends hold an active slot. */
export interface Link {
  out: SimNode;
  in: SimNode;
  outSlot: Slot;
  inSlot: Slot;
}

interface PendingDial {
  from: SimNode;
  to: IpEndpoint;
}

export class SimNode {
  pf!: PeerFinder;
  up = false;
  readonly links = new Set<Link>();
  /** Connect tests under way: answered on the next tick. */
  readonly tests: { slot: Slot; ep: IpEndpoint }[] = [];
  readonly ep: IpEndpoint;
  readonly key: string;
  startedAt = 0;
  /** Restarts so far; each restart is a new node key. */
  generation = 0;

  constructor(
    readonly index: number,
    readonly ips: IpEndpoint[],
  ) {
    // Public addresses (44/8), so PeerFinder's own address filters apply as on the Internet.
    this.ep = { ip: `44.0.${index >> 8}.${index & 255}`, port: SIM_PORT };
    this.key = `node${index}`;
  }

  get publicKey(): string {
    return `${this.key}.${this.generation}`;
  }

  outCount(): number {
    return [...this.links].filter((l) => l.out === this).length;
  }

  degree(): number {
    return this.links.size;
  }

  neighbours(): SimNode[] {
    return [...this.links].map((l) => (l.out === this ? l.in : l.out));
  }
}

export class SimNetwork {
  now = 0;
  readonly nodes: SimNode[] = [];
  readonly timers: Timers;
  readonly outMax: number;
  readonly inMax: number;
  private readonly byIp = new Map<string, SimNode>();
  private pending: PendingDial[] = [];
  private readonly random: () => number;
  private readonly dir: string;
  /** Counters for the report. */
  readonly stats = { dials: 0, redirects: 0, endpointsMessages: 0, endpointsBytes: 0 };

  constructor(private readonly opts: SimOptions = {}) {
    this.outMax = opts.outMax ?? 10;
    this.inMax = opts.inMax ?? 11;
    this.timers = opts.timers ?? defaultTimers();
    this.random = seeded(opts.seed ?? 1);
    this.dir = mkdtempSync(join(tmpdir(), 'pf-sim-'));
  }

  /** Remove the Bootcache files. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A node that knows `ips` (its [ips]); not started. */
  add(ips: IpEndpoint[]): SimNode {
    const node = new SimNode(this.nodes.length, ips);
    this.nodes.push(node);
    this.byIp.set(node.ep.ip, node);
    return node;
  }

  /** Start (or restart) a node; `warm`: load the Bootcache it saved when it stopped. */
  start(node: SimNode, warm = false): void {
    const config: PeerFinderConfig = {
      outMax: this.outMax,
      inMax: this.inMax,
      ipLimit: 2,
      peerPrivate: false,
      listening: true,
      verifyEndpoints: true,
      allowPrivate: false,
      maxConnectAttempts: this.timers.maxConnectAttempts,
      fixedBackoffMinMs: this.timers.fixedBackoffMin,
      fixedBackoffMaxMs: this.timers.fixedBackoffMax,
      discovery: discoveryTimers(this.timers),
      ...this.opts.config,
    };
    const file = join(this.dir, `${node.index}-${bootcachePath('')}`);
    if (!warm) rmSync(file, { force: true });
    node.pf = new PeerFinder(config, { now: () => this.now, random: this.random, bootcachePath: file });
    node.pf.bootcache.load();
    for (const ep of node.ips) node.pf.addFallback(ep);
    node.up = true;
    node.startedAt = this.now;
    this.tickNode(node);
  }

  /** Stop a node: its peers see the connections close; its Bootcache is saved. */
  stop(node: SimNode): void {
    for (const link of [...node.links]) this.disconnect(link);
    node.pf.stop();
    node.up = false;
    node.tests.length = 0;
    node.generation++;
    this.pending = this.pending.filter((d) => d.from !== node);
  }

  /** Advance the clock by whole seconds, ticking every node each second. */
  run(seconds: number, each?: () => boolean | void): void {
    for (let s = 0; s < seconds; s++) {
      this.now += 1000;
      this.resolveDials();
      for (const node of this.shuffled(this.nodes)) if (node.up) this.tickNode(node);
      if (each?.() === true) return;
    }
  }

  links(): Link[] {
    const all = new Set<Link>();
    for (const n of this.nodes) for (const l of n.links) all.add(l);
    return [...all];
  }

  // ------------------------------------------------------------ what the overlay does

  private tickNode(node: SimNode): void {
    // Connect tests started last tick: a live listening node at that address answers.
    for (const t of node.tests.splice(0)) {
      const target = this.byIp.get(t.ep.ip);
      node.pf.onConnectTestDone(t.slot, t.ep, !!target?.up && t.ep.port === target.ep.port);
    }
    if (node.pf.oncePerSecond()) this.sendEndpoints(node, [...node.links]);
    const plan = node.pf.autoconnect(node.ep);
    for (const target of plan.dial) {
      if (!node.pf.newOutboundSlot(target.ip, target.port)) continue;
      this.stats.dials++;
      this.pending.push({ from: node, to: { ip: target.ip, port: target.port } });
    }
  }

  private sendEndpoints(node: SimNode, links: Link[]): void {
    const targets = links.map((l) => ({ peer: l, slot: l.out === node ? l.outSlot : l.inSlot }));
    for (const { peer: link, message } of node.pf.buildEndpoints(targets, node.ep.port)) {
      const wire = encodeMessage('ENDPOINTS', message);
      this.stats.endpointsMessages++;
      this.stats.endpointsBytes += wire.length + 6;
      const decoded = decodeMessage(MessageType.ENDPOINTS, wire);
      if (decoded.name !== 'ENDPOINTS') throw new Error('decoded the wrong message');
      const receiver = link.out === node ? link.in : link.out;
      this.deliverEndpoints(receiver, link, decoded.message);
    }
  }

  private deliverEndpoints(receiver: SimNode, link: Link, msg: TMEndpoints): void {
    const slot = link.out === receiver ? link.outSlot : link.inSlot;
    const verdict = receiver.pf.onEndpoints(slot, msg, false);
    if (!verdict.ignored && verdict.connectTest) receiver.tests.push({ slot, ep: verdict.connectTest });
  }

  /** Dials made last tick get their answer now (a handshake takes about a second). */
  private resolveDials(): void {
    const dials = this.pending;
    this.pending = [];
    for (const d of dials) {
      if (!d.from.up) continue;
      this.handshake(d.from, d.to);
      d.from.pf.outboundSlotDone(d.to.ip, d.to.port);
    }
  }

  private handshake(from: SimNode, to: IpEndpoint): void {
    const target = this.byIp.get(to.ip);
    if (!target?.up || target.ep.port !== to.port || target === from) {
      from.pf.onFailure(to);
      return;
    }
    const sourcePort = 40000 + Math.floor(this.random() * 20000);
    if (target.pf.newInboundSlot({ ip: from.ep.ip, port: sourcePort }) !== 'success') return; // 403: answered
    const inbound = target.pf.activate({ ip: from.ep.ip, port: sourcePort, inbound: true, publicKey: from.publicKey, reserved: false });
    if (!inbound.slot) {
      // 503 with redirects, the body built and parsed as on the wire.
      const body = JSON.stringify({ 'peer-ips': target.pf.redirect(from.ep.ip, this.listeningPeers(target)) });
      this.stats.redirects++;
      from.pf.onFailure(to);
      from.pf.onRedirects(parseRedirectBody(Buffer.from(body)));
      return;
    }
    const outbound = from.pf.activate({ ip: to.ip, port: to.port, inbound: false, publicKey: target.publicKey, reserved: false });
    if (!outbound.slot) {
      target.pf.onClosed(inbound.slot);
      return;
    }
    const link: Link = { out: from, in: target, outSlot: outbound.slot, inSlot: inbound.slot };
    from.links.add(link);
    target.links.add(link);
    this.onLinkUp(link);
  }

  /** A peer became active on both ends. */
  private onLinkUp(_link: Link): void {}

  /** The overlay's redirect top-up: verified listening addresses of its peers. */
  private listeningPeers(node: SimNode): IpEndpoint[] {
    return [...node.links].flatMap((l) => {
      if (l.out === node) return [{ ip: l.in.ep.ip, port: l.in.ep.port }];
      return l.inSlot.discovery.listeningPort !== undefined ? [{ ip: l.out.ep.ip, port: l.inSlot.discovery.listeningPort }] : [];
    });
  }

  private disconnect(link: Link): void {
    link.out.links.delete(link);
    link.in.links.delete(link);
    link.out.pf.onClosed(link.outSlot);
    link.in.pf.onClosed(link.inSlot);
  }

  private shuffled<T>(list: T[]): T[] {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** Deterministic random in [0, 1) (an LCG: the simulation must replay exactly). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
