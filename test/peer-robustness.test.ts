/**
 * A peer that misbehaves, or a bug in our own handlers, must cost only that one connection:
 * frame size limits, exceptions from message listeners, resource charges as rippled counts them,
 * status changes, traffic counters and the PONG reply, over real TLS to a real node where the
 * behaviour is on the wire (nodes on 127.0.10.x).
 */
import type tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSelfSignedCertificate } from '../src/identity/certificate.js';
import { NodeIdentity } from '../src/identity/node-key.js';
import { dialPeer, type Established, type LocalNode } from '../src/connect/handshake-io.js';
import { Peer } from '../src/peer/peer.js';
import type { PeerClose } from '../src/peer/reasons.js';
import { DEFAULT_RESOURCE_LIMITS, ResourceBalance } from '../src/resource/resource.js';
import { TrafficStats, UNKNOWN_TRAFFIC } from '../src/peer/traffic.js';
import { decodeMessage, encodeMessage, isKnownType, type PeerMessage } from '../src/protocol/codec.js';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from '../src/protocol/framing.js';
import { NO_FEATURES } from '../src/protocol/handshake.js';
import { lz4CompressBlock } from '../src/protocol/lz4.js';
import { MessageType } from '../src/protocol/message-types.js';
import { NodeEvent, NodeStatus, PingType, type TMPing, type TMStatusChange, toBigInt } from '../src/protocol/messages.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

afterEach(stopAllNodes);

function localNode(compression = true): LocalNode {
  return {
    identity: NodeIdentity.generate(),
    tls: makeSelfSignedCertificate(),
    userAgent: 'xrpl-overlay-test',
    crawlPublic: true,
    features: { ...NO_FEATURES, compression },
    instanceCookie: 7n,
  };
}

/** Reads what the node sends on a raw connection, answering its pings so that it keeps us. */
function rawClient(est: Established): { socket: tls.TLSSocket; received: PeerMessage[]; send: (type: number, payload: Buffer) => void } {
  const decoder = new FrameDecoder({ compression: true });
  const received: PeerMessage[] = [];
  const send = (type: number, payload: Buffer) => est.socket.write(encodeFrame(type, payload));
  const onData = (chunk: Buffer) => {
    for (const f of decoder.push(chunk)) {
      if (!isKnownType(f.type)) continue;
      const msg = decodeMessage(f.type, f.payload);
      received.push(msg);
      if (msg.name === 'PING' && msg.message.type === PingType.PING) {
        send(MessageType.PING, encodeMessage('PING', { type: PingType.PONG, seq: msg.message.seq }));
      }
    }
  };
  if (est.rest.length) onData(est.rest);
  est.socket.on('data', onData);
  est.socket.on('error', () => {});
  est.socket.resume();
  return { socket: est.socket, received, send };
}

async function connect(ip: string, local = localNode()) {
  const node = await startNode({ ip, extra: '[compression]\n1' });
  const client = rawClient(await dialPeer({ host: ip, port: PEER_PORT, local }));
  const [server] = await waitFor('the server side', () => node.overlay.peers().length === 1 && node.overlay.peers());
  return { node, client, server: server! };
}

const pingFrame = (seq: number) => encodeFrame(MessageType.PING, encodeMessage('PING', { type: PingType.PING, seq }));

// ------------------------------------------------------------------------------------------------
// 1. Frame size limit and listener exceptions
// ------------------------------------------------------------------------------------------------

