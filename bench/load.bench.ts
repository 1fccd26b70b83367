/**
 * The load tool (bench/load/) against our node and, in the same run, against bare Node TLS servers
 * doing the same work (TLS handshake; TLS echo; TLS fan-out; HTTPS with a body of /crawl's size).
 * Each target runs in a process of its own, so its CPU and RSS are its own; the tool's peers run in
 * worker processes from 127.0.215.x and report their own CPU (the `tool CPU` in each row's note).
 */
import { fork, type ChildProcess } from 'node:child_process';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { TestKey } from '../test/support/validators.js';
import { signedTransaction } from '../test/support/transactions.js';
import { availableParallelism } from 'node:os';
import type { ParentMessage, TargetMessage, TargetPorts, TargetStats } from './load/target.js';
import { percentile, shareOf, sourceAddresses, startLoad, total } from './load/tool.js';
import type { Endpoint } from './load/worker.js';
import type { BenchOptions, BenchResult } from './types.js';

const TARGET = fileURLToPath(new URL('./load/target.ts', import.meta.url));
export const NODE_HOST = '127.0.115.1';
export const BARE_HOST = '127.0.115.2';
/** Our node with resource limits out of reach (the ping saturation row). */
const UNMETERED_HOST = '127.0.115.4';
const PROCS = 2;
/** Pings each peer keeps in flight in the saturation row. */
const PING_WINDOW = 16;

export interface LoadSettings {
  seconds: number;
  pingPeers: number;
  idlePeers: number;
  crawlPeers: number;
  transactions: number;
}

export const FULL: LoadSettings = { seconds: 5, pingPeers: 50, idlePeers: 1000, crawlPeers: 1000, transactions: 4000 };
export const QUICK: LoadSettings = { seconds: 1, pingPeers: 10, idlePeers: 100, crawlPeers: 100, transactions: 1000 };

export interface Target {
  ports: TargetPorts;
  host: string;
  stats(gc?: boolean): Promise<TargetStats>;
  stop(): Promise<void>;
}

export async function startTarget(kind: 'node' | 'bare', host: string, crawlBytes = 0, unmetered = false): Promise<Target> {
  // BENCH_CPU_PROF=DIR: the targets write a V8 CPU profile there (node --cpu-prof) when they stop.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const child: ChildProcess = fork(TARGET, [kind, host, String(crawlBytes), unmetered ? 'unmetered' : 'metered'], { execArgv: ['--import', 'tsx', '--expose-gc', ...prof], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting: { resolve: (m: TargetMessage) => void; reject: (e: Error) => void } | undefined;
  child.on('message', (m: TargetMessage) => waiting?.resolve(m));
  child.on('exit', (c) => waiting?.reject(new Error(`${kind} target exited with ${c}`)));
  const next = () => new Promise<TargetMessage>((resolve, reject) => (waiting = { resolve, reject }));
  const ready = await next();
  if (!('ready' in ready)) throw new Error('target did not start');
  return {
    ports: ready.ready,
    host,
    stats: async (gc = false) => {
      const reply = next();
      child.send({ stats: true, gc } satisfies ParentMessage);
      const m = await reply;
      if (!('stats' in m)) throw new Error('no stats');
      return m.stats;
    },
    stop: () => new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.send({ stop: true } satisfies ParentMessage);
    }),
  };
}

const SOURCES = sourceAddresses(50);
const r2 = (x: number) => Math.round(x * 100) / 100;
const r1 = (x: number) => Math.round(x * 10) / 10;
const toolNote = (cpuMicros: number, wallMs: number) => `tool CPU ${r2(cpuMicros / 1000 / wallMs / PROCS)} of ${PROCS} cores`;

export async function handshakes(t: Target, s: LoadSettings, bare: boolean) {
  const target: Endpoint = { host: t.host, port: t.ports.peer };
  const before = await t.stats();
  const run = startLoad(PROCS, (i) => ({ mode: 'handshake', target, sources: shareOf(SOURCES, PROCS, i), seconds: s.seconds, concurrency: 8, bare }));
  const r = total(await run.reports);
  const after = await t.stats();
  const perSecond = (r.done * 1000) / r.wallMs;
  return { perSecond, cpuEach: (after.cpuMicros - before.cpuMicros) / Math.max(1, r.done), failed: r.failed, tool: toolNote(r.cpuMicros, r.wallMs) };
}

