/**
 * Network scale (issue 15, item 4): 100 of our nodes (10 with --quick), each in its own OS process
 * with its own [port_peer] on 127.0.152.x, all knowing only the seed (127.0.152.1) in [ips], rippled's
 * defaults otherwise (10 outbound and 11 inbound slots, every timer). The nodes are started on the
 * discovery simulation's schedule (the seed, then the others spread over 10 s), so the time until
 * every node has its outbound peers is comparable with the simulation's for the same count
 * (src/peerfinder/sim, same defaults): real sockets and processes against a manual clock.
 *
 * Rows: that time (and that the graph is then one connected mesh); RSS per node against a bare Node
 * process; the nodes' CPU while idle; how long a validation injected at one node by a harness
 * validator peer (from 127.0.153.1) takes to be accepted by every node (its first acceptance: the
 * overlay's `verifiedItem`), and that each node accepted and relayed it once and sent it to no peer
 * twice (from the differences of its counters). Two validators: the first one's validation warms the
 * path up, the second one's is measured. Both keys are in every node's [validators] (trusted, as a
 * UNL would make them), so no relay policy could hold them back ([relay_validations] stays at its
 * default, all).
 *
 * How the nodes run: one process each, started from an esbuild bundle (bench/network/bundle.ts), not
 * one TypeScript loader each; the start cost (fork to code loaded) is in the first row's note.
 */
import { fileURLToPath } from 'node:url';
import { dialPeer } from '../src/connect/handshake-io.js';
import { parseConfig, slotLimits } from '../src/config/config.js';
import { makeSelfSignedCertificate } from '../src/identity/certificate.js';
import { NodeIdentity } from '../src/identity/node-key.js';
import { NO_FEATURES } from '../src/protocol/handshake.js';
import { encodeFrame } from '../src/protocol/framing.js';
import { encodeMessage } from '../src/protocol/codec.js';
import { MessageType } from '../src/protocol/message-types.js';
import { runScenario } from '../src/peerfinder/sim/scenario.js';
import { LedgerChain, netNow, TestKey, TestValidator } from '../test/support/validators.js';
import { bundle } from './network/bundle.js';
import { bareProcessRss, forkNodes, type NodeProc } from './network/cluster.js';
import type { NodeStatus } from './network/node-process.js';
import type { BenchOptions, BenchResult } from './types.js';

const NET = '127.0.152.';
const HARNESS_SOURCE = '127.0.153.1';
/** Give up waiting for convergence after this long (the simulation takes 163 s for 100 nodes). */
const CONVERGE_TIMEOUT_MS = 900_000;
const SIM_MAX_S = 3600;

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function configText(ip: string, seed: { ip: string; port: number } | undefined, validators: string[]): string {
  return [
    '[port_peer]',
    `ip = ${ip}`,
    'port = 51235',
    'protocol = peer',
    '',
    ...(seed ? ['[ips]', `${seed.ip} ${seed.port}`, ''] : []),
    '[validators]',
    ...validators,
    '',
  ].join('\n');
}

/**
 * The invariant test/discovery.test.ts and the simulation use: outbound slots full, or every node it
 * has no link with has its inbound slots full (nobody left who could take it).
 */
function hasAllItCan(s: NodeStatus, all: NodeStatus[], outMax: number, inMax: number): boolean {
  if (s.out >= outMax) return true;
  const linked = new Set(s.peers);
  return all.every((o) => o.n9 === s.n9 || linked.has(o.n9) || o.in >= inMax);
}

/** One connected graph over the nodes' own peer lists. */
function connected(all: NodeStatus[]): boolean {
  const byKey = new Map(all.map((s) => [s.n9, s]));
  const seen = new Set([all[0]!.n9]);
  const queue = [all[0]!];
  while (queue.length) {
    for (const p of queue.pop()!.peers) {
      const o = byKey.get(p);
      if (o && !seen.has(p)) {
        seen.add(p);
        queue.push(o);
      }
    }
  }
  return seen.size === all.length;
}

const statuses = (nodes: NodeProc[], gc = false) => Promise.all(nodes.map((n) => n.status(gc)));

