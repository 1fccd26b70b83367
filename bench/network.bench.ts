/**
 * Network scale (issue 15, item 4): 100 of our nodes (10 with --quick), each in its own OS process
 * with its own [port_peer] on 127.0.152.x, all knowing only the seed (127.0.152.1) in [ips], rippled's
 * defaults otherwise (10 outbound and 11 inbound slots, every timer). The nodes are started on the
 * discovery simulation's schedule (the seed, then the others spread over 10 s), so the time until
 * every node has its outbound peers is comparable with the simulation's for the same count
 * (src/peerfinder/sim, same defaults): real sockets and processes against a manual clock.
 *
 * Rows: that time (and that the graph is then one connected mesh); RSS per node against a bare Node
 * process; how long a validation injected at one node by a harness validator peer (from 127.0.153.x)
 * takes to be accepted by every node, and that each node accepted it once and sent it to no peer
 * twice. The validator's key is in every node's [validators] (trusted, as a UNL would make it), so
 * no relay policy holds it back.
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

function configText(ip: string, seed: { ip: string; port: number } | undefined, validator: string): string {
  return [
    '[port_peer]',
    `ip = ${ip}`,
    'port = 51235',
    'protocol = peer',
    '',
    ...(seed ? ['[ips]', `${seed.ip} ${seed.port}`, ''] : []),
    '[validators]',
    validator,
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
async function converge(nodes: NodeProc[], validator: string, outMax: number, inMax: number) {
  const t0 = performance.now();
  const seed = await nodes[0]!.start(configText(nodes[0]!.ip, undefined, validator));
  const rest = nodes.slice(1);
  const perSecond = Math.ceil(rest.length / 10);
  const starts: Promise<unknown>[] = [];
  for (let i = 0; i < rest.length; i += perSecond) {
    await sleep(Math.max(0, t0 + 1000 * (i / perSecond + 1) - performance.now()));
    for (const n of rest.slice(i, i + perSecond)) starts.push(n.start(configText(n.ip, { ip: nodes[0]!.ip, port: seed.port }, validator)));
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

/** A harness validator peer connects to `at` and sends one validation; every node's first acceptance is timed. */
async function injectValidation(nodes: NodeProc[], at: NodeProc, v: TestValidator) {
  const accepted = new Map<NodeProc, number>();
  for (const n of nodes) n.onAccepted = (atMs) => accepted.set(n, atMs);
  const est = await dialPeer({
    host: at.ip,
    port: at.port!,
    localAddress: HARNESS_SOURCE,
    local: { identity: NodeIdentity.generate(), tls: makeSelfSignedCertificate(), userAgent: 'xrpl-overlay-bench-validator', crawlPublic: true, features: NO_FEATURES, instanceCookie: 1n },
  });
  est.socket.resume(); // nothing it is sent matters here
  est.socket.on('error', () => {});
  const validation = new LedgerChain(1000).validationBy(v, netNow());
  const frame = encodeFrame(MessageType.VALIDATION, encodeMessage('VALIDATION', { validation } as never));
  const sentAt = performance.timeOrigin + performance.now();
  est.socket.write(frame);
  const deadline = Date.now() + 60_000;
  while (accepted.size < nodes.length && Date.now() < deadline) await sleep(5);
  const reachedAll = accepted.size === nodes.length;
  const lastMs = Math.max(...accepted.values()) - sentAt;
  const medianMs = median([...accepted.values()].map((t) => t - sentAt));
  await sleep(1000); // late copies arrive and are counted as duplicates, not accepted twice
  const after = await statuses(nodes);
  est.socket.destroy();
  return {
    reached: accepted.size,
    reachedAll,
    lastMs,
    medianMs,
    acceptedOnce: after.filter((s) => s.validationsAccepted === 1).length,
    relayedOnce: after.filter((s) => s.validationsRelayed === 1).length,
    sentTwiceToAPeer: after.filter((s) => s.maxValidationFramesToOnePeer > 1).length,
    exactlyOnce: after.filter((s) => s.validationsAccepted === 1 && s.validationsRelayed === 1 && s.maxValidationFramesToOnePeer <= 1).length,
    duplicatesReceived: after.reduce((a, s) => a + s.validationsDuplicate, 0),
    framesSent: after.reduce((a, s) => a + s.validationFramesSent, 0),
  };
}

