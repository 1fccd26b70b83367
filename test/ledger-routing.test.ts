/**
 * Ledger and transaction-set requests routed through a node that holds no ledgers, on real sockets,
 * with the get_ledger and ledger_data frames rippled 3.1.2 sent in the recorded network; and the
 * status this node sends, judged as rippled's PeerImp::checkTracking judges it.
 * Addresses: 127.0.108.0/24 only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OverlayMetrics } from '../src/admin/metrics.js';
import type { Daemon } from '../src/daemon.js';
import { makeSelfSignedCertificate } from '../src/identity/certificate.js';
import { NodeIdentity } from '../src/identity/node-key.js';
import { dialPeer, type LocalNode } from '../src/connect/handshake-io.js';
import { Peer } from '../src/peer/peer.js';
import { decodeMessage, encodeMessage, hasField, type PeerMessage } from '../src/protocol/codec.js';
import { NO_FEATURES } from '../src/protocol/handshake.js';
import { MessageType } from '../src/protocol/message-types.js';
import { NodeEvent, type TMGetLedger, type TMLedgerData, toNumber } from '../src/protocol/messages.js';
import { type IndieServer, listenIndependent } from './support/independent-peer.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';
import { frameVectors, payloadOf } from './support/vectors.js';

const NET = '127.0.108';
const tls = makeSelfSignedCertificate();
const open: Peer[] = [];

afterEach(async () => {
  for (const p of open.splice(0)) p.close({ reason: 'shutdown' });
  await stopAllNodes();
});

function recorded(filter: (m: PeerMessage, v: ReturnType<typeof frameVectors>[number]) => boolean): PeerMessage[] {
  return frameVectors()
    .map((v) => ({ v, m: decodeMessage(v.type, payloadOf(v)) }))
    .filter(({ v, m }) => filter(m, v))
    .map(({ m }) => m);
}

/** rippled's liBASE request for ledger 116 with queryType qtINDIRECT (capture H), and its answer (capture J). */
function ledger116(): { request: TMGetLedger; reply: TMLedgerData } {
  const [request] = recorded((m, v) => v.capture === 'H' && m.name === 'GET_LEDGER' && hasField(m.message, 'queryType'));
  const [reply] = recorded((m, v) => v.capture === 'J' && m.name === 'LEDGER_DATA' && m.message.type === 0);
  if (request?.name !== 'GET_LEDGER' || reply?.name !== 'LEDGER_DATA') throw new Error('recorded frames missing');
  return { request: request.message, reply: reply.message };
}

const HASH_116 = Buffer.from('B46120A58CA8CC7DFD51D8E387D5EC4278B35F748CB747241F81348074AB748C', 'hex');

/** A peer written for the test: it dials, answers pings, records what it gets, sends what it is told. */
class TestPeer {
  readonly got: PeerMessage[] = [];
  /** rippled's tracking of the node, from the statuses it sends, against this peer's own ledger. */
  tracking: 'unknown' | 'converged' | 'diverged' = 'unknown';
  ownSeq: number | undefined;
  statusSeqs: number[] = [];

  private constructor(readonly peer: Peer) {
    peer.on('message', (m) => {
      this.got.push(m);
      if (m.name === 'STATUS_CHANGE' && hasField(m.message, 'ledgerSeq')) this.onStatus(m.message.ledgerSeq!);
    });
  }

  static async dial(hub: string, from: string): Promise<TestPeer> {
    const local: LocalNode = { identity: NodeIdentity.generate(), tls, userAgent: 'ledger-test-peer', crawlPublic: false, features: NO_FEATURES, instanceCookie: 9n };
    const est = await dialPeer({ host: hub, port: PEER_PORT, localAddress: from, local });
    const peer = new Peer(est.info, est.socket, est.rest, { pingIntervalMs: 60_000 });
    open.push(peer);
    const tp = new TestPeer(peer);
    peer.start();
    return tp;
  }

  /** PeerImp::checkTracking(theirs, ours): within 24 converged, beyond 128 diverged. */
  private onStatus(seq: number): void {
    this.statusSeqs.push(seq);
    if (this.ownSeq === undefined) return;
    const diff = Math.abs(seq - this.ownSeq);
    if (diff < 24) this.tracking = 'converged';
    if (diff > 128) this.tracking = 'diverged';
  }

