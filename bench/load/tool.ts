/**
 * The load tool: runs a Job split over several worker processes (worker.ts), each with its own
 * share of the source addresses, and sums their reports. Usable on its own against any node that
 * speaks the peer protocol:
 *
 *   npx tsx bench/load/tool.ts --target 127.0.0.1:51235 --mode handshake|ping|hold|crawl \
 *     [--peers N] [--procs P] [--seconds S] [--sources 127.0.215.1-20] [--bare]
 *     [--rate R (ping: per peer per second)] [--window W (ping: W in flight per peer, to saturate)]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Endpoint, Job, WorkerMessage, WorkerReport } from './worker.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** 127.0.215.1 .. 127.0.215.n: the load peers' source addresses. */
export function sourceAddresses(n: number, prefix = '127.0.215.'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
}

export interface LoadRun {
  /** Resolves when every worker has reported. */
  reports: Promise<WorkerReport[]>;
  /** hold: resolves once every worker holds its peers. */
  held: Promise<number>;
  /** hold: let the workers close their peers and report. */
  release(): void;
}

/** Start `procs` workers, each given `split(i)` of the job. */
export function startLoad(procs: number, split: (i: number) => Job): LoadRun {
  const children: ChildProcess[] = [];
  const helds: Promise<number>[] = [];
  const reports: Promise<WorkerReport>[] = [];
  for (let i = 0; i < procs; i++) {
    const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    let onHeld!: (n: number) => void;
    helds.push(new Promise((r) => (onHeld = r)));
    reports.push(
      new Promise((resolve, reject) => {
        child.on('message', (m: WorkerMessage) => {
          if ('held' in m) onHeld(m.held);
          else resolve(m.report);
        });
        child.on('exit', (code) => reject(new Error(`load worker exited with ${code} before reporting`)));
      }),
    );
    child.send(split(i));
  }
  return {
    reports: Promise.all(reports),
    held: Promise.all(helds).then((ns) => ns.reduce((a, b) => a + b, 0)),
    release: () => {
      for (const c of children) if (c.connected) c.send({ release: true });
    },
  };
}

/** Sum of the workers' numbers; CPU in µs; latencies concatenated. */
export function total(reports: WorkerReport[]): Required<Omit<WorkerReport, 'wallMs' | 'spanMs'>> & { wallMs: number } {
  const sum = (k: 'cpuMicros' | 'done' | 'failed' | 'sent' | 'answered' | 'received') => reports.reduce((a, r) => a + (r[k] ?? 0), 0);
  return {
    cpuMicros: sum('cpuMicros'),
    wallMs: Math.max(...reports.map((r) => r.wallMs)),
    done: sum('done'),
    failed: sum('failed'),
    sent: sum('sent'),
    answered: sum('answered'),
    received: sum('received'),
    latenciesMs: reports.flatMap((r) => r.latenciesMs ?? []),
  };
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
}

/** Give each of `procs` workers every procs-th source address. */
export function shareOf(sources: string[], procs: number, i: number): string[] {
  const mine = sources.filter((_, k) => k % procs === i);
  return mine.length > 0 ? mine : [sources[i % sources.length]!];
}

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[a.slice(2)] = 'true';
    else out[a.slice(2)] = argv[++i]!;
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!args.target) throw new Error('--target HOST:PORT is required');
  const [host, port] = [args.target.slice(0, args.target.lastIndexOf(':')), Number(args.target.slice(args.target.lastIndexOf(':') + 1))];
  const target: Endpoint = { host: host!, port };
  const procs = Number(args.procs ?? 2);
  const seconds = Number(args.seconds ?? 5);
  const peers = Number(args.peers ?? 50);
  const bare = args.bare === 'true';
  const [a, b] = (args.sources ?? '127.0.215.1-20').split('-');
  const base = a!.slice(0, a!.lastIndexOf('.') + 1);
  const first = Number(a!.slice(a!.lastIndexOf('.') + 1));
  const sources = Array.from({ length: Number(b ?? first) - first + 1 }, (_, i) => `${base}${first + i}`);
  const mode = args.mode ?? 'handshake';
  const perProc = (i: number) => Math.floor(peers / procs) + (i < peers % procs ? 1 : 0);
  const run = startLoad(procs, (i): Job => {
    const s = shareOf(sources, procs, i);
    if (mode === 'handshake') return { mode, target, sources: s, seconds, concurrency: Number(args.concurrency ?? 8), bare };
    if (mode === 'ping') return { mode, target, sources: s, peers: perProc(i), perSecond: Number(args.rate ?? 60), seconds, bare, ...(args.window ? { window: Number(args.window) } : {}) };
    if (mode === 'hold') return { mode, target, sources: s, peers: perProc(i), bare };
    return { mode: 'crawl', target, seconds, perSecond: Number(args.rate ?? 20) };
  });
  if (mode === 'hold') {
    console.log(`holding ${await run.held} peers for ${seconds} s`);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    run.release();
  }
  const t = total(await run.reports);
  const { latenciesMs, ...rest } = t;
  console.log(JSON.stringify({ ...rest, p50Ms: percentile(latenciesMs, 50), p99Ms: percentile(latenciesMs, 99), toolCpuShare: t.cpuMicros / 1000 / t.wallMs }, null, 2));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
