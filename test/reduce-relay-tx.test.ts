/**
 * Transaction reduce-relay decisions (rippled OverlayImpl::relay for transactions, PeerImp's tx queue
 * and its TMHaveTransactions / TMGetObjectByHash / TMTransactions handling), and TxMetrics, on
 * an injected clock and a fixed peer order.
 */
import { describe, expect, it } from 'vitest';
import { MAX_TX_QUEUE_SIZE, OT_TRANSACTIONS, transactionId, TxReduceRelay, type TxPeer } from '../src/reduce-relay/tx-relay.js';
import { TxMetrics } from '../src/reduce-relay/tx-metrics.js';
import { decodeMessage, encodeMessage } from '../src/protocol/codec.js';
import { MessageType } from '../src/protocol/message-types.js';

const peers = (txrr: number, plain = 0): TxPeer[] => [
  ...Array.from({ length: txrr }, (_, i) => ({ id: i + 1, info: { features: { txReduceRelay: true } } })),
  ...Array.from({ length: plain }, (_, i) => ({ id: 100 + i, info: { features: { txReduceRelay: false } } })),
];

function relay(o: Partial<{ enabled: boolean; minPeers: number; pct: number; now: () => number }> = {}) {
  return new TxReduceRelay({
    enabled: o.enabled ?? true,
    metrics: false,
    minPeers: o.minPeers ?? 10,
    relayPercentage: o.pct ?? 25,
    cache: { size: 100, ageMs: 60_000, bytes: 1 << 20 },
    now: o.now,
    shuffle: () => {}, // keep the order: which peers get it is then predictable
  });
}

const TX = Buffer.from('12000022800000002400000001', 'hex');

describe('transaction reduce-relay plan (rippled OverlayImpl::relay)', () => {
  it('relays to every peer when there are no more than tx_min_peers + peers without txrr', () => {
    const r = relay();
    const plan = r.plan(TX, peers(8, 2), new Set([1]));
    expect(plan.send.size).toBe(9);
    expect(plan.queued).toEqual([]);
  });

  it('above the minimum: every peer without txrr, and min + (total − min − disabled) × pct / 100 txrr peers counting those that sent it', () => {
    const r = relay({ minPeers: 10, pct: 25 });
    // 30 txrr + 2 plain = 32 peers; minRelay 12; target 10 + floor(20 × 25 / 100) = 15, of which peer 1 (sender) counts.
    const plan = r.plan(TX, peers(30, 2), new Set([1]));
    expect([...plan.send].filter((id) => id >= 100).sort()).toEqual([100, 101]);
    const txrrSent = [...plan.send].filter((id) => id < 100);
    expect(txrrSent).toHaveLength(14);
    expect(plan.queued).toHaveLength(30 - 1 - 14);
    for (const id of plan.queued) expect(plan.send.has(id)).toBe(false);
  });

  it('off: everyone, nothing queued, nothing kept', () => {
    const r = relay({ enabled: false });
    const plan = r.plan(TX, peers(30), new Set([1]));
    expect(plan.send.size).toBe(29);
    expect(r.cachedCount).toBe(0);
    expect(r.drainQueues()).toEqual([]);
  });

  it('queued hashes go out once per tick as one TMHaveTransactions per peer, the transaction ID as rippled computes it', () => {
    const r = relay();
    const plan = r.plan(TX, peers(30), new Set([1]));
    const out = r.drainQueues();
    expect(out.map((o) => o.peerId).sort((a, b) => a - b)).toEqual([...plan.queued].sort((a, b) => a - b));
    const id = transactionId(TX);
    // 'TXN\0' prefix, SHA-512 first half.
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    for (const o of out) expect(o.message.hashes.map((h) => h.toString('hex'))).toEqual([id]);
    expect(r.drainQueues()).toEqual([]);
  });

  it('a transaction sent to us by a peer takes its hash out of that peer\'s queue', () => {
    const r = relay();
    const plan = r.plan(TX, peers(30), new Set([1]));
    const target = plan.queued[0]!;
    r.onTransactionFrom(target, TX);
    expect(r.drainQueues().map((o) => o.peerId)).not.toContain(target);
  });

  it('a full queue (10000) is sent before the next hash is added', () => {
    const r = relay();
    const ps = peers(30);
    let flushed: number | undefined;
    for (let i = 0; i <= MAX_TX_QUEUE_SIZE && flushed === undefined; i++) {
      const tx = Buffer.concat([TX, Buffer.from(String(i))]);
      const p = r.plan(tx, ps, new Set([1]));
      if (p.flushes.length) flushed = p.flushes[0]!.message.hashes.length;
    }
    expect(flushed).toBe(MAX_TX_QUEUE_SIZE);
  });

  it('TMHaveTransactions: asks for the unknown, forgets the known; a bad hash or no txrr is charged', () => {
    const r = relay();
    r.plan(TX, peers(30), new Set([1]));
    const unknown = Buffer.alloc(32, 7);
    const res = r.onHaveTransactions(peers(1)[0]!, { hashes: [Buffer.from(transactionId(TX), 'hex'), unknown] });
    expect(res.request).toEqual({ type: OT_TRANSACTIONS, query: true, objects: [{ hash: unknown }] });
    expect(r.onHaveTransactions(peers(1)[0]!, { hashes: [Buffer.alloc(31)] })).toMatchObject({ charge: { cost: 200 }, reason: 'have_transactions: hash size' });
    expect(r.onHaveTransactions(peers(0, 1)[0]!, { hashes: [] })).toMatchObject({ charge: { cost: 200 } });
  });

  it('a request for transactions is answered with all of them, or charged (tx not found, too many) with no answer', () => {
    const r = relay();
    r.plan(TX, peers(30), new Set([1]));
    const p = peers(1)[0]!;
    const ok = r.onGetTransactions(p, { type: OT_TRANSACTIONS, query: true, objects: [{ hash: Buffer.from(transactionId(TX), 'hex') }] });
    expect(ok.reply!.transactions).toHaveLength(1);
    expect(ok.reply!.transactions[0]!.rawTransaction.equals(TX)).toBe(true);
    expect(ok.reply!.transactions[0]!.status).toBe(1);
    // The answer goes on the wire: it must encode (a BigInt receiveTimestamp made protobufjs throw).
    const sent = decodeMessage(MessageType.TRANSACTIONS, encodeMessage('TRANSACTIONS', ok.reply!));
    expect(sent.name === 'TRANSACTIONS' && sent.message.transactions[0]!.rawTransaction.equals(TX)).toBe(true);
    const missing = r.onGetTransactions(p, { type: OT_TRANSACTIONS, query: true, objects: [{ hash: Buffer.from(transactionId(TX), 'hex') }, { hash: Buffer.alloc(32) }] });
    expect(missing).toMatchObject({ charge: { cost: 200 }, reason: 'get_objects: tx not found' });
    expect(missing.reply).toBeUndefined();
    const many = r.onGetTransactions(p, { type: OT_TRANSACTIONS, query: true, objects: Array.from({ length: MAX_TX_QUEUE_SIZE + 1 }, () => ({ hash: Buffer.alloc(32) })) });
    expect(many).toMatchObject({ reason: 'get_objects: too big' });
  });

  it('kept transactions expire after tx_cache_age and are bounded by count', () => {
    let t = 0;
    const r = relay({ now: () => t });
    r.plan(TX, peers(30), new Set([1]));
    expect(r.cachedCount).toBe(1);
    t = 60_001;
    r.drainQueues();
    expect(r.cachedCount).toBe(0);
    for (let i = 0; i < 150; i++) r.plan(Buffer.concat([TX, Buffer.from(String(i))]), peers(2), new Set());
    expect(r.cachedCount).toBe(100);
  });
});

