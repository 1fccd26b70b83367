/**
 * Prometheus text exposition (format 0.0.4) for GET /metrics on the admin HTTP port. Counters are
 * cumulative over the node's life: what a peer did is added to a running total when it
 * disconnects, and live peers are summed in at scrape time. Other parts of the node register
 * their own families through `MetricsRegistry.register`.
 */
import { type LedgerInfoKind, LEDGER_INFO_KINDS } from '../overlay/ledger-requests.js';
import type { Overlay } from '../overlay/overlay.js';
import type { Peer } from '../peer/peer.js';
import { registerValidatorMetrics } from './validator-metrics.js';
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

export class MetricsRegistry {
  private readonly families = new Map<string, MetricFamily>();

  register(family: MetricFamily): void {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(family.name)) throw new Error(`bad metric name '${family.name}'`);
    if (this.families.has(family.name)) throw new Error(`metric '${family.name}' is already registered`);
    this.families.set(family.name, family);
  }

  render(): string {
    const lines: string[] = [];
    for (const f of this.families.values()) {
      lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
      lines.push(`# TYPE ${f.name} ${f.type}`);
      for (const s of f.collect()) lines.push(`${f.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
    }
    return lines.join('\n') + '\n';
  }
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatLabels(labels: Record<string, string> | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** A counter keyed by a label set, kept in insertion order. */
class LabelledCounter {
  private readonly values = new Map<string, { labels: Record<string, string>; value: number }>();

  add(labels: Record<string, string>, by = 1): void {
    const key = JSON.stringify(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }

  samples(): Sample[] {
    return [...this.values.values()].map((e) => ({ labels: e.labels, value: e.value }));
  }
}

/** The overlay's own metrics: peers, traffic, handshake failures, fixed peer reconnects, disconnects. */
export class OverlayMetrics {
  /** Traffic of peers that have gone, by `type|direction`. */
  private readonly retired = new Map<string, { type: string; direction: string; messages: number; bytes: number }>();
  private readonly handshakeFailures = new LabelledCounter();
  private readonly fixedReconnects = new LabelledCounter();
  private readonly detach: () => void;

  constructor(
    private readonly overlay: Overlay,
    readonly registry: MetricsRegistry = new MetricsRegistry(),
  ) {
    const onDisconnect = (peer: Peer) => {
      for (const r of peer.traffic.rows()) this.addTraffic(this.retired, r);
    };
    const onHandshakeFailed = (direction: 'in' | 'out', reason: string) => this.handshakeFailures.add({ direction, reason });
    const onFixedReconnect = (endpoint: string) => this.fixedReconnects.add({ endpoint });
    overlay.on('peerDisconnected', onDisconnect);
    overlay.on('handshakeFailed', onHandshakeFailed);
    overlay.on('fixedReconnect', onFixedReconnect);
    this.detach = () => {
      overlay.off('peerDisconnected', onDisconnect);
      overlay.off('handshakeFailed', onHandshakeFailed);
      overlay.off('fixedReconnect', onFixedReconnect);
    };
    this.registerFamilies();
  }

  close(): void {
    this.detach();
  }

  private addTraffic(
    table: Map<string, { type: string; direction: string; messages: number; bytes: number }>,
    r: { type: string; direction: string; messages: number; bytes: number },
  ): void {
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
  private traffic(): { type: string; direction: string; messages: number; bytes: number }[] {
    const all = new Map<string, { type: string; direction: string; messages: number; bytes: number }>();
    for (const r of this.retired.values()) this.addTraffic(all, r);
    for (const p of this.overlay.peers()) for (const r of p.traffic.rows()) this.addTraffic(all, r);
    return [...all.values()].sort((a, b) => a.type.localeCompare(b.type) || a.direction.localeCompare(b.direction));
  }

  private registerFamilies(): void {
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
    r.register({
      name: `${p}handshake_failures_total`,
      help: 'Peer handshakes that failed or were refused, by direction and reason.',
      type: 'counter',
      collect: () => this.handshakeFailures.samples(),
    });
    r.register({
      name: `${p}fixed_peer_reconnects_total`,
      help: 'Times a connection to an [ips_fixed] peer was lost and redialled, by configured endpoint.',
      type: 'counter',
      collect: () => this.fixedReconnects.samples(),
    });
    r.register({
      name: `${p}peer_disconnects_total`,
      help: 'Peer connections closed since start.',
      type: 'counter',
      collect: () => [{ value: this.overlay.disconnects.total }],
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
    r.register({
      name: `${p}uptime_seconds`,
      help: 'Seconds since the node started.',
      type: 'gauge',
      collect: () => [{ value: this.overlay.uptimeSeconds() }],
    });
    if (this.overlay.opts.validators) registerValidatorMetrics(r, this.overlay.opts.validators);
    registerTrafficMetrics(r, this.overlay.traffic);
  }
}
