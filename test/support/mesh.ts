/**
 * A loopback network of our nodes for tests and the bench: node i dials the next `k` nodes around a
 * ring (a circulant graph), so each has 2k peers, and items take several hops to reach everyone.
 */
import type { Daemon } from '../../src/daemon.js';
import { PEER_PORT, startNode, waitFor } from './nodes.js';

export interface MeshSpec {
  /** First address, e.g. '127.0.114.100'; the nodes take consecutive last octets. */
  net: string;
  first: number;
  count: number;
  /** Each node dials this many next nodes around the ring (degree 2k; a full mesh when 2k ≥ count − 1). */
  k: number;
  extra?: string;
  overlay?: string[];
  /** How long to wait for every link (generous: many TLS handshakes on a loaded machine). */
  timeoutMs?: number;
}

export async function startMesh(spec: MeshSpec): Promise<Daemon[]> {
  const ip = (i: number) => `${spec.net}.${spec.first + (i % spec.count)}`;
  const degree = Math.min(2 * spec.k, spec.count - 1);
  const nodes: Daemon[] = [];
  for (let i = 0; i < spec.count; i++) {
    // Private nodes with every neighbour fixed, both ways: no autoconnect adds links beyond the mesh,
    // and whichever side dials first, the link is kept (the other dial is refused as a duplicate).
    const neighbours = new Set<string>();
    for (let d = 1; d <= spec.k; d++) {
      for (const j of [i + d, i - d + spec.count]) if (j % spec.count !== i) neighbours.add(ip(j));
    }
    nodes.push(
      await startNode({
        ip: ip(i),
        extra: ['[peer_private]\n1', `[ips_fixed]\n${[...neighbours].map((t) => `${t} ${PEER_PORT}`).join('\n')}`, spec.extra ?? ''].join('\n'),
        overlay: spec.overlay,
      }),
    );
  }
  await waitFor(`every node with ${degree} peers`, () => nodes.every((n) => n.overlay.peers().length === degree), spec.timeoutMs ?? 60_000, 50);
  return nodes;
}

/** Bytes our nodes sent of these message types, summed over every node and peer. */
export function bytesSent(nodes: Daemon[], types: number[]): number {
  let total = 0;
  for (const n of nodes) for (const p of n.overlay.peers()) for (const t of types) total += p.traffic.out.get(t)?.bytes ?? 0;
  return total;
}
