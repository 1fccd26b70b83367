import { afterEach, describe, expect, it } from 'vitest';
import { crawlOf, portOf, PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

afterEach(stopAllNodes);

describe('two nodes over real TLS', () => {
  it('connect, ping each other and list each other in /crawl', async () => {
    const a = await startNode({ ip: '127.0.0.11' });
    const b = await startNode({ ip: '127.0.0.12', extra: `[ips]\n127.0.0.11 ${portOf(a)}` });
    const [pa] = await waitFor('a to see b', () => a.overlay.peers().length === 1 && a.overlay.peers());
    const [pb] = await waitFor('b to see a', () => b.overlay.peers().length === 1 && b.overlay.peers());
    expect(pa!.info.n9).toBe(b.identity.n9);
    expect(pb!.info.n9).toBe(a.identity.n9);
    expect(pa!.info.direction).toBe('in');
    expect(pb!.info.direction).toBe('out');
    expect(pa!.info.remoteIp).toBe('127.0.0.12');
    await waitFor('latency measured', () => pa!.latencyMs !== undefined && pb!.latencyMs !== undefined, 5000);
    // b advertises its listening port in TMEndpoints; a lists it once a TCP connect to it worked.
    await waitFor('b listening port verified', () => pa!.info.listeningPort !== undefined, 5000);
    const crawlA = await crawlOf(a);
    expect(crawlA.version).toBe(2);
    expect(crawlA.overlay.active).toHaveLength(1);
    expect(crawlA.overlay.active[0]).toMatchObject({ type: 'in', ip: '127.0.0.12', port: PEER_PORT, public_key: b.identity.publicKey.toString('base64') });
    expect(crawlA.overlay.active[0].port).not.toBe(pa!.info.remotePort);
    const crawlB = await crawlOf(b);
    expect(crawlB.overlay.active[0]).toMatchObject({ type: 'out', ip: '127.0.0.11', port: portOf(a) });
  });
});
