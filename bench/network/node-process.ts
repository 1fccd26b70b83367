/**
 * One of the network bench's nodes: our daemon in a process of its own (so that its RSS is its own),
 * run from the bundle bench/network/bundle.ts builds. The parent (bench/network/cluster.ts) talks to
 * it over IPC:
 * - it sends `loaded` once the code is in (its CPU and RSS then: the start cost);
 * - `start` starts the daemon from the config text given (port 0 is taken as an ephemeral port) and
 *   answers `started` with the port and node key;
 * - `status` answers with its slots, its peers' keys, RSS and what became of validations;
 * - each validation it accepts first (the overlay's `verifiedItem`, which fires once per item whose
 *   checks passed) is pushed as `accepted` with the time it was accepted;
 * - `stop` stops the daemon and exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/config.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { silentLogger } from '../../src/logger.js';
import { MessageType } from '../../src/protocol/message-types.js';

export interface NodeStatus {
  n9: string;
  out: number;
  in: number;
  /** Keys of every active peer (either direction); empty when not asked for. */
  peers: string[];
  rssBytes: number;
  cpuMicros: number;
  /** Validations accepted (first copy, checks passed). */
  validationsAccepted: number;
  /** Relay outcomes for validations. */
  validationsRelayed: number;
  validationsDuplicate: number;
  /** VALIDATION frames sent to each active peer, by its key. */
  validationFramesTo: Record<string, number>;
}

export type ToNode = { start: { configText: string; name: string } } | { status: true; gc: boolean; peers: boolean } | { stop: true };
export type FromNode =
  | { loaded: { cpuMicros: number; rssBytes: number } }
  | { started: { port: number; n9: string } }
  | { status: NodeStatus }
  | { accepted: { n9: string; atMs: number } }
  | { failed: string };

const send = (m: FromNode) => process.send!(m);
/** RSS, or NaN when it cannot be read (at the file-descriptor limit, reading it needs a descriptor). */
const rssNow = () => {
  try {
    return process.memoryUsage().rss;
  } catch {
    return NaN;
  }
};
const cpuNow = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

let daemon: Daemon | undefined;
let dir: string | undefined;
const counts = { accepted: 0, relayed: 0, duplicate: 0 };

async function start(configText: string, name: string): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-net-'));
  const config = parseConfig(configText, name);
  // Port 0 is no valid config value: the config names a port, and the node listens on an ephemeral one.
  config.peerPort = { ...config.peerPort, port: 0 };
  const d = await startDaemon({ config, dataDir: dir, log: silentLogger() });
  daemon = d;
  d.overlay.on('verifiedItem', (_peer, msg) => {
    if (msg.name !== 'VALIDATION') return;
    counts.accepted++;
    send({ accepted: { n9: d.identity.n9, atMs: performance.timeOrigin + performance.now() } });
  });
  d.overlay.on('relayItem', (type, outcome) => {
    if (type !== 'VALIDATION') return;
    if (outcome === 'relayed') counts.relayed++;
    else if (outcome === 'duplicate') counts.duplicate++;
  });
  send({ started: { port: d.overlay.address!.port, n9: d.identity.n9 } });
}

function status(gc: boolean, withPeers: boolean): NodeStatus {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const d = daemon!;
  const peers = d.overlay.peers();
  const slots = d.overlay.slotCounts();
  return {
    n9: d.identity.n9,
    out: slots.out,
    in: slots.in,
    peers: withPeers ? peers.map((p) => p.info.n9) : [],
    rssBytes: rssNow(),
    cpuMicros: cpuNow(),
    validationsAccepted: counts.accepted,
    validationsRelayed: counts.relayed,
    validationsDuplicate: counts.duplicate,
    validationFramesTo: Object.fromEntries(peers.map((p) => [p.info.n9, p.traffic.out.get(MessageType.VALIDATION)?.messages ?? 0])),
  };
}

async function stop(): Promise<never> {
  await daemon?.stop().catch(() => {});
  if (dir) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

process.on('message', (m: ToNode) => {
  if ('start' in m) start(m.start.configText, m.start.name).catch((e: Error) => send({ failed: e.message }));
  else if ('status' in m) send({ status: status(m.gc, m.peers) });
  else void stop();
});
process.on('disconnect', () => void stop());
send({ loaded: { cpuMicros: cpuNow(), rssBytes: rssNow() } });