export async function pings(t: Target, s: LoadSettings, bare: boolean) {
  const target: Endpoint = { host: t.host, port: t.ports.peer };
  const per = Math.ceil(s.pingPeers / PROCS);
  const run = startLoad(PROCS, (i) => ({ mode: 'ping', target, sources: shareOf(SOURCES, PROCS, i), peers: per, perSecond: 60, seconds: s.seconds, bare }));
  await run.held; // connected: the workers ping once released
  const before = await t.stats();
  run.release();
  const r = total(await run.reports);
  const after = await t.stats();
  return { answered: r.answered / Math.max(1, r.sent), cpuEach: (after.cpuMicros - before.cpuMicros) / Math.max(1, r.answered), tool: toolNote(r.cpuMicros, r.wallMs) };
}

async function holdPeers(t: Target, n: number, bare: boolean, port = t.ports.peer) {
  const target: Endpoint = { host: t.host, port };
  return startLoad(PROCS, (i) => ({ mode: 'hold', target, sources: shareOf(SOURCES, PROCS, i), peers: Math.floor(n / PROCS) + (i < n % PROCS ? 1 : 0), bare }));
}

/** Bytes per held peer: RSS, and of it the V8 heap and Node's external memory (Buffers, TLS). */
/**
 * Pings at saturation: each peer keeps `window` pings in flight, so the target answers as fast as it
 * can; answers per second and target CPU per answer.
 */
export async function pingsSaturated(t: Target, s: LoadSettings, bare: boolean, window = PING_WINDOW) {
  const target: Endpoint = { host: t.host, port: t.ports.peer };
  const per = Math.ceil(s.pingPeers / PROCS);
  const load = (seconds: number) => startLoad(PROCS, (i) => ({ mode: 'ping', target, sources: shareOf(SOURCES, PROCS, i), peers: per, perSecond: 0, seconds, bare, window }));
  // A first, unmeasured second: both targets' ping paths compiled (the node's comes fresh from its start).
  const warm = load(1);
  await warm.held;
  warm.release();
  await warm.reports;
  const run = load(s.seconds);
  await run.held;
  const before = await t.stats();
  const t0 = performance.now();
  run.release();
  const r = total(await run.reports);
  const after = await t.stats();
  const wallMs = performance.now() - t0;
  // busy: the target's CPU over the run as a share of one core (near 1: saturated; it is one thread).
  return { perSecond: r.done / s.seconds, cpuEach: (after.cpuMicros - before.cpuMicros) / Math.max(1, r.answered), busy: (after.cpuMicros - before.cpuMicros) / 1000 / wallMs, tool: toolNote(r.cpuMicros, r.wallMs) };
}

export async function idleMemory(t: Target, n: number, bare: boolean): Promise<{ rss: number; heap: number; heapTotal: number; external: number }> {
  const before = await t.stats(true);
  const run = await holdPeers(t, n, bare);
  const held = await run.held;
  await new Promise((r) => setTimeout(r, 500));
  const after = await t.stats(true);
  run.release();
  await run.reports;
  return { rss: (after.rssBytes - before.rssBytes) / held, heap: (after.heapBytes - before.heapBytes) / held, heapTotal: (after.heapTotalBytes - before.heapTotalBytes) / held, external: (after.externalBytes - before.externalBytes) / held };
}

async function crawlLatency(t: Target, port: number, peersHeld: number, s: LoadSettings, bareHold: boolean, bytes?: number) {
  const run = await holdPeers(t, peersHeld, bareHold);
  await run.held;
  // Our node: the size of its /crawl with the peers held, for the bare server to answer alike.
  const size = bytes ?? (await crawlBodyBytes(t.host, port));
  const path = bytes === undefined ? '/crawl' : `/crawl?bytes=${bytes}`;
  // Twice the other rows' time: 200 requests in a full run, so that the p99 is not one request's.
  const crawl = startLoad(1, () => ({ mode: 'crawl', target: { host: t.host, port }, seconds: Math.max(2, 2 * s.seconds), perSecond: 20, path }));
  const r = total(await crawl.reports);
  run.release();
  await run.reports;
  return { p50: percentile(r.latenciesMs, 50), p99: percentile(r.latenciesMs, 99), n: r.latenciesMs.length, size };
}

