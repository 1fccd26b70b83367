/**
 * The peer's cheap paths (issue 15): one shared tick wheel instead of a timer per peer, one socket
 * write per tick, pongs made from the ping's own bytes. No sockets: in-memory streams, fake timers.
 */
import { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Peer, peerSettings, type PeerInfo } from '../src/peer/peer.js';
import { TickWheel } from '../src/peer/tick-wheel.js';
import { NO_FEATURES } from '../src/protocol/handshake.js';
import { encodeFrame, FrameDecoder } from '../src/protocol/framing.js';
import { decodeMessage, encodeMessage } from '../src/protocol/codec.js';
import { MessageType } from '../src/protocol/message-types.js';
import { PingType } from '../src/protocol/messages.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const info = { n9: 'n9Test', remoteIp: '127.0.151.70', remotePort: 1, direction: 'in', features: NO_FEATURES } as unknown as PeerInfo;

/** A stream that records every write (one entry per write call) and never reads. */
function recordingSocket(): { socket: Duplex; writes: Buffer[]; ended: () => boolean } {
  const writes: Buffer[] = [];
  let ended = false;
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      writes.push(Buffer.from(chunk));
      cb();
    },
    final(cb) {
      ended = true;
      cb();
    },
  });
  return { socket, writes, ended: () => ended };
}

describe('TickWheel', () => {
  it('ticks a member first between period − period/slots and period after it joined, then every period', () => {
    const wheel = new TickWheel(1600, 16); // steps of 100 ms, from the first member's arrival
    const t0 = Date.now();
    const a: number[] = [];
    const b: number[] = [];
    wheel.add({ tick: () => a.push(Date.now() - t0) });
    vi.advanceTimersByTime(50); // between two steps
    wheel.add({ tick: () => b.push(Date.now() - t0) });
    vi.advanceTimersByTime(1600 * 3);
    expect(a).toEqual([1600, 3200, 4800]); // the first: exactly one period, as a timer of its own
    expect(b).toEqual([1600, 3200, 4800]); // joined at 50 ms: 1550 ms later, then every 1600
  });

  it('no longer ticks a removed member, and stops its timer when empty', () => {
    const wheel = new TickWheel(1000, 10);
    let a = 0;
    let b = 0;
    const ma = { tick: () => a++ };
    const mb = { tick: () => b++ };
    wheel.add(ma);
    wheel.add(mb);
    vi.advanceTimersByTime(1000);
    expect([a, b]).toEqual([1, 1]);
    wheel.remove(ma);
    vi.advanceTimersByTime(2000);
    expect([a, b]).toEqual([1, 3]);
    wheel.remove(mb);
    expect(wheel.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a member that removes itself while ticked does not stop the others in its bucket', () => {
    const wheel = new TickWheel(1000, 4);
    const seen: string[] = [];
    const first = { tick: () => (seen.push('first'), wheel.remove(first)) };
    const second = { tick: () => seen.push('second') };
    wheel.add(first);
    wheel.add(second);
    vi.advanceTimersByTime(2000);
    expect(seen).toEqual(['first', 'second', 'second']);
  });
});

describe('Peer on the shared wheel', () => {
  it('pings once per ping interval and ends a peer whose ping is still unanswered at the next', async () => {
    const { socket, writes } = recordingSocket();
    const peer = new Peer(info, socket, Buffer.alloc(0), peerSettings({ pingIntervalMs: 1600 }));
    peer.start();
    await vi.advanceTimersByTimeAsync(1600);
    const decoder = new FrameDecoder({ compression: false });
    const frames = writes.flatMap((w) => decoder.push(w));
    expect(frames.map((f) => f.type)).toEqual([MessageType.PING]);
    expect(peer.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1600);
    expect(peer.closeReason).toEqual({ reason: 'ping-timeout' });
  });
});

describe('one write per tick', () => {
  it('frames sent in one tick reach the socket as one write, in order', async () => {
    const { socket, writes } = recordingSocket();
    const peer = new Peer(info, socket, Buffer.alloc(0), peerSettings());
    peer.start();
    const a = encodeMessage('PING', { type: PingType.PING, seq: 1 });
    const b = encodeMessage('PING', { type: PingType.PING, seq: 2 });
    peer.sendRaw(MessageType.PING, a);
    peer.sendRaw(MessageType.PING, b);
    expect(writes).toHaveLength(0); // held until the end of the tick
    expect(peer.unwrittenBytes).toBe(2 * (6 + a.length));
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([Buffer.concat([encodeFrame(MessageType.PING, a), encodeFrame(MessageType.PING, b)])]);
    expect(peer.sendQueueLength).toBe(0);
  });

  it('what was sent before close() is written before the end', async () => {
    const { socket, writes, ended } = recordingSocket();
    const peer = new Peer(info, socket, Buffer.alloc(0), peerSettings());
    peer.start();
    const p = encodeMessage('PING', { type: PingType.PING, seq: 7 });
    peer.sendRaw(MessageType.PING, p);
    peer.close({ reason: 'shutdown' });
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([encodeFrame(MessageType.PING, p)]);
    expect(ended()).toBe(true);
  });
});

describe('pong from the ping’s bytes', () => {
  async function pongFor(ping: Buffer): Promise<Buffer> {
    const { socket, writes } = recordingSocket();
    const peer = new Peer(info, socket, Buffer.alloc(0), peerSettings());
    peer.start();
    socket.push(encodeFrame(MessageType.PING, ping));
    await vi.advanceTimersByTimeAsync(0);
    const frames = new FrameDecoder({ compression: false }).push(Buffer.concat(writes));
    expect(frames.map((f) => f.type)).toEqual([MessageType.PING]);
    return Buffer.from(frames[0]!.payload);
  }

  it('is the same message with type PONG, byte for byte what encoding it would give', async () => {
    const ping = { type: PingType.PING, seq: 123456, pingTime: 1_700_000_000_123, netTime: 812_345_678 };
    const pong = await pongFor(encodeMessage('PING', ping));
    expect(pong).toEqual(encodeMessage('PING', { ...ping, type: PingType.PONG }));
    const decoded = decodeMessage(MessageType.PING, pong);
    expect(decoded.name === 'PING' && decoded.message.seq).toBe(123456);
  });

  it('keeps a field this node does not know, as rippled does when it sends the message back', async () => {
    // TMPing{type=PING, seq=5} followed by field 15 (varint 42), unknown to our schema.
    const ping = Buffer.concat([encodeMessage('PING', { type: PingType.PING, seq: 5 }), Buffer.from([0x78, 42])]);
    const pong = await pongFor(ping);
    expect(pong).toEqual(Buffer.concat([encodeMessage('PING', { type: PingType.PONG, seq: 5 }), Buffer.from([0x78, 42])]));
  });
});

describe('closed by the other side', () => {
  it('lets the socket go at once: no TLS shutdown of ours, no timer left behind', async () => {
    const { socket, writes, ended } = recordingSocket();
    const peer = new Peer(info, socket, Buffer.alloc(0), peerSettings());
    peer.start();
    socket.push(null); // their end of the stream
    await vi.advanceTimersByTimeAsync(0);
    expect(peer.closeReason).toEqual({ reason: 'remote-closed' });
    expect(socket.destroyed).toBe(true);
    expect(writes).toEqual([]);
    expect(ended()).toBe(false); // destroyed, not ended: no shutdown of ours
    expect(vi.getTimerCount()).toBe(0); // neither the ping tick nor a shutdown timer
  });
});
