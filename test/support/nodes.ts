/** Start real nodes on 127.0.0.x for integration tests, and the small helpers those tests share. */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/config.js';
import { type Daemon, startDaemon } from '../../src/daemon.js';
import { silentLogger } from '../../src/logger.js';
import pino from 'pino';

/** Timers short enough for tests; production keeps rippled's defaults. */
export const FAST_OVERLAY = ['ping_interval = 0.5', 'fixed_backoff_min = 0.1', 'fixed_backoff_max = 0.5', 'connect_timeout = 3', 'tcp_connect_timeout = 1', 'tls_handshake_timeout = 1', 'http_read_timeout = 1', 'inbound_handshake_timeout = 2', 'loopback_http_timeout = 2'];
/**
 * A TCP port that is free on every address right now, chosen by the OS (bind to port 0 on the wildcard
 * address, read the port back, close). For configs that must name a port before the node listens on it:
 * two copies of the suite (or two files) then never share a port, whereas a fixed number collides with
 * EADDRINUSE. The OS starts its search at a random offset, so another process picking the same port
 * between our close and the node's listen is unlikely; if it happens the node fails to start loudly.
 */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/** n distinct free ports (all held open together while they are chosen, so they differ). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen({ host: '0.0.0.0', port: 0, exclusive: true }, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/**
 * This test file's default peer port and admin ports (each file loads its own copy of this module; they
 * are distinct): what nodes started without a port listen on, and what a test writes in [ips_fixed] for such a node.
 */
export const [PEER_PORT, RPC_PORT, WS_PORT] = (await freePorts(3)) as [number, number, number];

export const FAST_PEERFINDER = ['autoconnect_interval = 0.05', 'recent_attempt_interval = 0.2', 'endpoints_interval = 0.3', 'livecache_ttl = 3', 'bootcache_cooldown = 0.2'];

export interface TestNodeSpec {
  ip: string;
  /** Default PEER_PORT (chosen at run time, free); 0: an ephemeral port (read it back with portOf). */
  port?: number;
  /** Extra config text: stanzas like "[ips_fixed]\n127.0.0.2 51235". */
  extra?: string;
  overlay?: string[];
  peerfinder?: string[];
  dataDir?: string;
}

export function nodeConfigText(spec: TestNodeSpec): string {
  return [
    '[port_peer]',
    `ip = ${spec.ip}`,
    `port = ${spec.port ?? PEER_PORT}`,
    'protocol = peer',
    '',
    '[overlay]',
    ...FAST_OVERLAY,
    ...(spec.overlay ?? []),
    '',
    '[peerfinder]',
    ...FAST_PEERFINDER,
    ...(spec.peerfinder ?? []),
    '',
    spec.extra ?? '',
  ].join('\n');
}

const started: { daemon: Daemon; dir?: string }[] = [];

export async function startNode(spec: TestNodeSpec): Promise<Daemon> {
  const ownDir = spec.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'xrpl-overlay-test-'));
  // Port 0 (an ephemeral port, so that no other test file or a second copy of the suite can hold it)
  // is no valid config value: parse the default and listen on 0.
  const config = parseConfig(nodeConfigText(spec.port === 0 ? { ...spec, port: undefined } : spec), `${spec.ip}.cfg`);
  if (spec.port === 0) config.peerPort = { ...config.peerPort, port: 0 };
  const log = process.env.TEST_LOG ? pino({ level: 'debug', base: { node: spec.ip } }) : silentLogger();
  const daemon = await startDaemon({ config, dataDir: spec.dataDir ?? ownDir, log });
  started.push({ daemon, dir: ownDir });
  return daemon;
}

/** Stop every node started by this test file (call from afterEach/afterAll). */
export async function stopAllNodes(): Promise<void> {
  const all = started.splice(0);
  await Promise.all(all.map((n) => n.daemon.stop().catch(() => {})));
  for (const n of all) if (n.dir) rmSync(n.dir, { recursive: true, force: true });
}

export function portOf(d: Daemon): number {
  return d.overlay.address!.port;
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000, stepMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpsGet(host: string, port: number, path: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host, port, path, rejectUnauthorized: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

export async function crawlOf(d: Daemon): Promise<any> {
  const r = await httpsGet(d.config.peerPort.ip, portOf(d), '/crawl');
  if (r.status !== 200) throw new Error(`/crawl answered ${r.status}`);
  return JSON.parse(r.body);
}