describe('frames the node could not relay, and listeners that throw', () => {
  it('accepts an LZ4 frame that expands to exactly 64 MiB (as rippled) and goes through relay without throwing', async () => {
    // A MANIFESTS message of exactly 64 MiB. Issue 10: rippled refuses only above 64 MiB; before, we
    // refused exactly 64 MiB, since relaying threw. Its entries are not manifests, so (as rippled, which
    // relays only manifests that change what it knows) nothing of it is relayed; that a 64 MiB payload
    // can be framed only compressed is framing.test.ts's tryEncodeFrame case.
    const vlPrefix = (n: number) =>
      n <= 192 ? [n] : n <= 12480 ? [193 + ((n - 193) >> 8), (n - 193) & 0xff] : [241 + ((n - 12481) >> 16), ((n - 12481) >> 8) & 0xff, (n - 12481) & 0xff];
    const domain = (n: number) => Buffer.concat([Buffer.from([0x77, ...vlPrefix(n)]), Buffer.alloc(n, 0x61)]);
    const build = (last: number) => encodeMessage('MANIFESTS', { list: [...Array.from({ length: 74 }, () => ({ stobject: domain(900_000) })), { stobject: domain(last) }] });
    let last = 200_000;
    for (let i = 0; i < 10 && build(last).length !== MAX_FRAME_BYTES; i++) last += MAX_FRAME_BYTES - build(last).length;
    const manifests = build(last);
    expect(manifests.length).toBe(MAX_FRAME_BYTES);
    const block = lz4CompressBlock(manifests);
    const header = Buffer.alloc(10);
    header.writeUInt32BE((0x90000000 | block.length) >>> 0, 0);
    header.writeUInt16BE(MessageType.MANIFESTS, 4);
    header.writeUInt32BE(manifests.length, 6);

    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const ip = '127.0.10.1';
      const node = await startNode({ ip, extra: '[compression]\n1' });
      const lz4Peer = rawClient(await dialPeer({ host: ip, port: PEER_PORT, local: localNode() }));
      const plain = await dialPeer({ host: ip, port: PEER_PORT, local: localNode(false) });
      const plainPeer = new Peer(plain.info, plain.socket, plain.rest, { pingIntervalMs: 60_000 });
      plainPeer.start();
      const sender = rawClient(await dialPeer({ host: ip, port: PEER_PORT, local: localNode() }));
      await waitFor('three peers', () => node.overlay.peers().length === 3);
      let read = 0;
      node.overlay.on('message', (_p, m) => m.name === 'MANIFESTS' && m.message.list.length === 75 && read++);
      sender.socket.write(Buffer.concat([header, block]));
      // Generous: 64 MiB is decompressed and read on a loaded 2-core machine. The relay decision runs
      // synchronously right after the 'message' event, so once `read` is seen it is over.
      await waitFor('the 64 MiB message read', () => read === 1, 50_000);
      expect(lz4Peer.received.filter((m) => m.name === 'MANIFESTS')).toEqual([]);
      expect(node.overlay.peers()).toHaveLength(3);
      expect(plainPeer.closed).toBe(false);
      plainPeer.close({ reason: 'shutdown' });
      sender.socket.destroy();
      lz4Peer.socket.destroy();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  }, 90_000);

  it('a message listener that throws closes only that peer; the node goes on', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const { node, client, server } = await connect('127.0.10.2');
      let thrown = 0;
      node.overlay.on('message', () => {
        if (thrown++ === 0) throw new Error('listener bug');
      });
      client.send(MessageType.PING, encodeMessage('PING', { type: PingType.PING, seq: 1 }));
      await waitFor('the peer to close', () => server.closed, 5000);
      expect(server.closeReason).toEqual({ reason: 'internal-error', detail: 'message type 3: listener bug' });
      expect(node.overlay.peers()).toHaveLength(0);
      client.socket.destroy();

      // The node still serves: a new peer connects and gets its PING answered.
      const again = rawClient(await dialPeer({ host: '127.0.10.2', port: PEER_PORT, local: localNode() }));
      await waitFor('a new peer', () => node.overlay.peers().length === 1);
      again.send(MessageType.PING, encodeMessage('PING', { type: PingType.PING, seq: 77 }));
      await waitFor('the pong', () => again.received.some((m) => m.name === 'PING' && m.message.type === PingType.PONG && m.message.seq === 77));
      again.socket.destroy();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------
// 2. Resource charges: rippled's DecayingSample<32 s>, normalised by the window
// ------------------------------------------------------------------------------------------------

describe('ResourceBalance (rippled Resource::Entry arithmetic)', () => {
  function clock() {
    let t = 0;
    return { now: () => t, advance: (ms: number) => void (t += ms) };
  }

  it('shows the sum divided by the 32 s window, and takes ceil(sum/32) off for each whole second', () => {
    const c = clock();
    const r = new ResourceBalance(DEFAULT_RESOURCE_LIMITS, c.now);
    expect(r.charge(3200)).toBe('ok');
    expect(r.balance).toBe(100);
    c.advance(999); // same second: no decay yet
    expect(r.balance).toBe(100);
    c.advance(1); // 3200 - 100 = 3100
    expect(r.balance).toBe(96);
    c.advance(1000); // 3100 - 97 = 3003
    expect(r.balance).toBe(93);
    c.advance(4 * 32_000 + 1000); // more than four windows: zeroed
    expect(r.balance).toBe(0);
  });

  it('compares the normalised balance with warn (5000) and drop (25000)', () => {
    const c = clock();
    const r = new ResourceBalance(DEFAULT_RESOURCE_LIMITS, c.now);
    // 100 pings at once used to reach 25000 and drop the peer; rippled counts 25100 / 32 = 784.
    for (let i = 0; i < 100; i++) expect(r.charge(251)).toBe('ok');
    expect(r.balance).toBe(784);
    expect(r.charge(5000 * 32 - 25100)).toBe('warn');
    expect(r.charge(20000 * 32)).toBe('drop');
  });

  it('tolerates a steady 20000 per second (80 pings a second) for ten minutes, as rippled does', () => {
    const c = clock();
    const r = new ResourceBalance(DEFAULT_RESOURCE_LIMITS, c.now);
    let max = 0;
    for (let i = 0; i < 600 * 80; i++) {
      expect(r.charge(250)).not.toBe('drop');
      max = Math.max(max, r.balance);
      c.advance(12.5);
    }
    expect(max).toBeGreaterThan(19_000);
    expect(max).toBeLessThan(25_000);
  });

  it('drops a peer charged a steady 30000 per second (120 pings a second) within a minute, as rippled does', () => {
    const c = clock();
    const r = new ResourceBalance(DEFAULT_RESOURCE_LIMITS, c.now);
    let droppedAt: number | undefined;
    for (let i = 0; i < 120 * 120 && droppedAt === undefined; i++) {
      if (r.charge(250) === 'drop') droppedAt = c.now();
      c.advance(1000 / 120);
    }
    expect(droppedAt).toBeDefined();
    // sum_n = 32 c (1 - (31/32)^n) reaches 25000 * 32 after about 56 s.
    expect(droppedAt!).toBeGreaterThan(50_000);
    expect(droppedAt!).toBeLessThan(60_000);
  });

  it('keeps the thresholds and the window configurable', () => {
    const c = clock();
    const r = new ResourceBalance({ warnThreshold: 10, dropThreshold: 20, decayWindowMs: 64_000 }, c.now);
    expect(r.charge(64 * 10)).toBe('warn');
    expect(r.charge(64 * 10)).toBe('drop');
    // A window under a second is one tick of that length: the balance is what came in during it.
    const short = new ResourceBalance({ warnThreshold: 10, dropThreshold: 20, decayWindowMs: 100 }, c.now);
    expect(short.charge(15)).toBe('warn');
    c.advance(100);
    expect(short.balance).toBe(0);
  });
});

describe('resource charges on the wire', () => {
  it('keeps a peer that sends 400 pings at once (rippled: 100400 / 32), and shows that load', async () => {
    const { client, server } = await connect('127.0.10.3');
    client.socket.write(Buffer.concat(Array.from({ length: 400 }, (_, i) => pingFrame(i))));
    await waitFor('400 pongs', () => client.received.filter((m) => m.name === 'PING' && m.message.type === PingType.PONG).length === 400);
    expect(server.closed).toBe(false);
    // 400 × (1 per message + 250 per ping) = 100400, over 32; a second may have passed (-1/32).
    expect(server.resource.balance).toBeGreaterThan(3000);
    expect(server.resource.balance).toBeLessThanOrEqual(3137);
    client.socket.destroy();
  });

  it('drops a peer that sends 4000 pings at once (rippled: 1004000 / 32 > 25000)', async () => {
    const { client, server } = await connect('127.0.10.4');
    const closed = new Promise<PeerClose>((resolve) => server.once('close', resolve));
    client.socket.write(Buffer.concat(Array.from({ length: 4000 }, (_, i) => pingFrame(i))));
    expect(await closed).toEqual({ reason: 'resource-limit', detail: 'ping' });
    client.socket.destroy();
  });
});

// ------------------------------------------------------------------------------------------------
// 3. Status changes
// ------------------------------------------------------------------------------------------------

/** A TMStatusChange payload with an unknown field of `pad` bytes after it (ignored by the reader). */
function statusPayload(m: TMStatusChange, pad = 0): Buffer {
  const body = encodeMessage('STATUS_CHANGE', m);
  if (pad === 0) return body;
  const len: number[] = [];
  for (let n = pad; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  // Field 100, wire type 2: tag varint 0xa2 0x06.
  return Buffer.concat([body, Buffer.from([0xa2, 0x06, ...len]), Buffer.alloc(pad, 0x55)]);
}

describe('status changes (PeerImp::onMessage(TMStatusChange))', () => {
  it('replaces or clears the hashes, clears them on LOST_SYNC, and takes only complete, sane ranges', async () => {
    const { client, server } = await connect('127.0.10.5');
    const h = (n: number) => Buffer.alloc(32, n);
    let seen = 0;
    server.on('status', () => seen++);
    const status = async (m: TMStatusChange, pad = 0) => {
      const want = seen + 1;
      client.send(MessageType.STATUS_CHANGE, statusPayload(m, pad));
      await waitFor('the status change', () => seen === want);
      return server.ledger;
    };

    // Hashes are copies, not views of a 256 KiB frame.
    let s = await status({
      newStatus: NodeStatus.CONNECTED, newEvent: NodeEvent.CLOSING_LEDGER, ledgerSeq: 100,
      ledgerHash: h(1), ledgerHashPrevious: h(0), firstSeq: 10, lastSeq: 100, networkTime: 5,
    }, 256 * 1024);
    expect(s.ledgerHash).toEqual(h(1));
    expect(s.previousHash).toEqual(h(0));
    expect(s.ledgerHash!.buffer.byteLength).toBeLessThanOrEqual(Buffer.poolSize);
    expect(s.previousHash!.buffer.byteLength).toBeLessThanOrEqual(Buffer.poolSize);
    expect(server.completeLedgers).toBe('10-100');

    // No hashes: both cleared, not carried over; no range: the old one stays; no status: kept.
    s = await status({ newEvent: NodeEvent.CLOSING_LEDGER, ledgerSeq: 101 });
    expect(s.ledgerHash).toBeUndefined();
    expect(s.previousHash).toBeUndefined();
    expect(s.status).toBe(NodeStatus.CONNECTED);
    expect(s.ledgerSeq).toBe(101);
    expect(server.completeLedgers).toBe('10-100');

    // Half a range changes nothing; a hash of the wrong size counts as absent.
    s = await status({ ledgerHash: h(2), ledgerHashPrevious: Buffer.alloc(31), firstSeq: 50 });
    expect(s.ledgerHash).toEqual(h(2));
    expect(s.previousHash).toBeUndefined();
    expect(server.completeLedgers).toBe('10-100');

    // LOST_SYNC clears both hashes, whatever the message carries, and leaves the range.
    await status({ ledgerHash: h(3), ledgerHashPrevious: h(2) });
    s = await status({ newEvent: NodeEvent.LOST_SYNC, ledgerHash: h(4), ledgerHashPrevious: h(3), firstSeq: 1, lastSeq: 5 });
    expect(s.ledgerHash).toBeUndefined();
    expect(s.previousHash).toBeUndefined();
    expect(server.completeLedgers).toBe('10-100');

    // Inverted or zero ranges mean "unknown".
    await status({ firstSeq: 200, lastSeq: 150 });
    expect(server.completeLedgers).toBeUndefined();
    expect(server.ledger.firstSeq).toBeUndefined();
    await status({ firstSeq: 20, lastSeq: 30 });
    expect(server.completeLedgers).toBe('20-30');
    await status({ firstSeq: 0, lastSeq: 30 });
    expect(server.completeLedgers).toBeUndefined();
    client.socket.destroy();
  });
});

// ------------------------------------------------------------------------------------------------
// 4. Traffic counters
// ------------------------------------------------------------------------------------------------

describe('traffic counters', () => {
  it('counts every unknown type in one bucket', () => {
    const t = new TrafficStats();
    for (let type = 0; type < 0x10000; type++) t.record('in', type, 10);
    t.record('out', 0xffff, 7);
    t.record('out', MessageType.PING, 8);
    // 21 known types and one bucket, not 65536 entries.
    expect(t.in.size).toBe(22);
    expect(t.in.get(UNKNOWN_TRAFFIC)).toEqual({ messages: 0x10000 - 21, bytes: (0x10000 - 21) * 10 });
    expect(t.in.get(MessageType.PING)).toEqual({ messages: 1, bytes: 10 });
    expect(t.out.size).toBe(2);
    expect(t.rows()).toContainEqual({ type: 'unknown', direction: 'out', messages: 1, bytes: 7 });
    expect(t.rows()).toContainEqual({ type: 'PING', direction: 'out', messages: 1, bytes: 8 });
    expect(t.bytesIn).toBe(0x10000 * 10);
  });

  it('a peer sending 300 made-up types grows the node\'s table by one entry', async () => {
    const { client, server } = await connect('127.0.10.6');
    for (let type = 1000; type < 1300; type++) client.send(type, Buffer.from([1]));
    await waitFor('300 unknown frames', () => server.traffic.in.get(UNKNOWN_TRAFFIC)?.messages === 300, 5000);
    expect(server.closed).toBe(false);
    expect([...server.traffic.in.keys()].filter((k) => typeof k === 'number' && k >= 1000)).toEqual([]);
    expect(server.traffic.rows().filter((r) => r.direction === 'in' && r.type.startsWith('unknown'))).toEqual([
      { type: 'unknown', direction: 'in', messages: 300, bytes: 300 * 7 },
    ]);
    client.socket.destroy();
  });
});

// ------------------------------------------------------------------------------------------------
// 5. PONG
// ------------------------------------------------------------------------------------------------

describe('PING answered as rippled does', () => {
  it('echoes the whole message as PONG: seq, pingTime and netTime', async () => {
    const { client } = await connect('127.0.10.7');
    const ping: TMPing = { type: PingType.PING, seq: 4242, pingTime: 1_700_000_000_123, netTime: 812_345_678 };
    client.send(MessageType.PING, encodeMessage('PING', ping));
    const pong = await waitFor('the pong', () =>
      client.received.find((m) => m.name === 'PING' && m.message.type === PingType.PONG && m.message.seq === 4242),
    );
    const m = pong.message as TMPing;
    expect(toBigInt(m.pingTime)).toBe(1_700_000_000_123n);
    expect(toBigInt(m.netTime)).toBe(812_345_678n);
    client.socket.destroy();
  });
});
