/**
 * The rules behind ledger-request routing and tracking, without sockets: rippled's checks of
 * TMGetLedger and TMLedgerData, SHAMap node ids, checkTracking and the "Not useful" timing on a
 * manual clock, and which ledger we announce.
 */
import { describe, expect, it } from 'vitest';
import { isNewAnnouncement, lowerMedian } from '../src/relay/ledger-announce.js';
import { checkGetLedger, checkLedgerData, HARD_MAX_REPLY_NODES, isShaMapNodeId, LedgerRequests } from '../src/relay/ledger-requests.js';
import { PeerTracking, RecentHashes } from '../src/relay/ledger-tracking.js';
import type { Peer, PeerLedgerStatus } from '../src/peer/peer.js';
import { decodeMessage, type PeerMessage } from '../src/protocol/codec.js';
import { MessageType } from '../src/protocol/message-types.js';
import { NodeEvent, type TMGetLedger, type TMLedgerData } from '../src/protocol/messages.js';
import { frameVectors, payloadOf } from './support/vectors.js';

/** Plain objects: a field not written is absent, as hasField sees a decoded message (out-of-range enums cannot be encoded by us). */
const getLedger = (m: TMGetLedger): TMGetLedger => m;
const ledgerData = (m: TMLedgerData): TMLedgerData => m;
const H = Buffer.alloc(32, 7);
const ROOT = Buffer.alloc(33);

describe('TMGetLedger checks (PeerImp::onMessage)', () => {
  it('passes every get_ledger rippled 3.1.2 sent', () => {
    const all = frameVectors().filter((v) => v.type === MessageType.GET_LEDGER);
    expect(all.length).toBe(17);
    for (const v of all) expect(checkGetLedger(decodeMessage(v.type, payloadOf(v)).message as TMGetLedger, 200)).toBeUndefined();
  });

  it("refuses what rippled refuses, with rippled's reasons", () => {
    const cases: [TMGetLedger, string][] = [
      [{ itype: 4, ledgerHash: H, nodeIDs: [] }, 'Invalid ledger info type'],
      [{ itype: 3, nodeIDs: [ROOT] }, 'Invalid TX candidate set, missing TX set hash'],
      [{ itype: 0, nodeIDs: [] }, 'Invalid request'],
      [{ itype: 0, ltype: 3, ledgerSeq: 5, nodeIDs: [] }, 'Invalid ledger type'],
      [{ itype: 0, ledgerHash: Buffer.alloc(31), nodeIDs: [] }, 'Invalid ledger hash'],
      [{ itype: 0, ledgerSeq: 111, nodeIDs: [] }, 'Invalid ledger sequence 111'],
      [{ itype: 1, ledgerHash: H, nodeIDs: [] }, 'Invalid ledger node IDs'],
      [{ itype: 2, ledgerHash: H, nodeIDs: [Buffer.concat([Buffer.from([0x10]), Buffer.alloc(31), Buffer.from([0])])] }, 'Invalid SHAMap node ID'],
      [{ itype: 0, ledgerHash: H, nodeIDs: [], queryType: 1 }, 'Invalid query type'],
      [{ itype: 1, ledgerHash: H, nodeIDs: [ROOT], queryDepth: 4 }, 'Invalid query depth'],
      [{ itype: 0, ledgerHash: H, nodeIDs: [], queryDepth: 1 }, 'Invalid query depth'],
    ];
    for (const [m, why] of cases) expect(checkGetLedger(getLedger(m), 110)).toBe(why);
    // ltCLOSED alone is a request; a far sequence is fine when our ledger is old (no limit).
    expect(checkGetLedger(getLedger({ itype: 0, ltype: 2, nodeIDs: [] }), 110)).toBeUndefined();
    expect(checkGetLedger(getLedger({ itype: 0, ledgerSeq: 111, nodeIDs: [] }), undefined)).toBeUndefined();
  });

  it('reads SHAMap node ids as rippled: 33 bytes, depth ≤ 64, nothing below the depth', () => {
    const id = (hex: string, depth: number) => Buffer.concat([Buffer.from(hex.padEnd(64, '0'), 'hex'), Buffer.from([depth])]);
    expect(isShaMapNodeId(ROOT)).toBe(true);
    expect(isShaMapNodeId(id('8', 1))).toBe(true);
    expect(isShaMapNodeId(id('08', 1))).toBe(false);
    expect(isShaMapNodeId(id('18', 2))).toBe(true);
    expect(isShaMapNodeId(id('ff'.repeat(32), 64))).toBe(true);
    expect(isShaMapNodeId(id('', 65))).toBe(false);
    expect(isShaMapNodeId(Buffer.alloc(32))).toBe(false);
  });
});