  announce(seq: number, extra: { firstSeq?: number; lastSeq?: number; hash?: Buffer } = {}): void {
    this.ownSeq = seq;
    this.peer.send('STATUS_CHANGE', {
      newEvent: NodeEvent.ACCEPTED_LEDGER,
      ledgerSeq: seq,
      ledgerHash: extra.hash ?? ledgerHash(seq),
      ledgerHashPrevious: ledgerHash(seq - 1),
      networkTime: 800_000_000 + seq,
      ...(extra.firstSeq !== undefined ? { firstSeq: extra.firstSeq, lastSeq: extra.lastSeq } : {}),
    });
  }

  gotOf<K extends PeerMessage['name']>(name: K): Extract<PeerMessage, { name: K }>['message'][] {
    return this.got.filter((m) => m.name === name).map((m) => m.message) as never;
  }

  /**
   * Everything the node sent us before it answered this ping has arrived: the node writes to one
   * peer in order, so this proves a message was not sent rather than waiting for it not to come.
   */
  async barrier(): Promise<void> {
    const pong = new Promise((resolve) => this.peer.once('latency', resolve));
    this.peer.ping();
    await pong;
  }
}

function ledgerHash(seq: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32BE(seq, 28);
  b[0] = 0xab;
  return b;
}

/** A hub node and test peers dialled to it (inbound at the hub). */
async function star(hubIp: string, peerIps: string[], overlay: string[] = []): Promise<{ hub: Daemon; peers: TestPeer[] }> {
  const hub = await startNode({ ip: hubIp, overlay });
  const peers: TestPeer[] = [];
  for (const ip of peerIps) peers.push(await TestPeer.dial(hubIp, ip));
  await waitFor('test peers connected', () => hub.overlay.peers().length === peerIps.length);
  return { hub, peers };
}

/** The hub's Peer for a test peer: the one whose remote port is the test peer's local port. */
/** The hub's /metrics text, from a metrics view made for this one scrape. */
async function scrapeOnce(hub: Daemon): Promise<string> {
  const metrics = new OverlayMetrics(hub.overlay);
  try {
    return await metrics.registry.render();
  } finally {
    metrics.close();
  }
}

function hubSide(hub: Daemon, tp: TestPeer): Peer {
  const local = (tp.peer as unknown as { socket: { localPort: number; localAddress: string } }).socket;
  const p = hub.overlay.peers().find((x) => x.info.remotePort === local.localPort && x.info.remoteIp === local.localAddress);
  if (!p) throw new Error('test peer not connected to the hub');
  return p;
}

