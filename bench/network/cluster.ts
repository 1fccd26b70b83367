/**
 * The parent's side of the network bench's node processes (node-process.ts, run from a bundle): fork
 * them a few at a time, start, query and stop them over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { FromNode, NodeStatus, ToNode } from './node-process.js';

export interface NodeProc {
  ip: string;
  pid: number;
  /** Set once started. */
  port?: number;
  n9?: string;
  /** Wall time from fork until the code was loaded, and the process's CPU and RSS then. */
  loaded: { wallMs: number; cpuMicros: number; rssBytes: number };
  start(configText: string): Promise<{ port: number; n9: string }>;
  /** `peers`: list the peers' keys (default true). */
  status(gc?: boolean, peers?: boolean): Promise<NodeStatus>;
  /** Called with the time (ms since the epoch) the node first accepted a validation. */
  onAccepted?: (atMs: number) => void;
  stop(): Promise<void>;
}

/** Fork one node process from `bundlePath`; resolves once its code is loaded. */
export function forkNode(bundlePath: string, ip: string): Promise<NodeProc> {
  const t0 = performance.now();
  // Plain node: no TypeScript loader (the bundle is JS); --expose-gc for the RSS figures.
  // BENCH_CPU_PROF=DIR: each node writes a V8 CPU profile there when it stops (as bench/load.bench.ts's targets do).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const child: ChildProcess = fork(bundlePath, [], { execArgv: ['--expose-gc', ...prof], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const statusWaiters: ((s: NodeStatus) => void)[] = [];
  let onStarted: ((s: { port: number; n9: string }) => void) | undefined;
  let onFailed: ((e: Error) => void) | undefined;
  return new Promise((resolve, reject) => {
    let proc: NodeProc | undefined;
    child.on('exit', (code) => {
      const e = new Error(`node process ${ip} exited with ${code}`);
      if (!proc) reject(e);
      onFailed?.(e);
    });
    child.on('message', (m: FromNode) => {
      if ('loaded' in m) {
        proc = {
          ip,
          pid: child.pid!,
          loaded: { wallMs: performance.now() - t0, ...m.loaded },
          start: (configText) =>
            new Promise((res, rej) => {
              onStarted = (s) => {
                proc!.port = s.port;
                proc!.n9 = s.n9;
                res(s);
              };
              onFailed = rej;
              child.send({ start: { configText, name: `${ip}.cfg` } } satisfies ToNode);
            }),
          status: (gc = false, peers = true) =>
            new Promise((res) => {
              statusWaiters.push(res);
              child.send({ status: true, gc, peers } satisfies ToNode);
            }),
          stop: () =>
            new Promise((res) => {
              if (child.exitCode !== null || !child.connected) return res();
              child.once('exit', () => res());
              child.send({ stop: true } satisfies ToNode);
            }),
        };
        resolve(proc);
      } else if ('started' in m) onStarted?.(m.started);
      else if ('failed' in m) onFailed?.(new Error(`node ${ip}: ${m.failed}`));
      else if ('status' in m) statusWaiters.shift()?.(m.status);
      else if ('accepted' in m) proc?.onAccepted?.(m.accepted.atMs);
    });
  });
}

/** Fork `ips.length` node processes, `parallel` at a time (on 2 cores more only queue up). */
export async function forkNodes(bundlePath: string, ips: string[], parallel = 4): Promise<NodeProc[]> {
  const out: NodeProc[] = new Array(ips.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < ips.length) {
        const i = next++;
        out[i] = await forkNode(bundlePath, ips[i]!);
      }
    }),
  );
  return out;
}

/** RSS of a bare Node process (bare-process.ts bundled): the baseline for RSS per node. */
export function bareProcessRss(bundlePath: string): Promise<number> {
  const child = fork(bundlePath, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (m: { loaded?: unknown; status?: { rssBytes: number } }) => {
      // Asked once it is up and idle, as the nodes are.
      if (m.loaded) setTimeout(() => child.send({ status: true }), 200);
      else if (m.status) {
        child.send({ stop: true });
        resolve(m.status.rssBytes);
      }
    });
    child.on('exit', (code) => code !== 0 && reject(new Error(`bare process exited with ${code}`)));
  });
}
