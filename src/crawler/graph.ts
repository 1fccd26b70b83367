/**
 * The network as the crawl sees it: one node per key, one edge per pair of nodes, joining what each end
 * says about the link. A host that answered without telling its key (no `server` section) is kept under
 * its address until some neighbour names the key that lives there, and is then merged into that node.
 *
 * Memory is bounded by `maxNodes`: past it, newly named neighbours are counted but not kept.
 */
import { splitHostPort } from '../address/address.js';
import type { CrawlAnswer, PeerReport } from './answer.js';

export type CrawlStatus = 'answered' | 'failed' | 'not-queried';

export interface FoundHow {
  how: 'seed' | 'peer';
  /** The node whose answer named this one first (for `peer`). */
  via?: string;
  /** Hops from the nearest seed. */
  depth: number;
}

export interface NetworkNode {
  /** The key (`n9…`), or `addr:HOST:PORT` for a host whose key is not known. */
  id: string;
  key?: string;
  /** `ip:port` when the listening port is known, else the bare IP. None for peers listed without address. */
  addresses: string[];
  /** The software as its neighbours name it (`rippled-3.1.2`), else its own build_version. */
  version?: string;
  buildVersion?: string;
  uptime?: number;
  completeLedgers?: string;
  serverState?: string;
  networkId?: number;
  /** Peers it says it has (server.peers). */
  peerCount?: number;
  reachable: boolean;
  crawl: CrawlStatus;
  error?: string;
  found: FoundHow;
}

export type EdgeDirection = 'known' | 'unknown' | 'both';

/** `source` dialled `target` when direction is `known`; `both`: each end says it dialled the other. */
export interface NetworkEdge {
  source: string;
  target: string;
  direction: EdgeDirection;
  /** The nodes whose answers list this link (one or both ends). */
  reportedBy: string[];
}

interface NodeState extends NetworkNode {
  versions: Map<string, number>;
}

interface EdgeState {
  a: string;
  b: string;
  /** reporter id → the dialler it names ('?' when the entry had no type). */
  claims: Map<string, string>;
}

const pairKey = (x: string, y: string) => (x < y ? `${x}|${y}` : `${y}|${x}`);

export const addressId = (hostPort: string) => `addr:${hostPort}`;

/** Addresses kept per node: a node listed under endless ports must not make endless work. */
export const MAX_ADDRESSES_PER_NODE = 8;

export class NetworkGraph {
  private readonly nodes = new Map<string, NodeState>();
  private readonly byAddress = new Map<string, string>();
  private readonly edges = new Map<string, EdgeState>();
  /** Neighbours not kept because maxNodes was reached. */
  dropped = 0;

  constructor(private readonly maxNodes = 10_000) {}

  get size(): number {
    return this.nodes.size;
  }

  node(id: string): NetworkNode | undefined {
    return this.nodes.get(id);
  }

  /** The node at `ip:port`, when one is known there. */
  nodeAt(hostPort: string): NetworkNode | undefined {
    const id = this.byAddress.get(hostPort);
    return id ? this.nodes.get(id) : undefined;
  }

  addSeed(hostPort: string): NetworkNode {
    const known = this.nodeAt(hostPort);
    if (known) return known;
    const node = this.create(addressId(hostPort), { how: 'seed', depth: 0 });
    this.addAddress(node, hostPort);
    return node;
  }

  /** What the host at `hostPort` answered. Returns the node it is now. */
  recordAnswer(hostPort: string, answer: CrawlAnswer): NetworkNode {
    let node = this.nodes.get(this.byAddress.get(hostPort) ?? '') ?? this.create(addressId(hostPort), { how: 'seed', depth: 0 });
    const key = answer.server?.key;
    if (key && node.key !== key) {
      const keyed = this.nodes.get(key);
      if (node.key) {
        // Another node than the one its neighbours placed here answered: keep them apart.
        node = keyed ?? Object.assign(this.create(key, node.found), { key });
      } else if (keyed) {
        this.mergeInto(node, keyed);
        node = keyed;
      } else {
        node = this.rekey(node, key);
      }
    }
    this.addAddress(node, hostPort);
    node.reachable = true;
    node.crawl = 'answered';
    delete node.error;
    const s = answer.server;
    if (s) {
      if (s.buildVersion) node.buildVersion = s.buildVersion;
      if (s.uptime !== undefined) node.uptime = s.uptime;
      if (s.completeLedgers) node.completeLedgers = s.completeLedgers;
      if (s.serverState) node.serverState = s.serverState;
      if (s.networkId !== undefined) node.networkId = s.networkId;
      if (s.peers !== undefined) node.peerCount = s.peers;
    }
    for (const p of answer.peers ?? []) this.recordPeer(node, p);
    return node;
  }

  recordFailure(hostPort: string, error: string): void {
    const node = this.nodeAt(hostPort);
    if (!node || node.crawl === 'answered') return;
    node.crawl = 'failed';
    node.error = error;
  }