/** Start the nodes on the simulation's schedule; resolves with ms from the seed's start to convergence. */
async function converge(nodes: NodeProc[], validators: string[], outMax: number, inMax: number) {
  const t0 = performance.now();
  const seed = await nodes[0]!.start(configText(nodes[0]!.ip, undefined, validators));
  const rest = nodes.slice(1);
  const perSecond = Math.ceil(rest.length / 10);
  const starts: Promise<unknown>[] = [];
  for (let i = 0; i < rest.length; i += perSecond) {
    await sleep(Math.max(0, t0 + 1000 * (i / perSecond + 1) - performance.now()));
    for (const n of rest.slice(i, i + perSecond)) starts.push(n.start(configText(n.ip, { ip: nodes[0]!.ip, port: seed.port }, validators)));
  }
  await Promise.all(starts);
  const allStartedMs = performance.now() - t0;
  for (;;) {
    const all = await statuses(nodes);
    if (all.every((s) => hasAllItCan(s, all, outMax, inMax))) {
      return { ms: performance.now() - t0, allStartedMs, all, connected: connected(all) };
    }
    if (performance.now() - t0 > CONVERGE_TIMEOUT_MS) {
      const short = all.filter((s) => !hasAllItCan(s, all, outMax, inMax)).length;
      throw new Error(`network bench: ${short} of ${nodes.length} nodes still short of outbound peers after ${CONVERGE_TIMEOUT_MS} ms`);
    }
    await sleep(250);
  }
}

/** A harness validator peer, connected to one node, that sends validations of a chain of ledgers. */
async function harnessPeer(at: NodeProc) {
  const est = await dialPeer({
    host: at.ip,
    port: at.port!,
    localAddress: HARNESS_SOURCE,
    local: { identity: NodeIdentity.generate(), tls: makeSelfSignedCertificate(), userAgent: 'xrpl-overlay-bench-validator', crawlPublic: true, features: NO_FEATURES, instanceCookie: 1n },
  });
  est.socket.resume(); // nothing it is sent matters here
  est.socket.on('error', () => {});
  const chain = new LedgerChain(1000);
  return {
    /** Send one validation of the next ledger by `v`; the time it was written (ms since the epoch). */
    send(v: TestValidator): number {
      chain.advance();
      const validation = chain.validationBy(v, netNow());
      est.socket.write(encodeFrame(MessageType.VALIDATION, encodeMessage('VALIDATION', { validation } as never)));
      return performance.timeOrigin + performance.now();
    },
    close: () => est.socket.destroy(),
  };
}

/**
 * One validation sent and followed: every node's first acceptance timed, then (after a second for late
 * copies) what each node did with it, from the differences of its counters, and the nodes' CPU over
 * that window.
 */
async function followValidation(nodes: NodeProc[], send: () => number, idleShare: number) {
  const before = await statuses(nodes);
  const t0 = performance.now();
  const accepted = new Map<NodeProc, number>();
  for (const n of nodes) n.onAccepted = (atMs) => accepted.set(n, atMs);
  const sentAt = send();
  const deadline = Date.now() + 120_000;
  while (accepted.size < nodes.length && Date.now() < deadline) await sleep(5);
  const delays = [...accepted.values()].map((t) => t - sentAt);
  await sleep(1000); // late copies arrive, and are counted as duplicates if they are not accepted twice
  const after = await statuses(nodes);
  const windowMs = performance.now() - t0;
  for (const n of nodes) n.onAccepted = undefined;
  // The nodes' CPU over the window, and what they would have used idle in as long (for comparison).
  const cpuMs = after.reduce((x, a, i) => x + a.cpuMicros - before[i]!.cpuMicros, 0) / 1000;
  const idleMs = idleShare * nodes.length * windowMs;
  let framesSent = 0;
  let duplicates = 0;
  let exactlyOnce = 0;
  let sentTwice = 0;
  after.forEach((a, i) => {
    const b = before[i]!;
    const perPeer = Object.entries(a.validationFramesTo).map(([k, m]) => m - (b.validationFramesTo[k] ?? 0));
    framesSent += perPeer.reduce((x, y) => x + y, 0);
    duplicates += a.validationsDuplicate - b.validationsDuplicate;
    const twice = perPeer.some((m) => m > 1);
    if (twice) sentTwice++;
    if (a.validationsAccepted - b.validationsAccepted === 1 && a.validationsRelayed - b.validationsRelayed === 1 && !twice) exactlyOnce++;
  });
  return { cpuMs, idleMs, windowMs, reached: accepted.size, lastMs: accepted.size === nodes.length ? Math.max(...delays) : NaN, medianMs: median(delays), exactlyOnce, sentTwice, framesSent, duplicates };
}

/** CPU the nodes use together while idle (converged, nothing sent), as a share of one core per node. */
async function idleCpu(nodes: NodeProc[], ms: number): Promise<number> {
  const a = await statuses(nodes);
  const t0 = performance.now();
  await sleep(ms);
  const b = await statuses(nodes);
  const used = b.reduce((x, s, i) => x + s.cpuMicros - a[i]!.cpuMicros, 0) / 1000;
  return used / (performance.now() - t0) / nodes.length;
}

