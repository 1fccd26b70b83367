/**
 * Transaction reduce-relay (rippled's OverlayImpl::relay for transactions, and PeerImp's tx queue,
 * TMHaveTransactions, TMGetObjectByHash otTRANSACTIONS and TMTransactions handling). With
 * `[reduce_relay] tx_enable`, a new transaction goes whole to every peer without txrr and to a share
 * of the txrr peers; the other txrr peers get only its hash, batched in a TMHaveTransactions, and
 * ask for what they lack. We keep the transactions we relayed for a while to answer those requests.
 */
import { createHash } from 'node:crypto';
import type { TMGetObjectByHash, TMHaveTransactions, TMTransaction, TMTransactions } from '../protocol/messages.js';
import { Charge, type ChargeKind } from '../resource/resource.js';
import { TxMetrics } from './tx-metrics.js';

/** rippled's MAX_TX_QUEUE_SIZE: hashes queued for a peer before they are sent at once, and most asked for. */
export const MAX_TX_QUEUE_SIZE = 10_000;
/** TMGetObjectByHash ObjectType otTRANSACTIONS. */
export const OT_TRANSACTIONS = 7;
/** TransactionStatus tsNEW: we never hold a ledger, so no transaction of ours is "included". */
const TS_NEW = 1;
const RIPPLE_EPOCH_S = 946_684_800;

export interface TxRelayOptions {
  /** [reduce_relay] tx_enable: offer txrr and relay to a share of the txrr peers. */
  enabled: boolean;
  /** [reduce_relay] tx_metrics: keep TxMetrics (also kept when enabled, as rippled does for relays). */
  metrics: boolean;
  /** [reduce_relay] tx_min_peers (rippled: 20). */
  minPeers: number;
  /** [reduce_relay] tx_relay_percentage (rippled: 25). */
  relayPercentage: number;
  /** Transactions kept to answer requests: count, age (rippled's TransactionMaster cache: 65536, 30 min) and bytes (ours). */
  cache: { size: number; ageMs: number; bytes: number };
  now?: () => number;
  /** Shuffles in place (rippled: std::shuffle); tests pass a fixed order. */
  shuffle?: <T>(items: T[]) => void;
}

export interface TxPeer {
  id: number;
  info: { features: { txReduceRelay: boolean } };
}

/** Whom a new transaction goes to: the others with txrr get its hash queued. */
export interface TxRelayPlan {
  send: Set<number>;
  queued: number[];
  /** Queues that were full: to send now, before the new hash (rippled's addTxQueue). */
  flushes: { peerId: number; message: TMHaveTransactions }[];
}

export type TxReceipt = { charge: ChargeKind; reason: string } | { charge?: undefined };

interface Cached {
  raw: Buffer;
  at: number;
}

/** Recent arrivals remembered (a transaction is checked within milliseconds; this is seconds of traffic). */
const ARRIVED_MAX = 4096;

export class TxReduceRelay {
  readonly metrics: TxMetrics;
  private readonly queues = new Map<number, Set<string>>();
  private readonly cache = new Map<string, Cached>();
  /**
   * Hashes of transactions that came lately, most recent last: one still having its signature checked
   * (off the event loop) is not in the cache yet, and must not be asked for again when announced.
   */
  private readonly arrived = new Set<string>();
  private cacheBytes = 0;
  private readonly now: () => number;

  constructor(private readonly opts: TxRelayOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.metrics = new TxMetrics(this.now);
  }

  get enabled(): boolean {
    return this.opts.enabled;
  }

  get metricsOn(): boolean {
    return this.opts.enabled || this.opts.metrics;
  }

  /**
   * A transaction about to be relayed from a peer; `skip` holds the peers that sent it (the sender
   * included). Returns the peers it goes to whole, as rippled decides; the hash is queued for the rest.
   */
  plan(raw: Buffer, peers: readonly TxPeer[], skip: ReadonlySet<number>): TxRelayPlan {
    const total = peers.length;
    let disabled = 0;
    let enabledInSkip = 0;
    const candidates: TxPeer[] = [];
    for (const p of peers) {
      const txrr = p.info.features.txReduceRelay;
      if (!txrr) disabled++;
      if (!skip.has(p.id)) candidates.push(p);
      else if (txrr) enabledInSkip++;
    }
    const hash = this.opts.enabled ? transactionId(raw) : '';
    // Kept whether or not anyone gets only its hash: a peer may announce it to us later.
    if (this.opts.enabled) this.remember(hash, raw);
    const minRelay = this.opts.minPeers + disabled;
    if (!this.opts.enabled || total <= minRelay) {
      if (this.metricsOn) this.metrics.addRelay(total, skip.size, 0);
      return { send: new Set(candidates.map((p) => p.id)), queued: [], flushes: [] };
    }
    const target = this.opts.minPeers + Math.floor(((total - minRelay) * this.opts.relayPercentage) / 100);
    this.metrics.addRelay(target, skip.size, disabled);
    if (target > enabledInSkip) (this.opts.shuffle ?? shuffle)(candidates);
    let relayed = enabledInSkip;
    const send = new Set<number>();
    const queued: number[] = [];
    const flushes: TxRelayPlan['flushes'] = [];
    for (const p of candidates) {
      if (!p.info.features.txReduceRelay) send.add(p.id);
      else if (relayed < target) {
        relayed++;
        send.add(p.id);
      } else {
        const full = this.queue(p.id, hash);
        if (full) flushes.push({ peerId: p.id, message: full });
        queued.push(p.id);
      }
    }
    return { send, queued, flushes };
  }