  private recordPeer(reporter: NodeState, p: PeerReport): void {
    if (p.key === reporter.key) return;
    let peer = this.nodes.get(p.key);
    if (!peer) {
      if (this.nodes.size >= this.maxNodes) {
        this.dropped++;
        return;
      }
      peer = this.create(p.key, { how: 'peer', via: reporter.id, depth: reporter.found.depth + 1 });
      peer.key = p.key;
    }
    if (p.ip) {
      if (p.port !== undefined) this.addAddress(peer, hostPortText(p.ip, p.port));
      else if (peer.addresses.length < MAX_ADDRESSES_PER_NODE && !peer.addresses.some((a) => hostOf(a) === p.ip)) peer.addresses.push(p.ip);
    }
    // Guard against merges that made `peer` the reporter itself.
    if (peer === reporter) return;
    if (p.version) peer.versions.set(p.version, (peer.versions.get(p.version) ?? 0) + 1);
    if (p.completeLedgers && !peer.completeLedgers) peer.completeLedgers = p.completeLedgers;
    const dialler = p.type === 'out' ? reporter.id : p.type === 'in' ? peer.id : '?';
    const k = pairKey(reporter.id, peer.id);
    let edge = this.edges.get(k);
    if (!edge) {
      edge = { a: reporter.id, b: peer.id, claims: new Map() };
      this.edges.set(k, edge);
    }
    edge.claims.set(reporter.id, dialler);
  }

  private create(id: string, found: FoundHow): NodeState {
    const node: NodeState = { id, addresses: [], reachable: false, crawl: 'not-queried', found, versions: new Map() };
    this.nodes.set(id, node);
    return node;
  }

  /** Adds `ip:port` to a node; a keyless node already at that address is merged in. */
  private addAddress(node: NodeState, addr: string): void {
    const other = this.nodes.get(this.byAddress.get(addr) ?? '');
    if (other && other !== node) {
      // A keyless placeholder at this address is this node. Two keys at one address: both keep it.
      if (!other.key) this.mergeInto(other, node);
    } else if (!other) {
      this.byAddress.set(addr, node.id);
    }
    if (!node.addresses.includes(addr)) {
      if (node.addresses.length >= MAX_ADDRESSES_PER_NODE) return;
      node.addresses.push(addr);
    }
    // A bare IP is superseded by an ip:port on it.
    const ip = hostOf(addr);
    node.addresses = node.addresses.filter((a) => a !== ip || a === addr);
  }

  private rekey(node: NodeState, key: string): NodeState {
    const oldId = node.id;
    this.nodes.delete(oldId);
    node.id = key;
    node.key = key;
    this.nodes.set(key, node);
    this.renameEverywhere(oldId, key);
    return node;
  }

  /** `from` is the same node as `into`: move its addresses, facts and links over. */
  private mergeInto(from: NodeState, into: NodeState): void {
    if (from === into) return;
    this.nodes.delete(from.id);
    for (const a of from.addresses) if (!into.addresses.includes(a)) into.addresses.push(a);
    if (from.reachable) {
      into.reachable = true;
      into.crawl = 'answered';
    } else if (into.crawl === 'not-queried' && from.crawl === 'failed') {
      into.crawl = 'failed';
      if (from.error) into.error = from.error;
    }
    if (from.found.depth < into.found.depth || from.found.how === 'seed') into.found = from.found;
    for (const k of ['buildVersion', 'uptime', 'completeLedgers', 'serverState', 'networkId', 'peerCount'] as const) {
      if (into[k] === undefined && from[k] !== undefined) (into as unknown as Record<string, unknown>)[k] = from[k];
    }
    for (const [v, n] of from.versions) into.versions.set(v, (into.versions.get(v) ?? 0) + n);
    this.renameEverywhere(from.id, into.id);
  }

  private renameEverywhere(oldId: string, newId: string): void {
    for (const [a, id] of this.byAddress) if (id === oldId) this.byAddress.set(a, newId);
    for (const n of this.nodes.values()) if (n.found.via === oldId) n.found = { ...n.found, via: newId };
    for (const [k, e] of [...this.edges]) {
      if (e.a !== oldId && e.b !== oldId) continue;
      this.edges.delete(k);
      const a = e.a === oldId ? newId : e.a;
      const b = e.b === oldId ? newId : e.b;
      if (a === b) continue;
      const claims = new Map([...e.claims].map(([r, d]) => [r === oldId ? newId : r, d === oldId ? newId : d]));
      const nk = pairKey(a, b);
      const existing = this.edges.get(nk);
      if (existing) for (const [r, d] of claims) existing.claims.set(r, d);
      else this.edges.set(nk, { a, b, claims });
    }
  }

  /** Nodes and edges in a stable order (by id). */
  snapshot(): { nodes: NetworkNode[]; edges: NetworkEdge[] } {
    const nodes = [...this.nodes.values()]
      .map(({ versions, ...n }): NetworkNode => {
        const reported = [...versions].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]?.[0];
        const version = reported ?? n.buildVersion;
        return version ? { ...n, version, addresses: [...n.addresses].sort() } : { ...n, addresses: [...n.addresses].sort() };
      })
      .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    const edges = [...this.edges.values()].map(edgeOf).sort((x, y) => (x.source + x.target < y.source + y.target ? -1 : 1));
    return { nodes, edges };
  }
}

function edgeOf(e: EdgeState): NetworkEdge {
  const diallers = new Set([...e.claims.values()].filter((d) => d !== '?'));
  const reportedBy = [...e.claims.keys()].sort();
  const [a, b] = e.a < e.b ? [e.a, e.b] : [e.b, e.a];
  if (diallers.size === 0) return { source: a, target: b, direction: 'unknown', reportedBy };
  if (diallers.size > 1) return { source: a, target: b, direction: 'both', reportedBy };
  const source = [...diallers][0]!;
  return { source, target: source === a ? b : a, direction: 'known', reportedBy };
}

export function hostPortText(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The host part of `ip:port`, `[v6]:port`, or a bare IP. */
export function hostOf(addr: string): string {
  return splitHostPort(addr)?.host ?? addr;
}
