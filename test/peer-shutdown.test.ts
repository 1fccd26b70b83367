/**
 * shutdown_timeout (rippled PeerImp shutdownTimerInterval, 5 s): a peer we close has this long to
 * take our close before its socket is cut. On fake timers, with a stream that never finishes closing.
 */
import { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Peer, type PeerInfo } from '../src/peer/peer.js';
import { NO_FEATURES } from '../src/protocol/handshake.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A connection whose far end never closes: only destroy() ends it. */
function stuckSocket(): Duplex {
  return new Duplex({ read() {}, write(_chunk, _enc, cb) { cb(); } });
}

const info = { n9: 'n9Test', remoteIp: '127.0.109.70', remotePort: 1, direction: 'in', features: NO_FEATURES } as unknown as PeerInfo;

describe('closing a peer', () => {
  it('cuts the socket shutdown_timeout after close(), not before', () => {
    const socket = stuckSocket();
    const peer = new Peer(info, socket, Buffer.alloc(0), { shutdownTimeoutMs: 3000 });
    peer.close({ reason: 'shutdown' });
    vi.advanceTimersByTime(2999);
    expect(socket.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(socket.destroyed).toBe(true);
  });

  it('defaults to rippled’s 5 s', () => {
    const socket = stuckSocket();
    new Peer(info, socket, Buffer.alloc(0)).close({ reason: 'shutdown' });
    vi.advanceTimersByTime(4999);
    expect(socket.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(socket.destroyed).toBe(true);
  });
});