describe('routing TMGetLedger (PeerImp::getLedger, getPeerWithLedger)', () => {
  it('sends a qtINDIRECT request to the peer that announced the ledger, with the asker as cookie, and the answer back to the asker only', async () => {
    const { hub, peers } = await star(`${NET}.1`, [`${NET}.2`, `${NET}.3`, `${NET}.4`]);
    const [x, y, z] = peers as [TestPeer, TestPeer, TestPeer];
    const { request, reply } = ledger116();
    x.announce(116, { hash: HASH_116, firstSeq: 5, lastSeq: 116 });
    await waitFor('the hub follows ledger 116', () => hub.overlay.serverInfo().newest_peer_ledger?.seq === 116);

    y.peer.sendRaw(MessageType.GET_LEDGER, payloadOf(frameVectors().find((v) => v.capture === 'H' && v.type === 31 && v.payload_hex.length === 76)!));
    const [routed] = await waitFor('X gets the request', () => x.gotOf('GET_LEDGER').length > 0 && x.gotOf('GET_LEDGER'));
    const yAtHub = hubSide(hub, y);
    expect(toNumber(routed!.requestCookie)).toBe(yAtHub.id);
    expect(routed!.itype).toBe(0);
    expect(routed!.queryType).toBe(0);
    expect(Buffer.from(routed!.ledgerHash!).equals(HASH_116)).toBe(true);
    expect(Buffer.from(request.ledgerHash!).equals(HASH_116)).toBe(true);

    x.peer.send('LEDGER_DATA', { ...reply, requestCookie: toNumber(routed!.requestCookie) });
    const [answer] = await waitFor('Y gets the answer', () => y.gotOf('LEDGER_DATA').length > 0 && y.gotOf('LEDGER_DATA'));
    expect(hasField(answer!, 'requestCookie')).toBe(false);
    expect(Buffer.from(answer!.ledgerHash).equals(HASH_116)).toBe(true);
    expect(answer!.ledgerSeq).toBe(116);
    expect(answer!.nodes.map((n) => Buffer.from(n.nodedata).toString('hex'))).toEqual(reply.nodes.map((n) => Buffer.from(n.nodedata).toString('hex')));

    await Promise.all([x.barrier(), z.barrier(), y.barrier()]);
    expect(z.gotOf('GET_LEDGER')).toHaveLength(0);
    expect(z.gotOf('LEDGER_DATA')).toHaveLength(0);
    expect(x.gotOf('LEDGER_DATA')).toHaveLength(0);
    expect(y.gotOf('LEDGER_DATA')).toHaveLength(1);
    expect(x.gotOf('GET_LEDGER')).toHaveLength(1);
    const c = hub.overlay.ledgerRequests.counters;
    expect([c.routedRequests.base, c.routedReplies.base, c.unroutable.base]).toEqual([1, 1, 0]);
    expect(hub.overlay.ledgerRequests.inFlightCount).toBe(0);
    const metrics = await scrapeOnce(hub);
    expect(metrics).toContain('xrpl_overlay_ledger_requests_total{kind="base",outcome="routed"} 1\n');
    expect(metrics).toContain('xrpl_overlay_ledger_requests_total{kind="ts_candidate",outcome="routed"} 0\n');
    expect(metrics).toContain('xrpl_overlay_ledger_replies_routed_total{kind="base"} 1\n');
  });

  it('routes a transaction-set request to the peer that has the set (TMHaveTransactionSet), never to one that has not', async () => {
    const { hub, peers } = await star(`${NET}.11`, [`${NET}.12`, `${NET}.13`, `${NET}.14`]);
    const [x, y, z] = peers as [TestPeer, TestPeer, TestPeer];
    // rippled 3.1.2's request for a tx set (capture A), with qtINDIRECT as TransactionAcquire adds after a timeout.
    const [ts] = recorded((m, v) => v.capture === 'A' && m.name === 'GET_LEDGER' && m.message.itype === 3);
    if (ts?.name !== 'GET_LEDGER') throw new Error('no recorded tx-set request');
    const setHash = Buffer.from(ts.message.ledgerHash!);
    // X proposed that set: rippled shares it with TMHaveTransactionSet tsHAVE; Z has another one.
    x.peer.send('HAVE_SET', { status: 1, hash: setHash });
    z.peer.send('HAVE_SET', { status: 1, hash: HASH_116 });
    await Promise.all([x.barrier(), z.barrier()]);
    y.peer.send('GET_LEDGER', { ...ts.message, queryType: 0 });
    const [routed] = await waitFor('X gets the request', () => x.gotOf('GET_LEDGER').length > 0 && x.gotOf('GET_LEDGER'));
    expect(toNumber(routed!.requestCookie)).toBe(hubSide(hub, y).id);
    expect(routed!.itype).toBe(3);
    expect(routed!.queryDepth).toBe(3);
    const [txNodes] = recorded((m, v) => v.capture === 'J' && m.name === 'LEDGER_DATA' && m.message.type === 1);
    if (txNodes?.name !== 'LEDGER_DATA') throw new Error('no recorded tx nodes');
    x.peer.send('LEDGER_DATA', { ledgerHash: setHash, ledgerSeq: 0, type: 3, nodes: txNodes.message.nodes, requestCookie: toNumber(routed!.requestCookie) });
    const [answer] = await waitFor('Y gets the set', () => y.gotOf('LEDGER_DATA').length > 0 && y.gotOf('LEDGER_DATA'));
    expect(hasField(answer!, 'requestCookie')).toBe(false);
    expect(answer!.type).toBe(3);
    expect(Buffer.from(answer!.ledgerHash).equals(setHash)).toBe(true);
    await Promise.all([z.barrier(), x.barrier()]);
    expect(z.gotOf('GET_LEDGER')).toHaveLength(0);
    expect(z.gotOf('LEDGER_DATA')).toHaveLength(0);
    expect(hub.overlay.ledgerRequests.counters.routedReplies.ts_candidate).toBe(1);
  });

  it('sends a request nobody has nowhere, and one without queryType nowhere either', async () => {
    const { hub, peers } = await star(`${NET}.21`, [`${NET}.22`, `${NET}.23`, `${NET}.24`]);
    const [x, y, z] = peers as [TestPeer, TestPeer, TestPeer];
    x.announce(116, { hash: HASH_116, firstSeq: 5, lastSeq: 116 });
    await waitFor('the hub follows ledger 116', () => hub.overlay.serverInfo().newest_peer_ledger?.seq === 116);
    // Ledger 676F… (capture A) was announced by nobody here.
    const [other] = recorded((m, v) => v.capture === 'A' && m.name === 'GET_LEDGER' && m.message.itype === 0 && hasField(m.message, 'queryType'));
    if (other?.name !== 'GET_LEDGER') throw new Error('no recorded request');
    y.peer.send('GET_LEDGER', other.message);
    await waitFor('the hub found no peer', () => hub.overlay.ledgerRequests.counters.unroutable.base === 1);
    // Ledger 116 without queryType: rippled routes only qtINDIRECT requests.
    const { request } = ledger116();
    const { queryType: _q, ...direct } = request;
    y.peer.send('GET_LEDGER', direct as TMGetLedger);
    await y.barrier();
    await Promise.all([x.barrier(), z.barrier()]);
    expect(x.gotOf('GET_LEDGER')).toHaveLength(0);
    expect(z.gotOf('GET_LEDGER')).toHaveLength(0);
    expect(hub.overlay.ledgerRequests.counters.routedRequests.base).toBe(0);
  });

  it('passes on no reply whose cookie names no request it routed to that peer (forged, or already answered)', async () => {
    const { hub, peers } = await star(`${NET}.31`, [`${NET}.32`, `${NET}.33`, `${NET}.34`]);
    const [x, y, z] = peers as [TestPeer, TestPeer, TestPeer];
    const { reply } = ledger116();
    const yId = hubSide(hub, y).id;
    // Z never got a request: a reply naming Y's id goes nowhere (rippled would deliver it).
    z.peer.send('LEDGER_DATA', { ...reply, requestCookie: yId });
    await waitFor('the reply refused', () => hub.overlay.ledgerRequests.counters.unknownCookie === 1);
    expect(await scrapeOnce(hub)).toContain('xrpl_overlay_ledger_replies_unroutable_total 1\n');
    // A real exchange, then the same reply again: the cookie is closed.
    x.announce(116, { hash: HASH_116, firstSeq: 5, lastSeq: 116 });
    await waitFor('the hub follows ledger 116', () => hub.overlay.serverInfo().newest_peer_ledger?.seq === 116);
    y.peer.send('GET_LEDGER', ledger116().request);
    await waitFor('X gets the request', () => x.gotOf('GET_LEDGER').length === 1);
    x.peer.send('LEDGER_DATA', { ...reply, requestCookie: yId });
    await waitFor('Y gets one answer', () => y.gotOf('LEDGER_DATA').length === 1);
    x.peer.send('LEDGER_DATA', { ...reply, requestCookie: yId });
    await waitFor('the second refused', () => hub.overlay.ledgerRequests.counters.unknownCookie === 2);
    await y.barrier();
    expect(y.gotOf('LEDGER_DATA')).toHaveLength(1);
    expect(z.gotOf('LEDGER_DATA')).toHaveLength(0);
    // Neither is charged beyond rippled's message fee for an unroutable reply.
    expect(hubSide(hub, z).closed).toBe(false);
  });

  it('two hops, Y → A → B → X: B passes the request A routed to it under its own cookie, and the answer finds its way back', async () => {
    const A = `${NET}.41`;
    const B = `${NET}.42`;
    const a = await startNode({ ip: A });
    const b = await startNode({ ip: B, extra: `[ips_fixed]\n${A} ${PEER_PORT}` });
    await waitFor('A and B connected', () => a.overlay.peers().length === 1 && b.overlay.peers().length === 1);
    const y = await TestPeer.dial(A, `${NET}.43`);
    const x = await TestPeer.dial(B, `${NET}.44`);
    await waitFor('test peers connected', () => a.overlay.peers().length === 2 && b.overlay.peers().length === 2);
    x.announce(116, { hash: HASH_116, firstSeq: 5, lastSeq: 116 });
    // B follows X and tells A, so that A sees B as having ledger 116 (as rippled would).
    await waitFor('A follows ledger 116 through B', () => a.overlay.serverInfo().newest_peer_ledger?.seq === 116);
    y.peer.send('GET_LEDGER', ledger116().request);
    const [routed] = await waitFor('X gets the request', () => x.gotOf('GET_LEDGER').length > 0 && x.gotOf('GET_LEDGER'));
    const aAtB = b.overlay.peers().find((p) => p.info.n9 === a.overlay.opts.identity.n9)!;
    expect(toNumber(routed!.requestCookie)).toBe(aAtB.id);
    x.peer.send('LEDGER_DATA', { ...ledger116().reply, requestCookie: toNumber(routed!.requestCookie) });
    const [answer] = await waitFor('Y gets the answer', () => y.gotOf('LEDGER_DATA').length > 0 && y.gotOf('LEDGER_DATA'));
    expect(hasField(answer!, 'requestCookie')).toBe(false);
    expect(answer!.ledgerSeq).toBe(116);
    expect(a.overlay.ledgerRequests.counters.routedReplies.base).toBe(1);
    expect(b.overlay.ledgerRequests.counters.routedReplies.base).toBe(1);
    expect([a.overlay.ledgerRequests.inFlightCount, b.overlay.ledgerRequests.inFlightCount]).toEqual([0, 0]);
  });

  it('holds its caps under a flood, charges every request, and lets go of everything when the answerer leaves', async () => {
    const { hub, peers } = await star(`${NET}.51`, [`${NET}.52`, `${NET}.53`, `${NET}.54`], ['ledger_requests_per_peer = 5', 'ledger_requests_max = 8', 'ledger_request_timeout = 600']);
    const [x, y, z] = peers as [TestPeer, TestPeer, TestPeer];
    x.announce(116, { hash: HASH_116, firstSeq: 5, lastSeq: 116 });
    await waitFor('the hub follows ledger 116', () => hub.overlay.serverInfo().newest_peer_ledger?.seq === 116);
    const { request } = ledger116();
    const FLOOD = 40;
    const c = hub.overlay.ledgerRequests.counters;
    for (let i = 0; i < FLOOD; i++) y.peer.send('GET_LEDGER', request);
    await waitFor("Y's requests handled", () => c.routedRequests.base + c.overCap.base === FLOOD);
    for (let i = 0; i < FLOOD; i++) z.peer.send('GET_LEDGER', request);
    await waitFor('every request handled', () => c.routedRequests.base + c.overCap.base === 2 * FLOOD);
    await x.barrier();
    const cookies = x.gotOf('GET_LEDGER').map((m) => toNumber(m.requestCookie));
    const yId = hubSide(hub, y).id;
    const zId = hubSide(hub, z).id;
    // Y's first five, then Z's three until the total of eight.
    expect(cookies.filter((k) => k === yId)).toHaveLength(5);
    expect(cookies.filter((k) => k === zId)).toHaveLength(3);
    expect(c.overCap.base).toBe(2 * FLOOD - 8);
    expect(hub.overlay.ledgerRequests.inFlightCount).toBe(8);
    expect(await scrapeOnce(hub)).toContain(`xrpl_overlay_ledger_requests_total{kind="base",outcome="over_cap"} ${2 * FLOOD - 8}\n`);
    // processLedgerRequest's moderate fee (250) on every request, routed or not: 40 × 251 in one
    // second is a balance of at least 40 × 251 / 32 − what decays in the seconds this took (bound: 100).
    expect(hubSide(hub, y).resource.balance).toBeGreaterThan(Math.floor((FLOOD * 251) / 32) - 100);
    x.peer.close({ reason: 'shutdown' });
    await waitFor('X gone', () => hub.overlay.peers().length === 2);
    expect(hub.overlay.ledgerRequests.inFlightCount).toBe(0);
    expect(hub.overlay.ledgerRequests.inFlightFor(yId)).toBe(0);
  });
});

