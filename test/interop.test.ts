/**
 * Our node against a peer written independently of our code (test/support/independent-peer.ts:
 * node:tls + elliptic only), both directions, TLS 1.2 and 1.3, then ping/pong over the link.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dialIndependent, IndieHandshakeError, type IndieServer, listenIndependent } from './support/independent-peer.js';
import { portOf, startNode, stopAllNodes, waitFor } from './support/nodes.js';

const servers: IndieServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await stopAllNodes();
});

describe.each(['TLSv1.2', 'TLSv1.3'] as const)('interop with an independent peer over %s', (tlsVersion) => {
  const ours = tlsVersion === 'TLSv1.2' ? '127.0.0.31' : '127.0.0.33';
  const theirs = tlsVersion === 'TLSv1.2' ? '127.0.0.32' : '127.0.0.34';

  it('accepts its inbound handshake and answers its pings', async () => {
    const node = await startNode({ ip: ours, extra: '[network_id]\n21338' });
    const conn = await dialIndependent({ host: ours, port: portOf(node), tlsVersion, networkId: 21338 });
    try {
      expect(conn.tlsProtocol).toBe(tlsVersion);
      expect(conn.remotePublicKeyN9).toBe(node.identity.n9);
      expect(conn.remoteStartLine).toBe('HTTP/1.1 101 Switching Protocols');
      expect(conn.remoteHeaders.list.map(([k]) => k).slice(0, 6)).toEqual(['Connection', 'Upgrade', 'Connect-As', 'Server', 'Crawl', 'X-Protocol-Ctl']);
      expect(conn.remoteHeaders.map['upgrade']).toBe('XRPL/2.2');
      expect(conn.remoteHeaders.map['network-id']).toBe('21338');
      await conn.ping(4242);
      const [peer] = await waitFor('the peer on our side', () => node.overlay.peers().length === 1 && node.overlay.peers());
      expect(peer!.info.n9).toBe(conn.publicKeyN9);
      expect(peer!.info.direction).toBe('in');
      expect(peer!.info.version).toBe('indie-peer-1');
      // Our node pings every 0.5 s in tests; the independent peer answers, so we get a latency.
      await waitFor('our ping answered', () => peer!.latencyMs !== undefined, 5000);
      expect(conn.pingsAnswered).toBeGreaterThan(0);
    } finally {
      await conn.close();
    }
  });

  it('dials it and completes the handshake as the client', async () => {
    const server = await listenIndependent({ host: theirs, tlsVersion, networkId: 21338 });
    servers.push(server);
    const node = await startNode({ ip: ours, extra: '[network_id]\n21338' });
    const accepted = server.nextConnection(5000);
    const peer = await node.overlay.connect(theirs, server.port, 'test');
    const conn = await accepted;
    expect(peer!.info.n9).toBe(server.publicKeyN9);
    expect(peer!.info.direction).toBe('out');
    expect(peer!.info.version).toBe('indie-peer-1');
    expect(conn.remotePublicKeyN9).toBe(node.identity.n9);
    expect(conn.tlsProtocol).toBe(tlsVersion);
    // The request came in rippled's header order.
    expect(conn.remoteHeaders.list.map(([k]) => k).slice(0, 9)).toEqual([
      'User-Agent',
      'Upgrade',
      'Connection',
      'Connect-As',
      'Crawl',
      'X-Protocol-Ctl',
      'Network-ID',
      'Network-Time',
      'Public-Key',
    ]);
    await conn.ping(77);
    await waitFor('our ping answered', () => peer!.latencyMs !== undefined, 5000);
  });
});

describe('handshake refusals over the wire', () => {
  it('answers a bad session signature with rippled 400 text', async () => {
    const node = await startNode({ ip: '127.0.0.35' });
    const err = await dialIndependent({ host: '127.0.0.35', port: portOf(node), signWrongDigest: true }).catch((e) => e);
    expect(err).toBeInstanceOf(IndieHandshakeError);
    expect(err.statusLine).toBe('HTTP/1.1 400 Bad Request (Failed to verify session)');
    expect(err.headers['connection']).toBe('close');
    expect(err.headers['remote-address']).toBe('127.0.0.1');
    expect(node.overlay.peers()).toHaveLength(0);
  });

  it('refuses a peer on another network, and the one without a version we speak', async () => {
    const node = await startNode({ ip: '127.0.0.36', extra: '[network_id]\n1' });
    const wrongNet = await dialIndependent({ host: '127.0.0.36', port: portOf(node), networkId: 2 }).catch((e) => e);
    expect(wrongNet.statusLine).toBe('HTTP/1.1 400 Bad Request (Peer is on a different network)');
    const noVersion = await dialIndependent({ host: '127.0.0.36', port: portOf(node), upgrade: 'XRPL/9.9' }).catch((e) => e);
    expect(noVersion.statusLine).toBe('HTTP/1.1 400 Bad Request (Unable to agree on a protocol version)');
  });

  it('does not list a refused peer, and keeps serving after refusals', async () => {
    const node = await startNode({ ip: '127.0.0.37' });
    for (let i = 0; i < 5; i++) await dialIndependent({ host: '127.0.0.37', port: portOf(node), signWrongDigest: true }).catch(() => {});
    const ok = await dialIndependent({ host: '127.0.0.37', port: portOf(node) });
    await ok.ping(1);
    await ok.close();
  });
});