describe('TxMetrics (rippled TxMetrics::json)', () => {
  it('all fourteen values start at "0"', () => {
    expect(new TxMetrics(() => 0).json()).toEqual({
      txr_tx_cnt: '0', txr_tx_sz: '0', txr_have_txs_cnt: '0', txr_have_txs_sz: '0', txr_get_ledger_cnt: '0', txr_get_ledger_sz: '0',
      txr_ledger_data_cnt: '0', txr_ledger_data_sz: '0', txr_transactions_cnt: '0', txr_transactions_sz: '0',
      txr_selected_cnt: '0', txr_suppressed_cnt: '0', txr_not_enabled_cnt: '0', txr_missing_tx_freq: '0',
    });
  });

  it('rolls per-second averages over 30 intervals', () => {
    let t = 0;
    const m = new TxMetrics(() => t);
    // 60 transactions of 300 bytes within the first second, then one more after it closes the interval.
    for (let i = 0; i < 60; i++) m.addMessage('TRANSACTION', 300);
    t = 1000;
    m.addMessage('TRANSACTION', 300);
    // Interval average 61/s and 18300 B/s, averaged with 29 zeros.
    expect(m.json().txr_tx_cnt).toBe(String(Math.floor(61 / 30)));
    expect(m.json().txr_tx_sz).toBe(String(Math.floor(18300 / 30)));
    // Per-sample averages for peers: 15 and 16 in one interval average 15; a second interval of 15.
    m.addRelay(15, 1, 2); // at 1000 ms: closes the first interval (one sample: 15)
    t = 1500;
    m.addRelay(16, 1, 2);
    t = 2000;
    m.addRelay(14, 1, 2); // closes the second: (16 + 14) / 2 = 15
    expect(m.json().txr_selected_cnt).toBe(String(Math.floor((15 + 15) / 30)));
    expect(m.json().txr_not_enabled_cnt).toBe(String(Math.floor((2 + 2) / 30)));
  });
});