  /** A transaction came from this peer: its hash need not be announced to it. */
  onTransactionFrom(peerId: number, raw: Buffer): void {
    if (!this.opts.enabled) return;
    const hash = transactionId(raw);
    this.queues.get(peerId)?.delete(hash);
    this.arrived.delete(hash);
    this.arrived.add(hash);
    if (this.arrived.size > ARRIVED_MAX) this.arrived.delete(this.arrived.values().next().value!);
  }

  /** The queued hashes, peer by peer, emptied (rippled's sendTxQueue, every overlay tick). */
  drainQueues(): { peerId: number; message: TMHaveTransactions }[] {
    const out: { peerId: number; message: TMHaveTransactions }[] = [];
    for (const [peerId, q] of this.queues) {
      if (q.size) out.push({ peerId, message: { hashes: [...q].map((h) => Buffer.from(h, 'hex')) } });
    }
    this.queues.clear();
    this.expireCache();
    return out;
  }

  onPeerClosed(id: number): void {
    this.queues.delete(id);
  }

  /** TMHaveTransactions: the hashes we lack, to ask for; or a charge. */
  onHaveTransactions(peer: TxPeer, m: TMHaveTransactions): TxReceipt & { request?: TMGetObjectByHash } {
    if (!peer.info.features.txReduceRelay) return { charge: Charge.malformed, reason: 'have_transactions: tx reduce-relay is disabled' };
    const objects: { hash: Buffer }[] = [];
    for (const h of m.hashes) {
      if (h.length !== 32) return { charge: Charge.malformed, reason: 'have_transactions: hash size' };
      const hex = h.toString('hex');
      if (this.cache.has(hex) || this.arrived.has(hex)) this.queues.get(peer.id)?.delete(hex);
      else objects.push({ hash: Buffer.from(h) });
    }
    return objects.length ? { request: { type: OT_TRANSACTIONS, query: true, objects } } : {};
  }

  /** TMGetObjectByHash otTRANSACTIONS: the transactions asked for, all or nothing, as rippled answers. */
  onGetTransactions(peer: TxPeer, m: TMGetObjectByHash): TxReceipt & { reply?: TMTransactions } {
    if (!peer.info.features.txReduceRelay) return { charge: Charge.malformed, reason: 'get_objects: tx reduce-relay is disabled' };
    if (m.objects.length > MAX_TX_QUEUE_SIZE) return { charge: Charge.malformed, reason: 'get_objects: too big' };
    const transactions: TMTransaction[] = [];
    // A number: protobufjs encodes a uint64 from a number or a Long, and throws on a BigInt.
    const netNow = Math.floor(Date.now() / 1000) - RIPPLE_EPOCH_S;
    for (const o of m.objects) {
      if (o.hash?.length !== 32) return { charge: Charge.malformed, reason: 'get_objects: hash size' };
      const tx = this.cache.get(o.hash.toString('hex'));
      if (!tx) return { charge: Charge.malformed, reason: 'get_objects: tx not found' };
      transactions.push({ rawTransaction: tx.raw, status: TS_NEW, receiveTimestamp: netNow, deferred: false });
    }
    return transactions.length ? { reply: { transactions } } : {};
  }

  /** TMTransactions: the transactions to handle as if each came alone; or a charge. */
  onTransactions(peer: TxPeer, m: TMTransactions): TxReceipt & { transactions?: TMTransaction[] } {
    if (!peer.info.features.txReduceRelay) return { charge: Charge.malformed, reason: 'transactions: tx reduce-relay is disabled' };
    if (this.metricsOn) this.metrics.addMissing(m.transactions.length);
    return { transactions: m.transactions };
  }

  get cachedCount(): number {
    return this.cache.size;
  }

  /** Queue a hash for a peer; a queue already at MAX_TX_QUEUE_SIZE is returned to be sent first. */
  private queue(peerId: number, hash: string): TMHaveTransactions | undefined {
    let q = this.queues.get(peerId);
    let full: TMHaveTransactions | undefined;
    if (q && q.size >= MAX_TX_QUEUE_SIZE) {
      full = { hashes: [...q].map((h) => Buffer.from(h, 'hex')) };
      q = undefined;
    }
    if (!q) this.queues.set(peerId, (q = new Set()));
    q.add(hash);
    return full;
  }

  private remember(hash: string, raw: Buffer): void {
    const old = this.cache.get(hash);
    if (old) {
      this.cache.delete(hash);
      this.cacheBytes -= old.raw.length;
    }
    const copy = Buffer.from(raw); // not a view that would pin the whole received frame
    this.cache.set(hash, { raw: copy, at: this.now() });
    this.cacheBytes += copy.length;
    const { size, bytes } = this.opts.cache;
    for (const [k, v] of this.cache) {
      if (this.cache.size <= size && this.cacheBytes <= bytes) break;
      this.cache.delete(k);
      this.cacheBytes -= v.raw.length;
    }
  }

  private expireCache(): void {
    const cutoff = this.now() - this.opts.cache.ageMs;
    for (const [k, v] of this.cache) {
      if (v.at >= cutoff) break;
      this.cache.delete(k);
      this.cacheBytes -= v.raw.length;
    }
  }
}

/** A transaction's ID: SHA-512Half of 'TXN\0' and its bytes. */
export function transactionId(raw: Uint8Array): string {
  return createHash('sha512').update(Buffer.from([0x54, 0x58, 0x4e, 0x00])).update(raw).digest().subarray(0, 32).toString('hex');
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
