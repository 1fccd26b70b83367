/**
 * A process under load, started by the bench: either our node (`node`) or the bare-Node baseline
 * (`bare`): a TLS server that completes handshakes and echoes bytes, a TLS fan-out (every byte a
 * sender connection writes goes to every receiver connection) and an HTTPS server that answers
 * GET /crawl with a fixed body of `crawlBytes`. Each in its own process so that its CPU and RSS are
 * its own. Talks to the parent over IPC: sends {ready, ports}, answers {stats} with RSS (after a GC)
 * and CPU used so far, exits on {stop}.
 */
import tls from 'node:tls';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/config.js';
import { startDaemon } from '../../src/daemon.js';
import { makeSelfSignedCertificate } from '../../src/identity/certificate.js';
import { silentLogger } from '../../src/logger.js';

export interface TargetPorts {
  /** Peer port (node) or TLS echo port (bare); handshakes and pings go here. */
  peer: number;
  /** Bare only: senders connect here, receivers to fanoutIn. */
  fanoutIn?: number;
  fanoutOut?: number;
  /** Bare only: HTTPS GET /crawl. The node serves /crawl on its peer port. */
  crawl?: number;
}

export type ParentMessage = { stats: true; gc: boolean } | { stop: true };
export interface TargetStats {
  rssBytes: number;
  /** V8 heap in use, and memory outside it (Buffers, TLS) as Node counts them. */
  heapBytes: number;
  /** V8 heap reserved (used or not). */
  heapTotalBytes: number;
  externalBytes: number;
  cpuMicros: number;
  /** The node's signature verify workers loaded so far (the relay row waits for them; bare: 0). */
  verifyWorkers: number;
}
export type TargetMessage = { ready: TargetPorts } | { stats: TargetStats };

let verifyWorkers = (): number => 0;

/** `unmetered` (node only): resource thresholds too high to reach, for the ping saturation row. */
const [kind, host, crawlBytesArg, metering] = process.argv.slice(2);
const send = (m: TargetMessage) => process.send!(m);

function stats(gc: boolean): TargetStats {
  // A GC costs CPU: only the memory figures ask for one.
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external, cpuMicros: cpu.user + cpu.system, verifyWorkers: verifyWorkers() };
}

function listen(server: tls.Server | https.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as { port: number }).port)));
}

async function startBare(): Promise<{ ports: TargetPorts; stop: () => void }> {
  const m = makeSelfSignedCertificate();
  const opts = { key: m.key, cert: m.cert };
  const echo = tls.createServer(opts, (s) => {
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
  const receivers = new Set<tls.TLSSocket>();
  const fanOut = tls.createServer(opts, (s) => {
    s.on('error', () => s.destroy());
    receivers.add(s);
    s.on('close', () => receivers.delete(s));
    s.resume();
  });
  const fanIn = tls.createServer(opts, (s) => {
    s.on('error', () => s.destroy());
    s.on('data', (chunk: Buffer) => {
      for (const r of receivers) r.write(chunk);
    });
  });
  // GET /crawl?bytes=N: a body of N bytes (the size of our node's /crawl in the same run).
  const bodies = new Map<number, Buffer>();
  const crawl = https.createServer(opts, (req, res) => {
    const n = Math.min(Number(new URL(req.url ?? '/', 'https://x').searchParams.get('bytes') ?? crawlBytesArg ?? 0) || 0, 1 << 24);
    if (!bodies.has(n)) bodies.set(n, Buffer.alloc(n, 'x'));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(bodies.get(n));
  });
  const ports = { peer: await listen(echo), fanoutIn: await listen(fanIn), fanoutOut: await listen(fanOut), crawl: await listen(crawl) };
  return { ports, stop: () => process.exit(0) };
}

// Pings at saturation come at thousands a second from a few addresses: past rippled's thresholds
// (a steady 100 pings/s from one address) the node would rightly drop the tool's peers.
const UNMETERED = metering === 'unmetered' ? 'resource_warn_threshold = 50000000\nresource_drop_threshold = 100000000\n' : '';

async function startNode(): Promise<{ ports: TargetPorts; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-load-'));
  // BENCH_VERIFY_THREADS=N: [overlay] verify_threads for a comparison (0: verify on the event loop).
  const verifyThreads = process.env.BENCH_VERIFY_THREADS ? `verify_threads = ${process.env.BENCH_VERIFY_THREADS}\n` : '';
  // No [ips]: nothing to dial. Slots for the load tool's peers, spread over many source addresses.
  const config = parseConfig(
    `[port_peer]\nip = ${host}\nport = 51235\nprotocol = peer\n\n[peers_in_max]\n1000\n\n[peers_out_max]\n10\n\n[overlay]\nip_limit = 500\n${verifyThreads}${UNMETERED}`,
    'load.cfg',
  );
  config.peerPort = { ...config.peerPort, port: 0 };
  const daemon = await startDaemon({ config, dataDir: dir, log: silentLogger() });
  const port = daemon.overlay.address!.port;
  const pool = daemon.overlay.verifyPool as { startedWorkers?: number };
  verifyWorkers = () => pool.startedWorkers ?? 0;
  return {
    ports: { peer: port },
    stop: () => {
      void daemon.stop().finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
    },
  };
}

const target = kind === 'node' ? await startNode() : await startBare();
process.on('message', (m: ParentMessage) => {
  if ('stats' in m) send({ stats: stats(m.gc) });
  else target.stop();
});
process.on('disconnect', () => target.stop());
send({ ready: target.ports });
