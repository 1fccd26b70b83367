/**
 * The discovery scenario of issue 17 on the simulated network, and what it measures.
 *
 * N nodes, each knowing only node 0 (the seed) in [ips], start within the first 10 s. A node is
 * "satisfied" when its outbound slots are full, or when it is connected to every other node
 * or when no node it is not yet connected to has a free inbound slot (12 nodes cannot give each
 * other 10 outbound peers each: 11 links is a full mesh). Measured:
 * when every node is satisfied, the share of links that do not touch the seed, the degree
 * distribution and the diameter; then one node (not the seed) is stopped and restarted with the
 * Bootcache it saved ("warm") and the same is measured for it alone.
 */
import type { Timers } from '../../config/timers.js';
import type { PeerFinderConfig } from '../manager.js';
import { SimNetwork, type SimNode } from './network.js';

export interface GraphStats {
  links: number;
  /** Share of links with neither end at the seed. */
  nonSeedShare: number;
  degreeMin: number;
  degreeMedian: number;
  degreeMax: number;
  /** Longest shortest path; Infinity when the graph is split. */
  diameter: number;
  /** Diameter once the seed is removed: is it still one network without it? */
  diameterWithoutSeed: number;
}

export interface ScenarioResult {
  nodes: number;
  /** Seconds from the first start until every node was satisfied; undefined: not within the run. */
  convergedAfterS?: number;
  atConvergence?: GraphStats;
  /** When the first phase stopped: at convergence, or at maxSeconds. */
  atStop: GraphStats;
  /** After the whole run. */
  end: GraphStats;
  /** Seconds until 90 % of the nodes had their outbound peers. */
  ninetyPercentAfterS?: number;
  /** Nodes that had their outbound peers at convergence, or at maxSeconds. */
  satisfiedNodes: number;
  /** The restarted node with a warm Bootcache: seconds until satisfied, and its links then. */
  warmRestart?: { satisfiedAfterS?: number; degree: number; seedLinks: number };
  /** Seconds simulated, and the wall-clock time they took. */
  simulatedS: number;
  wallMs: number;
  dials: number;
  redirects: number;
}

export interface ScenarioOptions {
  nodes: number;
  /** Longest simulated time before giving up on convergence (s). */
  maxSeconds?: number;
  /** Simulated time after convergence before the restart (s); 0: no restart. */
  settleSeconds?: number;
  seed?: number;
  timers?: Timers;
  config?: Partial<PeerFinderConfig>;
}

/**
 * Its outbound slots are full, or no node it is not connected to has a free inbound slot (a full
 * mesh, or every free slot is with a neighbour: only dropping peers could do better).
 */
export function satisfied(net: SimNetwork, node: SimNode): boolean {
  if (node.outCount() >= net.outMax) return true;
  const neighbours = new Set(node.neighbours());
  return !net.nodes.some((m) => m.up && m !== node && !neighbours.has(m) && m.degree() - m.outCount() < net.inMax);
}

export function graphStats(net: SimNetwork, seed: SimNode): GraphStats {
  const live = net.nodes.filter((n) => n.up);
  const links = net.links();
  const degrees = live.map((n) => n.degree()).sort((a, b) => a - b);
  return {
    links: links.length,
    nonSeedShare: links.length ? links.filter((l) => l.out !== seed && l.in !== seed).length / links.length : 0,
    degreeMin: degrees[0] ?? 0,
    degreeMedian: degrees[Math.floor(degrees.length / 2)] ?? 0,
    degreeMax: degrees[degrees.length - 1] ?? 0,
    diameter: diameter(live),
    diameterWithoutSeed: diameter(live.filter((n) => n !== seed), seed),
  };
}

function diameter(nodes: SimNode[], without?: SimNode): number {
  let worst = 0;
  for (const start of nodes) {
    const dist = new Map<SimNode, number>([[start, 0]]);
    const queue = [start];
    while (queue.length) {
      const n = queue.shift()!;
      for (const m of n.neighbours()) {
        if (m === without || dist.has(m)) continue;
        dist.set(m, dist.get(n)! + 1);
        queue.push(m);
      }
    }
    if (dist.size < nodes.length) return Infinity;
    for (const d of dist.values()) worst = Math.max(worst, d);
  }
  return worst;
}

export function runScenario(o: ScenarioOptions): ScenarioResult {
  const t0 = performance.now();
  const net = new SimNetwork({ seed: o.seed ?? 1, timers: o.timers, config: o.config });
  try {
    const seed = net.add([]);
    for (let i = 1; i < o.nodes; i++) net.add([seed.ep]);
    net.start(seed);
    // The others come up over the first 10 s, one or more a second.
    const waiting = net.nodes.slice(1);
    const perSecond = Math.ceil(waiting.length / 10);
    const maxSeconds = o.maxSeconds ?? 4 * 3600;
    let convergedAfterS: number | undefined;
    let ninetyPercentAfterS: number | undefined;
    const count = () => net.nodes.filter((n) => n.up && satisfied(net, n)).length;
    net.run(maxSeconds, () => {
      for (const n of waiting.splice(0, perSecond)) net.start(n);
      if (waiting.length > 0) return false;
      const done = count();
      if (ninetyPercentAfterS === undefined && done >= 0.9 * o.nodes) ninetyPercentAfterS = net.now / 1000;
      if (done < o.nodes) return false;
      convergedAfterS = net.now / 1000;
      return true;
    });
    const atConvergence = convergedAfterS === undefined ? undefined : graphStats(net, seed);
    const satisfiedNodes = count();
    const atStop = atConvergence ?? graphStats(net, seed);

    let warmRestart: ScenarioResult['warmRestart'];
    const settle = o.settleSeconds ?? 600;
    if (settle > 0) {
      net.run(settle);
      const node = net.nodes[Math.floor(o.nodes / 2)]!;
      net.stop(node);
      net.run(5);
      net.start(node, true);
      const from = net.now;
      let satisfiedAfterS: number | undefined;
      net.run(3600, () => {
        if (!satisfied(net, node)) return false;
        satisfiedAfterS = (net.now - from) / 1000;
        return true;
      });
      warmRestart = { satisfiedAfterS, degree: node.degree(), seedLinks: node.neighbours().filter((n) => n === seed).length };
    }
    return {
      nodes: o.nodes,
      convergedAfterS,
      atConvergence,
      atStop,
      end: graphStats(net, seed),
      warmRestart,
      ninetyPercentAfterS,
      satisfiedNodes,
      simulatedS: net.now / 1000,
      wallMs: Math.round(performance.now() - t0),
      dials: net.stats.dials,
      redirects: net.stats.redirects,
    };
  } finally {
    net.dispose();
  }
}