describe('requests rippled cannot serve either, answered or charged as rippled does', () => {
  it('TMGetObjectByHash gets an empty answer, fetch packs nothing; tx reduce-relay, proof paths and replay deltas are charged as malformed; bad requests as bad data', async () => {
    const { hub, peers } = await star(`${NET}.91`, [`${NET}.92`]);
    const [y] = peers as [TestPeer];
    const atHub = hubSide(hub, y);
    const charges: [number, string][] = [];
    const charge = atHub.charge.bind(atHub);
    atHub.charge = (kind, why) => {
      charges.push([kind.cost, why]);
      return charge(kind, why);
    };
    const otStateNode = 4;
    y.peer.send('GET_OBJECTS', { type: otStateNode, query: true, seq: 42, ledgerHash: HASH_116, objects: [{ hash: Buffer.alloc(32, 1), ledgerSeq: 116 }] });
    const [answer] = await waitFor('the empty answer', () => y.gotOf('GET_OBJECTS').length > 0 && y.gotOf('GET_OBJECTS'));
    expect(answer!.query).toBe(false);
    expect([answer!.type, answer!.seq, answer!.objects.length]).toEqual([otStateNode, 42, 0]);
    expect(Buffer.from(answer!.ledgerHash!).equals(HASH_116)).toBe(true);
    y.peer.send('GET_OBJECTS', { type: otStateNode, query: true, ledgerHash: Buffer.alloc(31), objects: [] }); // bad hash: no answer
    y.peer.send('GET_OBJECTS', { type: 6, query: true, ledgerHash: HASH_116, objects: [] }); // otFETCH_PACK
    y.peer.send('GET_OBJECTS', { type: 7, query: true, objects: [{ hash: Buffer.alloc(32, 2) }] }); // otTRANSACTIONS
    y.peer.send('PROOF_PATH_REQ', { key: Buffer.alloc(32, 3), ledgerHash: HASH_116, type: 1 });
    y.peer.send('REPLAY_DELTA_REQ', { ledgerHash: HASH_116 });
    y.peer.send('GET_LEDGER', { itype: 1, ledgerHash: HASH_116, nodeIDs: [] }); // no node ids
    y.peer.send('HAVE_SET', { status: 1, hash: HASH_116 });
    y.peer.send('HAVE_SET', { status: 1, hash: HASH_116 }); // again
    y.peer.send('HAVE_SET', { status: 1, hash: Buffer.alloc(31) });
    await y.barrier();
    expect(y.gotOf('GET_OBJECTS')).toHaveLength(1);
    expect(y.gotOf('PROOF_PATH_RESPONSE')).toHaveLength(0);
    expect(y.gotOf('REPLAY_DELTA_RESPONSE')).toHaveLength(0);
    // Beyond each message's trivial fee (1): rippled's feeMediumBurdenPeer 250 (replaced by feeInvalidRequest
    // 200 for a bad hash), feeInvalidRequest 200,
    // feeBadData 400, feeUnwantedData 150 (the barrier's ping costs its own 250, left out).
    expect(charges.filter(([cost, why]) => cost > 1 && why !== 'ping').map(([cost]) => cost)).toEqual([250, 200, 200, 200, 200, 400, 150, 200]);
  });
});

