/**
 * A two-node cluster on real sockets (127.0.114.100–.109): each lists the other in [cluster_nodes];
 * they exchange TMCluster every cluster_interval, report each other's status in admin `peers`,
 * and share load fees (the cluster fee is the median of the members' recent fees). A TMCluster
 * from a peer outside the cluster is charged feeUnwantedData, as rippled does.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Daemon } from '../src/daemon.js';
import { networkTimeNow } from '../src/protocol/handshake.js';
import { makeSeed } from './support/admin.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

afterEach(() => {
  vi.restoreAllMocks();
  return stopAllNodes();
});

const NET = '127.0.114';
// The `cluster` section of admin `peers` (handlers.ts returns exactly this).
const peersOf = (d: Daemon) => ({ cluster: d.overlay.cluster.peersJson() });

describe('cluster', () => {
  it('members exchange TMCluster: names, report age and load fees; the cluster fee is the median', async () => {
    const aKey = makeSeed();
    const bKey = makeSeed();
    const A = `${NET}.100`;
    const a = await startNode({ ip: A, extra: `[node_seed]\n${aKey.seed}\n[cluster_nodes]\n${bKey.n9} hub-b`, overlay: ['cluster_interval = 0.2'] });
    const b = await startNode({
      ip: `${NET}.101`,
      extra: `[node_seed]\n${bKey.seed}\n[cluster_nodes]\n${aKey.n9} hub-a\n[ips_fixed]\n${A} ${PEER_PORT}`,
      overlay: ['cluster_interval = 0.2'],
    });
    await waitFor('connected', () => a.overlay.peers().length === 1 && b.overlay.peers().length === 1);
    expect(a.overlay.peers()[0]!.info.cluster).toBe(true);
    // Each has the other's report: name as tag, an age, no fee (both report the normal fee, 256).
    await waitFor('b reported to a', () => a.overlay.cluster.get(bKey.n9)!.reportTime > 0 && b.overlay.cluster.get(aKey.n9)!.reportTime > 0);
    const fromA = peersOf(a).cluster as Record<string, any>;
    expect(Object.keys(fromA)).toEqual([bKey.n9]);
    expect(fromA[bKey.n9].tag).toBe('hub-b');
    expect(fromA[bKey.n9].age).toBeGreaterThanOrEqual(0);
    expect(fromA[bKey.n9].age).toBeLessThanOrEqual(5); // reports every 0.2 s; generous for a loaded machine
    expect(fromA[bKey.n9]).not.toHaveProperty('fee');
    expect(a.overlay.cluster.get(bKey.n9)!.loadFee).toBe(256);
    expect(a.overlay.cluster.clusterFee).toBe(256);

    // b under load reports 512 (twice the base): a shows fee 2 and takes the median of {256, 512} = 512.
    b.overlay.peers()[0]!.send('CLUSTER', { clusterNodes: [{ publicKey: bKey.n9, reportTime: networkTimeNow() + 5, nodeLoad: 512 }], loadSources: [] });
    await waitFor('the fee shared', () => a.overlay.cluster.get(bKey.n9)!.loadFee === 512);
    expect((peersOf(a).cluster as any)[bKey.n9].fee).toBe(2);
    expect(a.overlay.cluster.clusterFee).toBe(512);
    // An older report does not replace a newer one (rippled's Cluster::update).
    b.overlay.peers()[0]!.send('CLUSTER', { clusterNodes: [{ publicKey: bKey.n9, reportTime: 1, nodeLoad: 9999 }], loadSources: [] });
    const ping = 4242;
    b.overlay.peers()[0]!.send('PING', { type: 0, seq: ping });
    await new Promise((r) => setTimeout(r, 200));
    expect(a.overlay.cluster.get(bKey.n9)!.loadFee).toBe(512);
  });

  it('a TMCluster from a peer outside the cluster is charged feeUnwantedData; a member\'s is not', async () => {
    const bKey = makeSeed();
    const A = `${NET}.105`;
    const a = await startNode({ ip: A, extra: `[cluster_nodes]\n${bKey.n9} hub-b` });
    const b = await startNode({ ip: `${NET}.106`, extra: `[node_seed]\n${bKey.seed}\n[ips_fixed]\n${A} ${PEER_PORT}` });
    const c = await startNode({ ip: `${NET}.107`, extra: `[ips_fixed]\n${A} ${PEER_PORT}` });
    await waitFor('connected', () => a.overlay.peers().length === 2 && b.overlay.peers().length === 1 && c.overlay.peers().length === 1);
    const atA = (d: Daemon) => a.overlay.peers().find((p) => p.info.n9 === d.identity.n9)!;
    const chargeB = vi.spyOn(atA(b), 'charge');
    const chargeC = vi.spyOn(atA(c), 'charge');
    const m = { clusterNodes: [{ publicKey: bKey.n9, reportTime: networkTimeNow(), nodeLoad: 256 }], loadSources: [] };
    b.overlay.peers()[0]!.send('CLUSTER', m);
    c.overlay.peers()[0]!.send('CLUSTER', { ...m, clusterNodes: [{ publicKey: c.identity.n9, reportTime: networkTimeNow(), nodeLoad: 256 }] });
    await waitFor('c charged', () => chargeC.mock.calls.some((x) => x[1] === 'unknown cluster'));
    expect(chargeC.mock.calls.find((x) => x[1] === 'unknown cluster')![0].cost).toBe(150);
    await waitFor('b applied', () => a.overlay.cluster.get(bKey.n9)!.reportTime > 0);
    expect(chargeB.mock.calls.some((x) => x[1] === 'unknown cluster')).toBe(false);
    // c's key is not a member: not remembered.
    expect(a.overlay.cluster.get(c.identity.n9)).toBeUndefined();
  });
});