function crawlBodyBytes(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    https.get({ host, port, path: '/crawl', rejectUnauthorized: false }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
    }).on('error', reject);
  });
}

/** Unique items sent and not yet at the pilot receiver: under [overlay] verify_queue (250), so none is dropped. */
const RELAY_WINDOW = 200;
/**
 * 1 sender, 10 receivers (9 held in one process, a pilot in the sender's); every 4th item sent twice.
 * Saturation throughput: unique items at every receiver per second of wall time, the sender keeping
 * RELAY_WINDOW items in flight; and the target's CPU (all its threads) per unique item and in cores.
 */
async function relay(t: Target, items: string[], warmup: number, bare: boolean) {
  const receiverPort = bare ? t.ports.fanoutOut! : t.ports.peer;
  const receivers = startLoad(1, () => ({ mode: 'hold', target: { host: t.host, port: receiverPort }, sources: SOURCES.slice(0, 9), peers: 9, bare }));
  await receivers.held;
  const sender = startLoad(1, () => ({
    mode: 'send', target: { host: t.host, port: bare ? t.ports.fanoutIn! : t.ports.peer }, receiver: { host: t.host, port: receiverPort },
    sources: [SOURCES[20]!, SOURCES[9]!], seconds: 120, items, warmup, duplicateEvery: 4, window: RELAY_WINDOW, bare,
  }));
  await sender.held; // connected, warm-up items delivered
  // The warm-up started the node's verify workers ([overlay] verify_threads: one per core); loading
  // them (TypeScript, under tsx) takes seconds, and is not what this row measures.
  const workers = bare ? 0 : Number(process.env.BENCH_VERIFY_THREADS ?? availableParallelism());
  const deadline = Date.now() + 60_000;
  while ((await t.stats()).verifyWorkers < workers && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const before = await t.stats();
  sender.release();
  const [report] = await sender.reports;
  const after = await t.stats();
  // The pilot shares the sender's process; the held receivers may still be reading the last items.
  await new Promise((r) => setTimeout(r, 500));
  receivers.release();
  const got = total(await receivers.reports);
  const sent = report!.sent ?? 0;
  const spanMs = report!.spanMs ?? NaN;
  // The held receivers count the warm-up items too, and with the bare fan-out every duplicate: at most one copy of each measured item.
  const heldMeasured = Math.min(9 * sent, got.received - 9 * warmup);
  const delivered = ((report!.received ?? 0) + heldMeasured) / (10 * sent);
  const cpuMicros = after.cpuMicros - before.cpuMicros;
  return {
    perSecond: (delivered * sent * 1000) / spanMs,
    cpuEach: cpuMicros / sent,
    cores: cpuMicros / 1000 / spanMs,
    delivered,
    sent,
    duplicates: report!.done ?? 0,
    tool: toolNote(report!.cpuMicros + got.cpuMicros, spanMs),
  };
}

export async function benchLoad(opts: BenchOptions): Promise<BenchResult[]> {
  const s = opts.quick ? QUICK : FULL;
  const key = TestKey.random();
  const warmup = Math.ceil(s.transactions / 10);
  const items = Array.from({ length: warmup + s.transactions }, (_, i) => signedTransaction(key, i + 1).toString('hex'));
  const node = await startTarget('node', NODE_HOST);
  let bare: Target | undefined;
  const rows: BenchResult[] = [];
  try {
    bare = await startTarget('bare', BARE_HOST);
    // Memory first, while both processes are fresh.
    const memNode = await idleMemory(node, s.idlePeers, false);
    const memBare = await idleMemory(bare, s.idlePeers, true);
    const [mn, mb] = [memNode.rss, memBare.rss];
    const hn = await handshakes(node, s, false);
    const hb = await handshakes(bare, s, true);
    rows.push({ name: `full peer handshakes/s (${PROCS} procs × 8 concurrent, ${s.seconds} s; ${hn.tool})`, value: Math.round(hn.perSecond), unit: '/s', baseline: `raw TLS handshakes ${Math.round(hb.perSecond)}/s`, ratio: r2(hn.perSecond / hb.perSecond) });
    rows.push({ name: 'node CPU per handshake', value: r2(hn.cpuEach / 1000), unit: 'ms', baseline: `raw TLS ${r2(hb.cpuEach / 1000)} ms`, ratio: r2(hn.cpuEach / hb.cpuEach) });
    const pn = await pings(node, s, false);
    const pb = await pings(bare, s, true);
    rows.push({ name: `pings answered, ${s.pingPeers} peers × 60/s (${pn.tool})`, value: r2(pn.answered), unit: 'share', baseline: `TLS echo ${r2(pb.answered)}`, ratio: r2(pn.answered / pb.answered) });
    rows.push({ name: 'node CPU per ping answered', value: r1(pn.cpuEach), unit: 'µs', baseline: `TLS echo ${r1(pb.cpuEach)} µs`, ratio: r2(pn.cpuEach / pb.cpuEach) });
    const unmetered = await startTarget('node', UNMETERED_HOST, 0, true);
    const sn = await pingsSaturated(unmetered, s, false).finally(() => unmetered.stop());
    const sb = await pingsSaturated(bare, s, true);
    rows.push({ name: `pings answered/s at saturation (${s.pingPeers} peers × ${PING_WINDOW} in flight; node busy ${r2(sn.busy)} of a core, echo ${r2(sb.busy)}; ${sn.tool})`, value: Math.round(sn.perSecond), unit: '/s', baseline: `TLS echo ${Math.round(sb.perSecond)}/s`, ratio: r2(sn.perSecond / sb.perSecond) });
    rows.push({ name: 'node CPU per ping answered at saturation', value: r1(sn.cpuEach), unit: 'µs', baseline: `TLS echo ${r1(sb.cpuEach)} µs`, ratio: r2(sn.cpuEach / sb.cpuEach) });
    // RSS growth of a fresh process also holds one-time costs (compiled code, the young generation
    // grown by the handshakes' garbage, malloc arenas): the V8 heap in use is the peers' own objects.
    const kib = (m: { heap: number; external: number }) => `${r1(m.heap / 1024)} + ${r1(m.external / 1024)}`;
    rows.push({ name: `RSS per idle peer (${s.idlePeers} held; V8 heap + external per peer: node ${kib(memNode)} KiB, bare ${kib(memBare)} KiB)`, value: r1(mn / 1024), unit: 'KiB', baseline: `bare TLS ${r1(mb / 1024)} KiB (difference ${r1((mn - mb) / 1024)} KiB)`, ratio: r2(mn / mb) });
    const cn = await crawlLatency(node, node.ports.peer, s.crawlPeers, s, false);
    const cb = await crawlLatency(bare, bare.ports.crawl!, s.crawlPeers, s, true, cn.size);
    rows.push({ name: `/crawl p99 with ${s.crawlPeers} peers held (${cn.size} B body, ${cn.n} requests; p50 ${r1(cn.p50)} ms)`, value: r1(cn.p99), unit: 'ms', baseline: `HTTPS fixed body p99 ${r1(cb.p99)} ms`, ratio: r2(cn.p99 / cb.p99) });
    const rn = await relay(node, items, warmup, false);
    const rb = await relay(bare, items, warmup, true);
    rows.push({ name: `unique transactions relayed to 10 peers, per second at saturation (${rn.sent} signed after ${warmup} unmeasured, ${rn.duplicates} duplicates, window ${RELAY_WINDOW}; delivered ${r2(rn.delivered)}; ${rn.tool})`, value: Math.round(rn.perSecond), unit: '/s', baseline: `TLS fan-out ${Math.round(rb.perSecond)}/s`, ratio: r2(rn.perSecond / rb.perSecond) });
    rows.push({ name: `node CPU per unique transaction relayed to 10 peers (all threads; node ${r2(rn.cores)} cores, fan-out ${r2(rb.cores)} cores busy)`, value: r1(rn.cpuEach), unit: 'µs', baseline: `TLS fan-out ${r1(rb.cpuEach)} µs`, ratio: r2(rn.cpuEach / rb.cpuEach) });
    return rows;
  } finally {
    await node.stop();
    await bare?.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await benchLoad({ quick: process.argv.includes('--quick') }), null, 2));
}
