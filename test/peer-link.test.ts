/**
 * Two instances of our own code over real TLS: our dialler against our daemon on TLS 1.2 and 1.3
 * (both roles are ours), ping/pong both ways, and the ping timeout that drops a silent peer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeSelfSignedCertificate } from '../src/identity/certificate.js';
import { NodeIdentity } from '../src/identity/node-key.js';
import { dialPeer, type LocalNode } from '../src/connect/handshake-io.js';
import { Peer } from '../src/peer/peer.js';
import { describeClose, type PeerClose } from '../src/peer/reasons.js';
import { NO_FEATURES } from '../src/protocol/handshake.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

afterEach(stopAllNodes);

function localNode(): LocalNode {
  return {
    identity: NodeIdentity.generate(),
    tls: makeSelfSignedCertificate(),
    userAgent: 'xrpl-overlay-test',
    crawlPublic: true,
    features: { ...NO_FEATURES, compression: true },
    instanceCookie: 7n,
    networkId: 21338,
  };
}

describe.each(['TLSv1.2', 'TLSv1.3'] as const)('our dialler and our daemon over %s', (version) => {
  const ip = version === 'TLSv1.2' ? '127.0.10.51' : '127.0.10.52';

  it('handshake, negotiate, and ping both ways', async () => {
    const node = await startNode({ ip, extra: '[network_id]\n21338\n[compression]\n1' });
    const local = localNode();
    const est = await dialPeer({ host: ip, port: PEER_PORT, local, tlsMaxVersion: version });
    expect(est.socket.getProtocol()).toBe(version);
    expect(est.info.n9).toBe(node.identity.n9);
    expect(est.info.protocol).toEqual({ major: 2, minor: 2 });
    expect(est.info.features.compression).toBe(true);
    expect(est.info.networkId).toBe(21338);
    const client = new Peer(est.info, est.socket, est.rest, { pingIntervalMs: 200 });
    client.start();
    try {
      const [server] = await waitFor('the server side', () => node.overlay.peers().length === 1 && node.overlay.peers());
      expect(server!.info.n9).toBe(local.identity.n9);
      expect(server!.info.features.compression).toBe(true);
      await waitFor('both latencies', () => client.latencyMs !== undefined && server!.latencyMs !== undefined, 5000);
      expect(client.latencyMs!).toBeLessThan(1000);
    } finally {
      client.close({ reason: 'shutdown' });
    }
  });
});

describe('liveness', () => {
  it('drops a peer that does not answer its ping (Ping Timeout)', async () => {
    const node = await startNode({ ip: '127.0.10.53', overlay: ['ping_interval = 0.2'] });
    const est = await dialPeer({ host: '127.0.10.53', port: PEER_PORT, local: localNode() });
    est.socket.resume(); // read and discard: never answer
    const [server] = await waitFor('the server side', () => node.overlay.peers().length === 1 && node.overlay.peers());
    const reason = await new Promise<PeerClose>((resolve) => server!.once('close', resolve));
    expect(reason).toEqual({ reason: 'ping-timeout' });
    expect(describeClose(reason)).toBe('Ping Timeout');
    expect(node.overlay.peers()).toHaveLength(0);
    est.socket.destroy();
  });

  it('ends a connection that sends an undecodable known message, and keeps serving', async () => {
    const node = await startNode({ ip: '127.0.10.54' });
    const est = await dialPeer({ host: '127.0.10.54', port: PEER_PORT, local: localNode() });
    const [server] = await waitFor('the server side', () => node.overlay.peers().length === 1 && node.overlay.peers());
    const closed = new Promise<PeerClose>((resolve) => server!.once('close', resolve));
    // A TMPing (type 3) frame whose payload lacks the required `type` field.
    est.socket.write(Buffer.from('00000003000310e807', 'hex'));
    expect((await closed).reason).toBe('malformed-message');
    est.socket.destroy();
    const again = await dialPeer({ host: '127.0.10.54', port: PEER_PORT, local: localNode() });
    await waitFor('a new peer', () => node.overlay.peers().length === 1);
    again.socket.destroy();
  });

  it('skips unknown message types and ends the connection on an oversized frame', async () => {
    const node = await startNode({ ip: '127.0.10.55' });
    const est = await dialPeer({ host: '127.0.10.55', port: PEER_PORT, local: localNode() });
    const [server] = await waitFor('the server side', () => node.overlay.peers().length === 1 && node.overlay.peers());
    est.socket.write(Buffer.from('000000020063abcd', 'hex')); // type 99, 2 bytes: skipped
    await new Promise((r) => setTimeout(r, 100));
    expect(server!.closed).toBe(false);
    const closed = new Promise<PeerClose>((resolve) => server!.once('close', resolve));
    est.socket.write(Buffer.from('040000010003', 'hex')); // 64 MiB + 1
    expect((await closed).reason).toBe('bad-frame');
    est.socket.destroy();
  });
});

describe('slots and fixed peers', () => {
  it('a fixed peer is accepted inbound even when inbound slots are full; others get 503', async () => {
    // 127.0.10.57 is fixed for the hub, but nothing listens there: the only link is the one it dials in.
    const hub = await startNode({ ip: '127.0.10.56', extra: `[peers_in_max]\n0\n[peers_out_max]\n10\n[ips_fixed]\n127.0.10.57 ${PEER_PORT}` });
    const fixed = await dialPeer({ host: '127.0.10.56', port: PEER_PORT, localAddress: '127.0.10.57', local: localNode() });
    const [peer] = await waitFor('the fixed peer on the hub', () => hub.overlay.peers().length === 1 && hub.overlay.peers(), 5000);
    expect(peer!.info.direction).toBe('in');
    expect(peer!.info.fixed).toBe(true);
    expect(hub.overlay.slotCounts()).toEqual({ in: 0, out: 0 });
    const other = await dialPeer({ host: '127.0.10.56', port: PEER_PORT, localAddress: '127.0.10.58', local: localNode() }).catch((e) => e);
    expect(other.status).toBe(503);
    fixed.socket.destroy();
  });
});
