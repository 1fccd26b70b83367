/**
 * GET /metrics on the admin HTTP port, in Prometheus text format 0.0.4, through prom-client: the
 * process and Node.js families every Node service exports (CPU, memory, heap, GC, event-loop lag:
 * prom-client's defaults, standard names so stock dashboards work), then the node's own
 * `xrpl_overlay_…` families. Traffic counters are cumulative over the node's life: what a peer did
 * is added to a running total when it disconnects, and live peers are summed in at scrape time.
 * Other parts of the node register their own families through `MetricsRegistry.register`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import type { RelayOutcome } from '../relay/fanout.js';
import type { OverlayView } from '../overlay/view.js';
import type { Peer } from '../peer/peer.js';
import { CLOSE_REASONS, type HandshakeFailure, type PeerClose } from '../peer/reasons.js';
import { Charge, type ChargeKind } from '../resource/resource.js';
import { VERSION } from '../version.js';
import { type LedgerInfoKind, LEDGER_INFO_KINDS } from '../relay/ledger-requests.js';
import { registerValidatorMetrics } from './validator-metrics.js';
import { registerMonitorMetrics } from './monitor-commands.js';
import { registerTrafficMetrics } from './traffic-counts.js';

export type MetricType = 'counter' | 'gauge';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  /** Full name, `xrpl_overlay_…`. */
  name: string;
  help: string;
  type: MetricType;
  collect(): Sample[];
}

export const METRIC_PREFIX = 'xrpl_overlay_';
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Seconds; a handshake on loopback takes a few ms, one across the world a second or more. */
export const HANDSHAKE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25];
/** Seconds of ping round trip: rippled itself reports latency in ms, most peers answer in 1–300 ms. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

let processRegistry: Registry | undefined;

/** prom-client's process and Node.js metrics: one set per process, however many nodes it runs. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    // Gauges named *_total break the naming rules promtool checks; each is the sum of its
    // per-type sibling (nodejs_active_handles{type=…} and so on), which stays.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      processRegistry.removeSingleMetric(name);
    }
  }
  return processRegistry;
}

export class MetricsRegistry {
  /** This node's families; the process families are added at render time. */
  readonly prom = new Registry();

  register(family: MetricFamily): void {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(family.name)) throw new Error(`bad metric name '${family.name}'`);
    if (this.prom.getSingleMetric(family.name)) throw new Error(`metric '${family.name}' is already registered`);
    // prom-client's registry takes any object with a name and get(): families computed at scrape time.
    const metric = {
      name: family.name,
      help: family.help,
      type: family.type,
      get: () => ({ name: family.name, help: family.help, type: family.type, aggregator: 'sum', values: family.collect() }),
    };
    this.prom.registerMetric(metric as unknown as Metric);
  }

  async render(): Promise<string> {
    const [proc, own] = await Promise.all([processMetrics().metrics(), this.prom.metrics()]);
    // prom-client spells NaN "Nan" (an event-loop mean before the first sample): the format says NaN.
    return (proc + own).replace(/ Nan$/gm, ' NaN');
  }
}

type TrafficRow = { type: string; direction: string; messages: number; bytes: number };

/** Charge kinds by the name of rippled's fee (Resource::feeInvalidSignature → invalidSignature). */
const CHARGE_NAMES = new Map<ChargeKind, string>(Object.entries(Charge).map(([name, kind]) => [kind, name]));

/**
 * The overlay's own metrics: peers, traffic, handshakes (failures by reason, duration), peer
 * latency, relay outcomes, charges, disconnects by reason, fixed peer reconnects, build and uptime.
 */
export class OverlayMetrics {
  /** Traffic of peers that have gone, by `type|direction`. */
  private readonly retired = new Map<string, TrafficRow>();
  private readonly handshakeFailures: Counter<'direction' | 'reason'>;
  private readonly handshakeDuration: Histogram<'direction'>;
  private readonly latency: Histogram;
  private readonly relayItems: Counter<'type' | 'outcome'>;
  private readonly charges: Counter<'reason'>;
  private readonly disconnects: Counter<'reason'>;
  private readonly fixedReconnects: Counter<'endpoint'>;
  /** Listeners on live peers, removed when the peer goes or the metrics close. */
  private readonly peerDetach = new Map<Peer, () => void>();
  private readonly detach: () => void;