export async function benchNetwork(opts: BenchOptions): Promise<BenchResult[]> {
  const count = opts.quick ? 10 : 100;
  const [nodeBundle, bareBundle] = await Promise.all([bundle('bench/network/node-process.ts', 'network-node'), bundle('bench/network/bare-process.ts', 'bare-process')]);
  const { outMax, inMax } = slotLimits(parseConfig(configText(`${NET}1`, undefined, TestKey.random().n9), 'limits.cfg'));
  const sim = runScenario({ nodes: count, seed: 1, maxSeconds: SIM_MAX_S, settleSeconds: 0 });
  const bareRss = await bareProcessRss(bareBundle);
  const validator = new TestValidator(TestKey.random(), false);
  const forkStart = performance.now();
  const nodes = await forkNodes(
    nodeBundle,
    Array.from({ length: count }, (_, i) => `${NET}${i + 1}`),
  );
  const forkMs = performance.now() - forkStart;
  try {
    const c = await converge(nodes, validator.master.n9, outMax, inMax);
    const links = c.all.reduce((a, s) => a + s.out, 0);
    const atOut = c.all.filter((s) => s.out >= outMax).length;
    // Inject at the non-seed node with the most free inbound slots (the harness peer needs one).
    let at = 1;
    for (let i = 2; i < count; i++) if (c.all[i]!.in < c.all[at]!.in) at = i;
    const target = nodes[at]!;
    const v = await injectValidation(nodes, target, validator);
    const mem = await statuses(nodes, true);
    const rss = mem.map((s) => s.rssBytes);
    const loadedCpu = mean(nodes.map((n) => n.loaded.cpuMicros)) / 1000;
    const loadedRss = mean(nodes.map((n) => n.loaded.rssBytes));
    const simS = sim.convergedAfterS;
    const rows: BenchResult[] = [
      {
        name: `network of ${count} nodes from one seed: every node has its outbound peers (${count} processes from a bundle, forked in ${r1(forkMs / 1000)} s, ${r1(loadedCpu)} ms CPU each to load; all started ${r1(c.allStartedMs / 1000)} s after the seed; ${atOut} at ${outMax} out, ${links} links; graph ${c.connected ? 'connected' : 'SPLIT'})`,
        value: r1(c.ms / 1000),
        unit: 's',
        baseline: `discovery sim ${simS === undefined ? `> ${SIM_MAX_S}` : simS} s simulated`,
        ...(simS ? { ratio: r2(c.ms / 1000 / simS) } : {}),
      },
      {
        name: `network of ${count} nodes: connected mesh (1 = one connected graph over the nodes' peer lists)`,
        value: c.connected ? 1 : 0,
        unit: 'bool',
      },
      {
        name: `network of ${count} nodes: RSS per node (one process each, after a GC; median; mean ${r1(mean(rss) / MiB)}, min ${r1(Math.min(...rss) / MiB)}, max ${r1(Math.max(...rss) / MiB)}; code loaded, not started ${r1(loadedRss / MiB)})`,
        value: r1(median(rss) / MiB),
        unit: 'MiB',
        baseline: `bare Node process ${r1(bareRss / MiB)} MiB`,
        ratio: r2(median(rss) / bareRss),
      },
      {
        name: `network of ${count} nodes: validation from a trusted harness validator ([validators]) accepted by all (reached ${v.reached}; accepted once ${v.acceptedOnce}, relayed once ${v.relayedOnce}, sent twice to a peer ${v.sentTwiceToAPeer}; ${v.framesSent} frames sent, ${v.duplicatesReceived} duplicates dropped; median node ${r1(v.medianMs)} ms)`,
        value: v.reachedAll ? r1(v.lastMs) : NaN,
        unit: 'ms',
      },
      {
        name: `network of ${count} nodes: nodes that accepted the validation once, relayed it once and sent it to no peer twice`,
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
