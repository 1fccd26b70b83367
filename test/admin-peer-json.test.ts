/**
 * One peer in the admin `peers` answer (rippled PeerImp::json): each number under its own name and
 * in rippled's unit. Distinct values, so that a swap or a unit slip changes the answer.
 */
import { describe, expect, it } from 'vitest';
import { type AdminContext, peerJson } from '../src/admin/handlers.js';
import type { Peer } from '../src/peer/peer.js';

function fakePeer(over: Partial<Record<string, unknown>> = {}): Peer {
  return {
    info: { n9: 'n9Test', remoteIp: '127.0.109.40', remotePort: 40000, direction: 'in', publicKey: Buffer.alloc(33, 2) },
    resource: { balance: 0 },
    protocolName: 'XRPL/2.2',
    latencyMs: undefined,
    uptimeSeconds: 5,
    ledger: { updatedAt: 0 },
    traffic: { bytesIn: 0, bytesOut: 0 },
    ...over,
  } as unknown as Peer;
}

const ctx = {
  overlay: { cluster: [] },
  watch: { trackingOf: () => 'unknown', ratesOf: () => ({ recv: 11, sent: 22 }) },
} as unknown as AdminContext;

describe('peers: one peer', () => {
  it('total_bytes_recv is what we received from the peer, total_bytes_sent what we sent it', () => {
    const j = peerJson(ctx, fakePeer({ traffic: { bytesIn: 123_456, bytesOut: 789 } }));
    expect(j.metrics).toEqual({ total_bytes_recv: '123456', total_bytes_sent: '789', avg_bps_recv: '11', avg_bps_sent: '22' });
  });

  it('latency is in whole milliseconds (rippled: the ping round trip in ms)', () => {
    expect(peerJson(ctx, fakePeer({ latencyMs: 123.4 })).latency).toBe(123);
    expect(peerJson(ctx, fakePeer({ latencyMs: 0.6 })).latency).toBe(1);
    expect(peerJson(ctx, fakePeer())).not.toHaveProperty('latency');
  });
});