  constructor(
    private readonly overlay: OverlayView,
    readonly registry: MetricsRegistry = new MetricsRegistry(),
  ) {
    const p = METRIC_PREFIX;
    const registers = [registry.prom];
    this.registerTrafficFamilies();
    this.handshakeFailures = new Counter({
      name: `${p}handshake_failures_total`,
      help: 'Peer handshakes that failed or were refused, by direction and typed reason (see README, Metrics).',
      labelNames: ['direction', 'reason'],
      registers,
    });
    this.handshakeDuration = new Histogram({
      name: `${p}handshake_duration_seconds`,
      help: 'Time from dialling to an active peer (out), or from the TLS session to an active peer (in).',
      labelNames: ['direction'],
      buckets: HANDSHAKE_BUCKETS,
      registers,
    });
    this.latency = new Histogram({
      name: `${p}peer_latency_seconds`,
      help: 'Ping round trips to peers.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.relayItems = new Counter({
      name: `${p}relay_items_total`,
      help: 'Relayable items received (transactions, proposals, validations, manifests) by message type and outcome: relayed, duplicate (seen within the relay interval), refused (failed a check rippled makes), overloaded (dropped unchecked: the signature check queue was full).',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.charges = new Counter({
      name: `${p}peer_charges_total`,
      help: "Resource charges laid on peers, by rippled's fee name.",
      labelNames: ['reason'],
      registers,
    });
    this.disconnects = new Counter({
      name: `${p}peer_disconnects_total`,
      help: 'Peer connections closed since start, by typed reason.',
      labelNames: ['reason'],
      registers,
    });
    this.fixedReconnects = new Counter({
      name: `${p}fixed_peer_reconnects_total`,
      help: 'Times a connection to an [ips_fixed] peer was lost and redialled, by configured endpoint.',
      labelNames: ['endpoint'],
      registers,
    });
    // Every reason shows from the start, at 0, so rate() and dashboards see a series before the first event.
    for (const reason of CLOSE_REASONS) this.disconnects.inc({ reason }, 0);
    for (const name of CHARGE_NAMES.values()) this.charges.inc({ reason: name }, 0);
    new Gauge({
      name: `${p}build_info`,
      help: 'Always 1; the labels say which build and Node.js runtime this node is.',
      labelNames: ['version', 'node_version'],
      registers,
    }).set({ version: VERSION, node_version: process.version }, 1);
    registry.register({
      name: `${p}uptime_seconds`,
      help: 'Seconds since the node started.',
      type: 'gauge',
      collect: () => [{ value: this.overlay.uptimeSeconds() }],
    });

    const onConnected = (peer: Peer) => this.attach(peer);
    const onDisconnect = (peer: Peer, close: PeerClose) => {
      for (const r of peer.traffic.rows()) this.addTraffic(this.retired, r);
      this.disconnects.inc({ reason: close.reason });
      this.peerDetach.get(peer)?.();
    };
    const onHandshakeFailed = (direction: 'in' | 'out', reason: HandshakeFailure) => this.handshakeFailures.inc({ direction, reason });
    const onHandshakeDone = (direction: 'in' | 'out', seconds: number) => this.handshakeDuration.observe({ direction }, seconds);
    const onRelay = (type: string, outcome: RelayOutcome) => this.relayItems.inc({ type, outcome });
    const onFixedReconnect = (endpoint: string) => this.fixedReconnects.inc({ endpoint });
    overlay.on('peerConnected', onConnected);
    overlay.on('peerDisconnected', onDisconnect);
    overlay.on('handshakeFailed', onHandshakeFailed);
    overlay.on('handshakeCompleted', onHandshakeDone);
    overlay.on('relayItem', onRelay);
    overlay.on('fixedReconnect', onFixedReconnect);
    for (const peer of overlay.peers()) this.attach(peer);
    this.detach = () => {
      overlay.off('peerConnected', onConnected);
      overlay.off('peerDisconnected', onDisconnect);
      overlay.off('handshakeFailed', onHandshakeFailed);
      overlay.off('handshakeCompleted', onHandshakeDone);
      overlay.off('relayItem', onRelay);
      overlay.off('fixedReconnect', onFixedReconnect);
      for (const off of [...this.peerDetach.values()]) off();
    };
  }

  close(): void {
    this.detach();
  }

  private attach(peer: Peer): void {
    if (this.peerDetach.has(peer)) return;
    const onLatency = (ms: number) => this.latency.observe(ms / 1000);
    const onCharge = (kind: ChargeKind) => this.charges.inc({ reason: CHARGE_NAMES.get(kind) ?? kind.label });
    peer.on('latency', onLatency);
    peer.on('charge', onCharge);
    this.peerDetach.set(peer, () => {
      peer.off('latency', onLatency);
      peer.off('charge', onCharge);
      this.peerDetach.delete(peer);
    });
  }

  private addTraffic(table: Map<string, TrafficRow>, r: TrafficRow): void {
    const key = `${r.type}|${r.direction}`;
    const entry = table.get(key);
    if (entry) {
      entry.messages += r.messages;
      entry.bytes += r.bytes;
    } else {
      table.set(key, { type: r.type, direction: r.direction, messages: r.messages, bytes: r.bytes });
    }
  }

  /** Retired plus live traffic, sorted by type then direction. */
  private traffic(): TrafficRow[] {
    const all = new Map<string, TrafficRow>();
    for (const r of this.retired.values()) this.addTraffic(all, r);
    for (const p of this.overlay.peers()) for (const r of p.traffic.rows()) this.addTraffic(all, r);
    return [...all.values()].sort((a, b) => a.type.localeCompare(b.type) || a.direction.localeCompare(b.direction));
  }

  private registerTrafficFamilies(): void {
    const r = this.registry;
    const p = METRIC_PREFIX;
    r.register({
      name: `${p}peers`,
      help: 'Active peer connections by direction.',
      type: 'gauge',
      collect: () => {
        const count = { in: 0, out: 0 };
        for (const peer of this.overlay.peers()) count[peer.info.direction]++;
        return [
          { labels: { direction: 'in' }, value: count.in },
          { labels: { direction: 'out' }, value: count.out },
        ];
      },
    });
    r.register({
      name: `${p}messages_total`,
      help: 'Peer protocol messages by message type and direction, since start.',
      type: 'counter',
      collect: () => this.traffic().map((t) => ({ labels: { type: t.type, direction: t.direction }, value: t.messages })),
    });
    r.register({
      name: `${p}bytes_total`,
      help: 'Peer protocol bytes on the wire (frame headers included) by message type and direction, since start.',
      type: 'counter',
      collect: () => this.traffic().map((t) => ({ labels: { type: t.type, direction: t.direction }, value: t.bytes })),
    });
    const lr = this.overlay.ledgerRequests.counters;
    const byKind = (table: Record<LedgerInfoKind, number>, labels: Record<string, string> = {}) =>
      LEDGER_INFO_KINDS.map((kind) => ({ labels: { kind, ...labels }, value: table[kind] }));
    r.register({
      name: `${p}ledger_requests_total`,
      help: 'TMGetLedger requests from peers that this node could route, by ledger info kind and outcome: routed to a peer that has the ledger or set, unroutable (no peer has it), over_cap (too many in flight).',
      type: 'counter',
      collect: () => [...byKind(lr.routedRequests, { outcome: 'routed' }), ...byKind(lr.unroutable, { outcome: 'unroutable' }), ...byKind(lr.overCap, { outcome: 'over_cap' })],
    });
    r.register({
      name: `${p}ledger_replies_routed_total`,
      help: 'TMLedgerData replies passed back to the peer that asked, by ledger info kind.',
      type: 'counter',
      collect: () => byKind(lr.routedReplies),
    });
    r.register({
      name: `${p}ledger_replies_unroutable_total`,
      help: 'TMLedgerData replies dropped: their cookie named no request this node routed to their sender (answered, timed out, asker gone, or forged).',
      type: 'counter',
      collect: () => [{ value: lr.unknownCookie }],
    });
    if (this.overlay.validators) registerValidatorMetrics(r, this.overlay.validators);
    if (this.overlay.monitor) registerMonitorMetrics(r, this.overlay.monitor);
    registerTrafficMetrics(r, this.overlay.traffic);
  }
}