describe('TMLedgerData checks', () => {
  const node = { nodedata: Buffer.from('00', 'hex') };
  it('passes every ledger_data rippled 3.1.2 sent, and refuses what rippled refuses', () => {
    for (const v of frameVectors().filter((x) => x.type === MessageType.LEDGER_DATA)) {
      expect(checkLedgerData(decodeMessage(v.type, payloadOf(v)).message as TMLedgerData, 126)).toBeUndefined();
    }
    const cases: [TMLedgerData, string][] = [
      [{ ledgerHash: Buffer.alloc(31), ledgerSeq: 5, type: 0, nodes: [node] }, 'Invalid ledger hash'],
      [{ ledgerHash: H, ledgerSeq: 5, type: 3, nodes: [node] }, 'Invalid ledger sequence 5'],
      [{ ledgerHash: H, ledgerSeq: 200, type: 0, nodes: [node] }, 'Invalid ledger sequence 200'],
      [{ ledgerHash: H, ledgerSeq: 5, type: 4, nodes: [node] }, 'Invalid ledger info type'],
      [{ ledgerHash: H, ledgerSeq: 5, type: 0, nodes: [node], error: 4 }, 'Invalid reply error'],
      [{ ledgerHash: H, ledgerSeq: 5, type: 0, nodes: [] }, 'Invalid Ledger/TXset nodes 0'],
      [{ ledgerHash: H, ledgerSeq: 5, type: 0, nodes: Array(HARD_MAX_REPLY_NODES + 1).fill(node) }, `Invalid Ledger/TXset nodes ${HARD_MAX_REPLY_NODES + 1}`],
    ];
    for (const [m, why] of cases) expect(checkLedgerData(ledgerData(m), 126)).toBe(why);
    expect(checkLedgerData(ledgerData({ ledgerHash: H, ledgerSeq: 5, type: 0, nodes: Array(HARD_MAX_REPLY_NODES).fill(node), error: 1 }), 126)).toBeUndefined();
  });
});

describe('tracking (PeerImp::checkTracking) and "Not useful" (PeerImp::onTimer), on a manual clock', () => {
  const limits = { maxUnknownTimeMs: 600_000, maxDivergedTimeMs: 300_000 };
  it('converges within 24, diverges beyond 128, and stays converged in between', () => {
    const t = new PeerTracking(0);
    t.check(1000, 1024, 1);
    expect(t.state).toBe('unknown');
    t.check(1000, 1023, 2);
    expect(t.state).toBe('converged');
    t.check(1000, 1128, 3);
    expect(t.state).toBe('converged');
    t.check(1000, 1129, 4);
    expect([t.state, t.since]).toEqual(['diverged', 4]);
    t.check(1000, 1200, 9);
    expect(t.since).toBe(4); // still diverged: the clock is not restarted
  });

  it('drops an outbound peer unknown past max_unknown_time or diverged past max_diverged_time, never an inbound or converged one', () => {
    const t = new PeerTracking(1000);
    expect(t.notUseful(true, 601_000, limits)).toBe(false);
    expect(t.notUseful(true, 601_001, limits)).toBe(true);
    expect(t.notUseful(false, 10_000_000, limits)).toBe(false);
    t.check(5, 500, 50_000);
    expect(t.notUseful(true, 350_000, limits)).toBe(false);
    expect(t.notUseful(true, 350_001, limits)).toBe(true);
    t.check(499, 500, 350_002);
    expect(t.notUseful(true, 10_000_000, limits)).toBe(false);
  });

  it('keeps the 128 most recent hashes', () => {
    const r = new RecentHashes();
    const h = (i: number) => Buffer.from(i.toString(16).padStart(64, '0'), 'hex');
    for (let i = 0; i < 130; i++) expect(r.add(h(i))).toBe(true);
    expect(r.add(h(129))).toBe(false);
    expect([r.has(h(0)), r.has(h(1)), r.has(h(2)), r.has(h(129))]).toEqual([false, false, true, true]);
  });
});

