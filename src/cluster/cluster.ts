/**
 * Cluster status, as rippled's Cluster and NetworkOPs::processClusterTimer keep it: each member of
 * [cluster_nodes] (and this node) with its name, last reported load fee and report time. Members
 * exchange TMCluster; the cluster fee is the median of the fees reported in the last 90 s.
 * Only configured members are kept: a member cannot make us remember keys without bound.
 */
import type { TMCluster } from '../protocol/messages.js';

/** rippled's LoadFeeTrack lftNormalFee / loadBase: 256 is "no extra load". */
export const LOAD_BASE = 256;
/** Reports older than this do not count toward the cluster fee (rippled: 90 s). */
export const CLUSTER_FEE_WINDOW_S = 90;

export interface ClusterNodeStatus {
  n9: string;
  name: string;
  loadFee: number;
  /** Network time (seconds since the Ripple epoch) of the report; 0 when none yet. */
  reportTime: number;
}

export class ClusterState {
  private readonly nodes = new Map<string, ClusterNodeStatus>();
  /** Median of the fees reported in the last 90 s; 0 when none (rippled's setClusterFee). */
  clusterFee = 0;

  constructor(
    private readonly self: string,
    members: readonly { n9: string; name?: string }[],
    /** Network time, seconds. */
    private readonly netNow: () => number,
  ) {
    for (const m of members) this.nodes.set(m.n9, { n9: m.n9, name: m.name ?? '', loadFee: 0, reportTime: 0 });
  }

  isMember(n9: string): boolean {
    return n9 !== this.self && this.nodes.has(n9);
  }

  /** rippled's Cluster::update: only a newer report replaces one; an empty name keeps the old. */
  update(n9: string, name: string, loadFee: number, reportTime: number): boolean {
    const old = this.nodes.get(n9);
    if (!old && n9 !== this.self) return false;
    if (old && reportTime <= old.reportTime) return false;
    this.nodes.set(n9, { n9, name: name || old?.name || '', loadFee, reportTime });
    return true;
  }

  /**
   * Our own report (processClusterTimer): our load fee now, and the TMCluster of every node's status
   * to send to the members; undefined when too soon (same second as the last one).
   */
  report(localFee: number): TMCluster | undefined {
    if (!this.update(this.self, '', localFee, this.netNow())) return undefined;
    const clusterNodes = [...this.nodes.values()].map((n) => {
      const node: TMCluster['clusterNodes'][number] = { publicKey: n.n9, reportTime: n.reportTime, nodeLoad: n.loadFee };
      if (n.name) node.nodeName = n.name;
      return node;
    });
    return { clusterNodes, loadSources: [] };
  }

  /** A TMCluster from a member: its reports applied, and the cluster fee recomputed. */
  onCluster(m: TMCluster): void {
    for (const n of m.clusterNodes) this.update(n.publicKey, n.nodeName ?? '', n.nodeLoad, n.reportTime);
    const since = this.netNow() - CLUSTER_FEE_WINDOW_S;
    const fees = [...this.nodes.values()].filter((n) => n.reportTime >= since && n.reportTime > 0).map((n) => n.loadFee);
    fees.sort((a, b) => a - b);
    this.clusterFee = fees.length ? fees[Math.floor(fees.length / 2)]! : 0;
  }

  /** Peers.cpp's `cluster` section: every member but us, `tag` its name, `fee` when not normal, `age` once reported. */
  peersJson(): Record<string, { tag?: string; fee?: number; age?: number }> {
    const now = this.netNow();
    const out: Record<string, { tag?: string; fee?: number; age?: number }> = {};
    for (const n of this.nodes.values()) {
      if (n.n9 === this.self) continue;
      const j: { tag?: string; fee?: number; age?: number } = {};
      if (n.name) j.tag = n.name;
      if (n.loadFee !== LOAD_BASE && n.loadFee !== 0) j.fee = n.loadFee / LOAD_BASE;
      if (n.reportTime !== 0) j.age = n.reportTime >= now ? 0 : now - n.reportTime;
      out[n.n9] = j;
    }
    return out;
  }

  get(n9: string): ClusterNodeStatus | undefined {
    return this.nodes.get(n9);
  }
}
