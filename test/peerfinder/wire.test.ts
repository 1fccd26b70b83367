/**
 * PeerFinder on real sockets, where a unit test cannot show it: a fixed peer is dialled (and
 * redialled) by a node that has no other way to find it; an advertised port is believed only once
 * a TCP connect reaches it; a refused peer never shows in /crawl. Addresses: 127.0.109.x only.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { makeSelfSignedCertificate } from '../../src/identity/certificate.js';
import { NodeIdentity } from '../../src/identity/node-key.js';
import { ConnectError, dialPeer, type LocalNode } from '../../src/connect/handshake-io.js';
import { Peer } from '../../src/peer/peer.js';
import { NO_FEATURES } from '../../src/protocol/handshake.js';
import { makeSeed } from '../support/admin.js';
import { crawlOf, portOf, PEER_PORT, startNode, stopAllNodes, waitFor } from '../support/nodes.js';

afterEach(stopAllNodes);

function localNode(): LocalNode {
  return {
    identity: NodeIdentity.generate(),
    tls: makeSelfSignedCertificate(),
    userAgent: 'xrpl-overlay-test',
    crawlPublic: true,
    features: NO_FEATURES,
    instanceCookie: 9n,
  };
}

/** Our dialler as a bare peer on `from`, connected to the node `to`. */
async function harnessPeer(to: Daemon, from: string): Promise<{ peer: Peer; local: LocalNode }> {
  const local = localNode();
  const est = await dialPeer({ host: to.config.peerPort.ip, port: portOf(to), localAddress: from, local });
  const peer = new Peer(est.info, est.socket, est.rest, { pingIntervalMs: 60_000 });
  peer.start();
  return { peer, local };
}

describe('fixed peers on the wire', () => {
  it('a node whose only route to a peer is [ips_fixed] dials it, marks it fixed, and redials it after a loss', async () => {
    const A = '127.0.109.1';
    const B = '127.0.109.2';
    // A is private: it never advertises itself, so B can learn of it from nobody (A lets B in as a
    // cluster member, and never dials it). B's [ips] names a dead address, so its Bootcache holds that
    // and not A: only the fixed tier of autoconnect can reach A.
    const bKey = makeSeed();
    // Ephemeral ports (port 0) throughout, so that a second copy of the suite can run beside this one.
    const a = await startNode({ ip: A, port: 0, extra: `[peer_private]\n1\n[cluster_nodes]\n${bKey.n9} b` });
    const b = await startNode({ ip: B, port: 0, extra: `[node_seed]\n${bKey.seed}\n[ips]\n127.0.109.3 ${PEER_PORT}\n[ips_fixed]\n${A} ${portOf(a)}` });
    expect(b.overlay.bootcache.has({ ip: A, port: portOf(a) })).toBe(false);
    // Bound: start-up plus one dial; 10 s for a loaded machine (a dial here takes milliseconds).
    const [link] = await waitFor('B dials its fixed peer A', () => b.overlay.peers().length === 1 && b.overlay.peers(), 10_000);
    expect(link!.info.n9).toBe(a.identity.n9);
    expect(link!.info.direction).toBe('out');
    expect(link!.info.fixed).toBe(true);
    const lost = new Promise<string>((resolve) => b.overlay.once('fixedReconnect', resolve));
    for (const p of a.overlay.peers()) p.close({ reason: 'shutdown', detail: 'test: drop the fixed link' });
    expect(await lost).toBe(`${A}:${portOf(a)}`);
    // The redial waits out recent_attempt_interval (0.2 s in tests), then one dial.
    await waitFor('B back on A', () => b.overlay.peers().some((p) => p.info.n9 === a.identity.n9 && p !== link && !p.closed), 10_000);
  });
});

describe('the endpoint connect test', () => {
  it('a peer advertising a port it does not listen on is not listed with that port; one that listens is', async () => {
    const HUB = '127.0.109.10';
    const hub = await startNode({ ip: HUB, port: 0 });
    // Nothing listens on 127.0.109.11:51235.
    const liar = await harnessPeer(hub, '127.0.109.11');
    // 127.0.109.12 listens on an ephemeral port (plain TCP is all the test needs).
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.109.12', r));
    const honestPort = (server.address() as net.AddressInfo).port;
    try {
      const honest = await harnessPeer(hub, '127.0.109.12');
      await waitFor('both active on the hub', () => hub.overlay.peers().length === 2, 10_000);
      liar.peer.send('ENDPOINTS', { version: 2, endpoints_v2: [{ endpoint: `[::]:${PEER_PORT}`, hops: 0 }] });
      honest.peer.send('ENDPOINTS', { version: 2, endpoints_v2: [{ endpoint: `[::]:${honestPort}`, hops: 0 }] });
      const onHub = (n9: string) => hub.overlay.peers().find((p) => p.info.n9 === n9)!;
      // The failed test is recorded as a Bootcache failure of the advertised address.
      await waitFor('the liar’s test to fail', () => hub.overlay.bootcache.valence({ ip: '127.0.109.11', port: PEER_PORT }) === -1, 10_000);
      await waitFor('the honest port verified', () => onHub(honest.local.identity.n9).info.listeningPort === honestPort, 10_000);
      expect(onHub(liar.local.identity.n9).info.listeningPort).toBeUndefined();
      const active: { public_key: string; ip?: string; port?: number }[] = (await crawlOf(hub)).overlay.active;
      const entry = (l: LocalNode) => active.find((e) => e.public_key === l.identity.publicKey.toString('base64'));
      expect(entry(liar.local)).toMatchObject({ ip: '127.0.109.11' });
      expect(entry(liar.local)!.port).toBeUndefined();
      expect(entry(honest.local)).toMatchObject({ ip: '127.0.109.12', port: honestPort });
    } finally {
      server.close();
    }
  });
});

describe('/crawl and refused peers', () => {
  it('a peer refused for want of a slot is in neither peers() nor /crawl', async () => {
    const HUB = '127.0.109.20';
    const hub = await startNode({ ip: HUB, port: 0, extra: '[peers_in_max]\n1\n[peers_out_max]\n10' });
    const first = await harnessPeer(hub, '127.0.109.21');
    await waitFor('the first peer active', () => hub.overlay.peers().length === 1, 10_000);
    const refused = await harnessPeer(hub, '127.0.109.22').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).status).toBe(503);
    const keys = (await crawlOf(hub)).overlay.active.map((e: { public_key: string }) => e.public_key);
    expect(keys).toEqual([first.local.identity.publicKey.toString('base64')]);
    expect(hub.overlay.peers().map((p) => p.info.n9)).toEqual([first.local.identity.n9]);
  });
});