describe('the ledger we announce', () => {
  const s = (seq: number) => ({ event: NodeEvent.ACCEPTED_LEDGER, ledgerSeq: seq, ledgerHash: H, updatedAt: 0 });
  it('is one most peers have reached, each sequence once', () => {
    expect(lowerMedian([5, 1, 9, 7])).toBe(5);
    expect(isNewAnnouncement(s(10), 9, [10, 9, 9])).toBe(false); // one peer ahead
    expect(isNewAnnouncement(s(10), 9, [10, 10, 9])).toBe(true); // the second tips it
    expect(isNewAnnouncement(s(10), 10, [10, 10, 10])).toBe(false); // the third: already announced
    expect(isNewAnnouncement(s(5000), 10, [10, 10, 5000])).toBe(false); // far off
    expect(isNewAnnouncement({ ...s(10), event: NodeEvent.CLOSING_LEDGER }, 9, [10, 10])).toBe(false);
  });
});

describe('choosing the peer (getPeerWithLedger, PeerImp::getScore), without sockets', () => {
  /** Just what LedgerRequests reads of a Peer. */
  function fakePeer(id: number, latencyMs: number | undefined) {
    const sent: { name: string; message: any }[] = [];
    const peer = {
      id,
      info: { n9: `n9peer${id}`, direction: 'in' as const, features: { ledgerReplay: false } },
      latencyMs,
      ledger: { updatedAt: 0 } as PeerLedgerStatus,
      closed: false,
      connectedAt: 0,
      sendQueueLength: 0,
      charges: [] as number[],
      send: (name: string, message: unknown) => sent.push({ name, message }),
      charge(kind: { cost: number }) {
        this.charges.push(kind.cost);
        return true;
      },
    };
    return { peer: peer as unknown as Peer, sent, charges: peer.charges };
  }
  const silent = { debug() {}, info() {}, warn() {} };
  const status = (hash: Buffer) => ({ event: NodeEvent.ACCEPTED_LEDGER, ledgerSeq: 10, ledgerHash: hash, updatedAt: 0 });
  const request = (hash: Buffer): PeerMessage => ({ name: 'GET_LEDGER', type: MessageType.GET_LEDGER, message: { itype: 0, ledgerHash: hash, nodeIDs: [], queryType: 0 } });

  it('takes the best score among the peers that have the ledger: the random part, less 30 a millisecond, less 8000 unmeasured; never the asker', () => {
    const asker = fakePeer(1, 1);
    const fast = fakePeer(2, 10);
    const slow = fakePeer(3, 200);
    const unmeasured = fakePeer(4, undefined);
    const none = fakePeer(5, 1);
    const peers = [asker, fast, slow, unmeasured, none];
    let r = 0.5;
    const lr = new LedgerRequests({ peers: () => peers.map((p) => p.peer), ourLedger: () => undefined, limits: { perPeer: 10, total: 10, timeoutMs: 1000, maxUnknownTimeMs: 1, maxDivergedTimeMs: 1 }, log: silent, random: () => r });
    for (const p of [asker, fast, slow, unmeasured]) lr.onStatus(p.peer, status(H));
    lr.onMessage(asker.peer, request(H));
    expect([fast.sent.length, slow.sent.length, unmeasured.sent.length, none.sent.length, asker.sent.length]).toEqual([1, 0, 0, 0, 0]);
    expect(fast.sent[0]!.message.requestCookie).toBe(1);
    // 200 ms costs 6000, unmeasured 8000: with equal random parts the 200 ms peer wins over the unmeasured one.
    fast.peer.closed = true;
    lr.onMessage(asker.peer, request(H));
    expect([slow.sent.length, unmeasured.sent.length]).toEqual([1, 0]);
    // The random part (0–9999) can outweigh latency: give each pick its own draw.
    const draws = [0, 0.99];
    r = 0;
    const lr2 = new LedgerRequests({ peers: () => [asker, slow, unmeasured].map((p) => p.peer), ourLedger: () => undefined, limits: { perPeer: 10, total: 10, timeoutMs: 1000, maxUnknownTimeMs: 1, maxDivergedTimeMs: 1 }, log: silent, random: () => draws.shift() ?? 0 });
    for (const p of [slow, unmeasured]) lr2.onStatus(p.peer, status(H));
    lr2.onMessage(asker.peer, request(H));
    // slow drew 0 (score 10000 − 6000), unmeasured 9900 (19900 − 8000): unmeasured gets it, slow keeps its one earlier request.
    expect([slow.sent.length, unmeasured.sent.length]).toEqual([1, 1]);
    // A ledger nobody announced goes nowhere and is counted.
    lr.onMessage(asker.peer, request(Buffer.alloc(32, 9)));
    expect(lr.counters.unroutable.base).toBe(1);
    // Each of its four requests without a cookie cost the asker rippled's 250.
    expect(asker.charges).toEqual([250, 250, 250, 250]);
  });
});