describe('our status, as rippled peers judge it (PeerImp::checkTracking)', () => {
  it('three peers announcing the same ledgers in every order all count us converged, ledger after ledger', async () => {
    const { hub, peers } = await star(`${NET}.61`, [`${NET}.62`, `${NET}.63`, `${NET}.64`]);
    const orders = [
      [0, 1, 2], [0, 1, 2], [0, 1, 2], [0, 1, 2], // peer 1 always tips the median first
      [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0], [0, 1, 2],
    ];
    const FIRST = 1000;
    const LEDGERS = 30;
    for (let i = 0; i < LEDGERS; i++) {
      const seq = FIRST + i;
      for (const k of orders[i % orders.length]!) peers[k]!.announce(seq);
      await waitFor(`every peer hears ledger ${seq}`, () => peers.every((p) => p.statusSeqs.includes(seq)));
      for (const p of peers) expect(p.tracking).toBe('converged');
      // The ledger is announced once, to each peer, the one that tipped the median included.
      for (const p of peers) expect(p.statusSeqs.filter((s) => s === seq)).toHaveLength(1);
    }
    expect(hub.overlay.serverInfo().newest_peer_ledger?.seq).toBe(FIRST + LEDGERS - 1);
    // The hub judges each of them converged too.
    for (const p of peers) expect(hub.overlay.ledgerRequests.trackingOf(hubSide(hub, p))).toBe('converged');
  });

  it('one peer announcing a far-off ledger does not make us diverged for the others', async () => {
    const { hub, peers } = await star(`${NET}.71`, [`${NET}.72`, `${NET}.73`, `${NET}.74`]);
    const [p1, p2, far] = peers as [TestPeer, TestPeer, TestPeer];
    for (let seq = 500; seq < 510; seq++) {
      p1.announce(seq);
      p2.announce(seq);
      far.announce(seq + 5000);
      await waitFor(`ledger ${seq} announced`, () => p1.statusSeqs.includes(seq) && p2.statusSeqs.includes(seq));
    }
    await Promise.all(peers.map((p) => p.barrier()));
    for (const p of [p1, p2]) {
      expect(p.tracking).toBe('converged');
      expect(Math.max(...p.statusSeqs)).toBe(509);
    }
    expect(hub.overlay.ledgerRequests.trackingOf(hubSide(hub, far))).toBe('diverged');
  });
});

