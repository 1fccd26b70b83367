/**
 * 5,000 idle peers held by one node process (issue 15's "5,000 idle peers" row; a few hundred with
 * --quick), against a bare Node TLS server holding as many TLS connections in the same run.
 *
 * The node is our daemon in a process of its own (bench/network/node-process.ts, from a bundle), with
 * [peers_max] 6000 (900 outbound, 5,100 inbound slots) and [overlay] ip_limit 60; rippled's defaults
 * otherwise, ping_interval (60 s) included: the full run holds the peers for 65 s, through one round
 * of pings, and checks the node still has every one. The bare server is bench/load/target.ts's `bare`
 * target (TLS echo), bundled the same way so that neither carries a TypeScript loader. The peers are
 * the load tool's `hold` mode (full handshakes, pings answered) in several processes from 100 source
 * addresses 127.0.153.11-110; their CPU is reported to show the tool was not the limit. File
 * descriptors: the node's open fds and its limit are read from /proc at 5,000.
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shareOf, startLoad, total } from './load/tool.js';
import type { ParentMessage, TargetMessage, TargetPorts } from './load/target.js';
import { bundle } from './network/bundle.js';
import { forkNode } from './network/cluster.js';
import type { BenchOptions, BenchResult } from './types.js';

const NODE_HOST = '127.0.152.200';
const BARE_HOST = '127.0.152.201';
const SOURCES = Array.from({ length: 100 }, (_, i) => `127.0.153.${11 + i}`);
const PROCS = 4;
const MiB = 1024 * 1024;
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NODE_CONFIG = ['[port_peer]', `ip = ${NODE_HOST}`, 'port = 51235', 'protocol = peer', '', '[peers_max]', '6000', '', '[overlay]', 'ip_limit = 60', ''].join('\n');

function openFds(pid: number): { open: number; limit: string } {
  const open = readdirSync(`/proc/${pid}/fd`).length;
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const limit = line?.trim().split(/\s+/).slice(3, 4)[0] ?? '?';
  return { open, limit };
}

interface Bare {
  ports: TargetPorts;
  pid: number;
  stats(gc: boolean): Promise<{ rssBytes: number; cpuMicros: number }>;
  stop(): void;
}

/** bench/load/target.ts's bare TLS server, from a bundle. */
async function startBare(bundlePath: string): Promise<Bare> {
  const child = fork(bundlePath, ['bare', BARE_HOST, '0'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting: ((m: TargetMessage) => void)[] = [];
  child.on('message', (m: TargetMessage) => waiting.shift()?.(m));
  const next = () => new Promise<TargetMessage>((r) => waiting.push(r));
  const ready = await next();
  if (!('ready' in ready)) throw new Error('bare target did not start');
  return {
    ports: ready.ready,
    pid: child.pid!,
    stats: async (gc) => {
      const reply = next();
      child.send({ stats: true, gc } satisfies ParentMessage);
      const m = await reply;
      if (!('stats' in m)) throw new Error('no stats');
      return m.stats;
    },
    stop: () => child.send({ stop: true } satisfies ParentMessage),
  };
}

interface Held {
  held: number;
  connectS: number;
  rssBefore: number;
  rssAt: number;
  cpuConnectMs: number;
  toolCpuS: number;
  closedEarly: number;
  fds: { open: number; limit: string };
  stillHeld?: number;
}

async function hold(
  n: number,
  host: string,
  port: number,
  bare: boolean,
  pid: number,
  stats: (gc: boolean) => Promise<{ rssBytes: number; cpuMicros: number }>,
  holdMs: number,
  count?: () => Promise<number>,
): Promise<Held> {
  const before = await stats(true);
  const t0 = performance.now();
  const run = startLoad(PROCS, (i) => ({ mode: 'hold', target: { host, port }, sources: shareOf(SOURCES, PROCS, i), peers: Math.floor(n / PROCS) + (i < n % PROCS ? 1 : 0), bare }));
  const held = await run.held;
  const connectS = (performance.now() - t0) / 1000;
  const afterConnect = await stats(false);
  await sleep(holdMs);
  const stillHeld = count ? await count() : undefined;
  const at = await stats(true);
  const fds = openFds(pid);
  run.release();
  const r = total(await run.reports);
  return {
    held,
    connectS,
    rssBefore: before.rssBytes,
    rssAt: at.rssBytes,
    cpuConnectMs: (afterConnect.cpuMicros - before.cpuMicros) / 1000,
    toolCpuS: r.cpuMicros / 1e6,
    closedEarly: r.failed,
    fds,
    stillHeld,
  };
}

export async function benchScale(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.quick ? 300 : 5000;
  const holdMs = opts.quick ? 1000 : 65_000;
  const [nodeBundle, bareBundle] = await Promise.all([bundle('bench/network/node-process.ts', 'scale-node'), bundle('bench/load/target.ts', 'load-target')]);
  const node = await forkNode(nodeBundle, NODE_HOST);
  let bare: Bare | undefined;
  try {
    const { port } = await node.start(NODE_CONFIG);
    const nodeStats = async (gc: boolean) => node.status(gc, false);
    const h = await hold(n, NODE_HOST, port, false, node.pid, nodeStats, holdMs, async () => (await node.status(false, false)).in);
    await node.stop();
    bare = await startBare(bareBundle);
    const b = await hold(n, BARE_HOST, bare.ports.peer, true, bare.pid, bare.stats, holdMs);
    const perPeer = (x: Held) => (x.rssAt - x.rssBefore) / x.held;
    // The tool's CPU, its worker processes' start included, against the time they took to start and connect.
    const tool = (x: Held) => `tool: ${PROCS} procs started and connected in ${r1(x.connectS)} s using ${r1(x.toolCpuS)} s CPU, ${r2(x.toolCpuS / x.connectS / 2)} of 2 cores`;
    return [
      {
        name: `idle peers held by one node process: RSS with ${n} held (${h.closedEarly} closed; node CPU ${r2(h.cpuConnectMs / h.held)} ms per handshake; ${tool(h)}; fds open ${h.fds.open} of limit ${h.fds.limit})`,
        value: r1(h.rssAt / MiB),
        unit: 'MiB',
        baseline: `bare TLS server ${r1(b.rssAt / MiB)} MiB holding ${b.held} (${b.closedEarly} closed; fds ${b.fds.open}; ${tool(b)})`,
        ratio: r2(h.rssAt / b.rssAt),
      },
      {
        name: `idle peers held by one node process: RSS per peer (with ${n} held less before, after a GC)`,
        value: r1(perPeer(h) / 1024),
        unit: 'KiB',
        baseline: `bare TLS ${r1(perPeer(b) / 1024)} KiB (difference ${r1((perPeer(h) - perPeer(b)) / 1024)} KiB)`,
        ratio: r2(perPeer(h) / perPeer(b)),
      },
      {
        name: `idle peers held by one node process: peers still held after ${holdMs / 1000} s (of ${n} asked; ${h.held} handshakes completed)`,
        value: h.stillHeld ?? NaN,
        unit: `of ${n}`,
      },
    ];
  } finally {
    await node.stop();
    bare?.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await benchScale({ quick: process.argv.includes('--quick') }), null, 2));
}