export async function benchNetwork(opts: BenchOptions): Promise<BenchResult[]> {
  const count = opts.quick ? 10 : 100;
  const [nodeBundle, bareBundle] = await Promise.all([bundle('bench/network/node-process.ts', 'network-node'), bundle('bench/network/bare-process.ts', 'bare-process')]);
  const { outMax, inMax } = slotLimits(parseConfig(configText(`${NET}1`, undefined, []), 'limits.cfg'));
  const sim = runScenario({ nodes: count, seed: 1, maxSeconds: SIM_MAX_S, settleSeconds: 0 });
  const bareRss = await bareProcessRss(bareBundle);
  // Two validators on every node's [validators]: the first warms the path up, the second is measured.
  const warmer = new TestValidator(TestKey.random(), false);
  const validator = new TestValidator(TestKey.random(), false);
  const forkStart = performance.now();
  const nodes = await forkNodes(
    nodeBundle,
    Array.from({ length: count }, (_, i) => `${NET}${i + 1}`),
  );
  const forkMs = performance.now() - forkStart;
  try {
    const c = await converge(nodes, [warmer.master.n9, validator.master.n9], outMax, inMax);
    const links = c.all.reduce((a, s) => a + s.out, 0);
    const atOut = c.all.filter((s) => s.out >= outMax).length;
    // Inject at the non-seed node with the most free inbound slots (the harness peer needs one).
    let at = 1;
    for (let i = 2; i < count; i++) if (c.all[i]!.in < c.all[at]!.in) at = i;
    const target = nodes[at]!;
    const idle = await idleCpu(nodes, opts.quick ? 2000 : 10_000);
    const harness = await harnessPeer(target);
    const first = await followValidation(nodes, () => harness.send(warmer), idle);
    const v = await followValidation(nodes, () => harness.send(validator), idle);
    harness.close();
    const mem = await statuses(nodes, true);
    const rss = mem.map((s) => s.rssBytes);
    const loadedCpu = mean(nodes.map((n) => n.loaded.cpuMicros)) / 1000;
    const loadedRss = mean(nodes.map((n) => n.loaded.rssBytes));
    const simS = sim.convergedAfterS;
    const once = (x: typeof v) => `accepted by ${x.reached}, ${x.exactlyOnce} accepted and relayed it exactly once, ${x.sentTwice} sent it twice to a peer; ${x.framesSent} frames sent, ${x.duplicates} copies dropped as duplicates; the nodes' CPU in all ${Math.round(x.cpuMs)} ms over those ${Math.round(x.windowMs)} ms (idle they use ≈ ${Math.round(x.idleMs)} ms in as long)`;
    const rows: BenchResult[] = [
      {
        name: `network: every node has its outbound peers (${count} nodes from one seed, rippled's defaults; ${count} processes from a bundle, forked in ${r1(forkMs / 1000)} s, ${r1(loadedCpu)} ms CPU each to load; started on the sim's 10 s schedule, the last ${r1(c.allStartedMs / 1000)} s after the seed, converged ${r1((c.ms - c.allStartedMs) / 1000)} s after it; ${atOut} at ${outMax} out, ${links} links)`,
        value: r1(c.ms / 1000),
        unit: 's',
        baseline: `discovery sim ${simS === undefined ? `> ${SIM_MAX_S}` : simS} s simulated`,
        ...(simS ? { ratio: r2(c.ms / 1000 / simS) } : {}),
      },
      {
        name: `network: one connected mesh once they have (${count} nodes; 1 = one connected graph over the nodes' own peer lists)`,
        value: c.connected ? 1 : 0,
        unit: 'bool',
      },
      {
        name: `network: RSS per node (${count} nodes, one process each, after a GC; median; mean ${r1(mean(rss) / MiB)}, min ${r1(Math.min(...rss) / MiB)}, max ${r1(Math.max(...rss) / MiB)}; code loaded, not started ${r1(loadedRss / MiB)})`,
        value: r1(median(rss) / MiB),
        unit: 'MiB',
        baseline: `bare Node process ${r1(bareRss / MiB)} MiB`,
        ratio: r2(median(rss) / bareRss),
      },
      {
        name: `network: CPU per idle node once converged (${count} nodes, over ${opts.quick ? 2 : 10} s)`,
        value: r2(idle * 100),
        unit: '% of a core',
      },
      {
        name: `network: a validation reaches every node (${count} nodes; a harness validator trusted in [validators], injected at one node; the second of two validators, after one to warm up (it took ${r1(first.lastMs)} ms); ${once(v)}; median node ${r1(v.medianMs)} ms)`,
        value: r1(v.lastMs),
        unit: 'ms',
      },
      {
        name: `network: nodes that accepted the validation once, relayed it once and sent it to no peer twice (of ${count}; warm-up validation: ${first.exactlyOnce})`,
        value: v.exactlyOnce,
        unit: `of ${count}`,
      },
    ];
    return rows;
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await benchNetwork({ quick: process.argv.includes('--quick') }), null, 2));
}