describe('[overlay] max_unknown_time and max_diverged_time (PeerImp::onTimer)', () => {
  it('drops an outbound peer unknown or diverged past its limit as "Not useful", and keeps converged and inbound ones', async () => {
    const H = `${NET}.81`;
    // Peers the hub dials, written without our code; they answer pings and send only what we tell them.
    const servers = await Promise.all([`${NET}.82`, `${NET}.83`, `${NET}.84`].map((host) => listenIndependent({ host, port: PEER_PORT })));
    try {
      const hub = await startNode({ ip: H, extra: `[ips_fixed]\n${servers.map((x) => `${x.host} ${PEER_PORT}`).join('\n')}` });
      const inbound = await TestPeer.dial(H, `${NET}.85`);
      await waitFor('hub dialled its three fixed peers', () => hub.overlay.peers().filter((p) => p.info.direction === 'out').length === 3 && servers.every((x) => x.accepted.length === 1));
      const [good, silent, far] = servers as [IndieServer, IndieServer, IndieServer];
      const atHub = (x: IndieServer) => hub.overlay.peers().find((p) => p.info.n9 === x.publicKeyN9)!;
      const status = (x: IndieServer, seq: number) =>
        x.accepted[0]!.send(MessageType.STATUS_CHANGE, encodeMessage('STATUS_CHANGE', { newEvent: NodeEvent.ACCEPTED_LEDGER, ledgerSeq: seq, ledgerHash: ledgerHash(seq), firstSeq: 2, lastSeq: seq }));
      const lr = hub.overlay.ledgerRequests;
      status(good, 300);
      await waitFor('hub follows 300', () => hub.overlay.serverInfo().newest_peer_ledger?.seq === 300);
      await waitFor('good converged', () => lr.trackingOf(atHub(good)) === 'converged');
      const divergedAt = Date.now();
      status(far, 300 + 500);
      await waitFor('far diverged', () => lr.trackingOf(atHub(far)) === 'diverged');
      expect(lr.trackingOf(atHub(silent))).toBe('unknown');
      const [g, s, f, i] = [atHub(good), atHub(silent), atHub(far), hubSide(hub, inbound)];
      // rippled's defaults, 600 s unknown and 300 s diverged, judged on a clock moved forward.
      expect(lr.dropUseless(divergedAt + 299_000)).toEqual([]);
      expect(lr.dropUseless(Date.now() + 301_000)).toEqual([f]);
      expect(f.closeReason).toEqual({ reason: 'not-useful' });
      expect(lr.dropUseless(s.connectedAt + 599_000)).toEqual([]);
      expect(lr.dropUseless(s.connectedAt + 601_000)).toEqual([s]);
      expect(s.closeReason).toEqual({ reason: 'not-useful' });
      expect(lr.dropUseless(Date.now() + 3_600_000)).toEqual([]);
      expect([g.closed, i.closed]).toEqual([false, false]);
      expect(lr.trackingOf(i)).toBe('unknown');
    } finally {
      await Promise.all(servers.map((x) => x.close()));
    }
  });
});
