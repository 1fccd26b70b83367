/**
 * The daemon end to end on 127.0.0.4x: the README's three-node walk-through (a public hub, a node
 * with the hub in [ips_fixed], a private node behind the hub), restarts, full and private nodes,
 * HTTP on the peer port, and the process itself (config errors, SIGTERM).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dialIndependent, makeNodeKey } from './support/independent-peer.js';
import { crawlOf, httpsGet, PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

afterEach(stopAllNodes);

const HUB = '127.0.0.41';
const PUB = '127.0.0.42';
const PRIV = '127.0.0.43';
const fixedHub = `[ips_fixed]\n${HUB} ${PEER_PORT}`;

describe('three nodes on one machine', () => {
  it('hub lists the public node with its address and leaves the private one out', async () => {
    const hub = await startNode({ ip: HUB });
    const pub = await startNode({ ip: PUB, extra: fixedHub });
    const priv = await startNode({ ip: PRIV, extra: `${fixedHub}\n[peer_private]\n1` });
    await waitFor('hub to have both peers', () => hub.overlay.peers().length === 2);

    const crawl = await crawlOf(hub);
    expect(crawl.version).toBe(2);
    expect(crawl.server.pubkey_node).toBe(hub.identity.n9);
    expect(crawl.server.peers).toBe(2);
    expect(crawl.overlay.active).toHaveLength(1);
    const entry = crawl.overlay.active[0];
    expect(entry.public_key).toBe(pub.identity.publicKey.toString('base64'));
    expect(entry).toMatchObject({ type: 'in', ip: PUB, version: 'xrpl-overlay-0.1.0' });
    expect(typeof entry.uptime).toBe('number');
    // An inbound peer's source port is ephemeral: a crawler could not dial it. Only the listening
    // port the public node advertised, once verified, may be listed.
    const pubOnHub = hub.overlay.peers().find((p) => p.info.n9 === pub.identity.n9)!;
    expect(entry.port === undefined || entry.port === PEER_PORT).toBe(true);
    expect(entry.port).not.toBe(pubOnHub.info.remotePort);
    const privKey = priv.identity.publicKey.toString('base64');
    expect(JSON.stringify(crawl)).not.toContain(privKey);
    expect(JSON.stringify(crawl)).not.toContain(PRIV);

    const pubCrawl = await crawlOf(pub);
    expect(pubCrawl.overlay.active).toEqual([
      expect.objectContaining({ public_key: hub.identity.publicKey.toString('base64'), type: 'out', ip: HUB, port: PEER_PORT }),
    ]);
    // The private node told the hub so in its handshake.
    const privOnHub = hub.overlay.peers().find((p) => p.info.n9 === priv.identity.n9)!;
    expect(privOnHub.info.crawl).toBe('private');
  });

  it('hide_address lists a private peer without ip or port', async () => {
    const hub = await startNode({ ip: HUB, extra: '[crawl]\nprivate_peers = hide_address' });
    const priv = await startNode({ ip: PRIV, extra: `${fixedHub}\n[peer_private]\n1` });
    await waitFor('hub to have the private node', () => hub.overlay.peers().length === 1);
    const crawl = await crawlOf(hub);
    expect(crawl.overlay.active).toHaveLength(1);
    expect(crawl.overlay.active[0].public_key).toBe(priv.identity.publicKey.toString('base64'));
    expect(crawl.overlay.active[0].ip).toBeUndefined();
    expect(crawl.overlay.active[0].port).toBeUndefined();
  });

  it('a fixed peer reconnects after the hub restarts', async () => {
    const hubDir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-hub-'));
    let hub = await startNode({ ip: HUB, dataDir: hubDir });
    const pub = await startNode({ ip: PUB, extra: fixedHub });
    await waitFor('first connection', () => pub.overlay.peers().length === 1);
    const hubKey = hub.identity.n9;
    await hub.stop();
    await waitFor('the loss to be seen', () => pub.overlay.peers().length === 0);
    hub = await startNode({ ip: HUB, dataDir: hubDir });
    expect(hub.identity.n9).toBe(hubKey); // same key from the data directory
    const [peer] = await waitFor('reconnection', () => pub.overlay.peers().length === 1 && pub.overlay.peers(), 10_000);
    expect(peer!.info.n9).toBe(hubKey);
    expect(peer!.info.direction).toBe('out');
  });

  it('never lists an inbound port for a peer that does not listen', async () => {
    const hub = await startNode({ ip: HUB });
    const conn = await dialIndependent({ host: HUB, port: PEER_PORT });
    await waitFor('the peer', () => hub.overlay.peers().length === 1);
    await new Promise((r) => setTimeout(r, 700)); // a few endpoints intervals
    const crawl = await crawlOf(hub);
    expect(crawl.overlay.active).toHaveLength(1);
    expect(crawl.overlay.active[0].port).toBeUndefined();
    await conn.close();
  });

  it('a private node refuses inbound peers that are not fixed or cluster (503)', async () => {
    const priv = await startNode({ ip: PRIV, extra: '[peer_private]\n1' });
    const err = await dialIndependent({ host: PRIV, port: PEER_PORT }).catch((e) => e);
    expect(err.status).toBe(503);
    expect(JSON.parse(err.body.toString())).toEqual({ 'peer-ips': [] });
    expect(priv.overlay.peers()).toHaveLength(0);
  });
});

describe('slots', () => {
  it('a full node answers 503 with other peers to try', async () => {
    const full = await startNode({ ip: '127.0.0.44', extra: '[peers_in_max]\n1\n[peers_out_max]\n10' });
    const other = await startNode({ ip: '127.0.0.45' });
    // Give the full node one outbound peer it can hand out.
    await full.overlay.connect('127.0.0.45', PEER_PORT, 'test');
    const first = await dialIndependent({ host: '127.0.0.44', port: PEER_PORT });
    await waitFor('inbound slot taken', () => full.overlay.slotCounts().in === 1);
    const err = await dialIndependent({ host: '127.0.0.44', port: PEER_PORT }).catch((e) => e);
    expect(err.status).toBe(503);
    expect(err.statusLine).toBe('HTTP/1.1 503 Service Unavailable');
    expect(err.headers['content-type']).toBe('application/json');
    expect(JSON.parse(err.body.toString())).toEqual({ 'peer-ips': [`127.0.0.45:${PEER_PORT}`] });
    await first.close();
    expect(other.overlay.peers()).toHaveLength(1);
  });

  it('refuses a second connection from a key that is already connected (503)', async () => {
    const node = await startNode({ ip: '127.0.0.46' });
    const key = makeNodeKey();
    const first = await dialIndependent({ host: '127.0.0.46', port: PEER_PORT, nodePrivateKeyHex: key.privateKeyHex });
    const err = await dialIndependent({ host: '127.0.0.46', port: PEER_PORT, nodePrivateKeyHex: key.privateKeyHex }).catch((e) => e);
    expect(err.status).toBe(503);
    expect(node.overlay.peers()).toHaveLength(1);
    await first.close();
  });

  it('refuses to connect to itself', async () => {
    const node = await startNode({ ip: '127.0.0.47' });
    const err = await node.overlay.connect('127.0.0.47', PEER_PORT, 'test').catch((e) => e);
    expect(String(err.message)).toMatch(/Self connection/);
    expect(node.overlay.peers()).toHaveLength(0);
  });
});

describe('HTTP on the peer port', () => {
  it('answers /health, refuses other paths with 403, and cuts off idle clients', async () => {
    const node = await startNode({ ip: '127.0.0.48' });
    const health = await httpsGet('127.0.0.48', PEER_PORT, '/health');
    expect(health.status).toBe(500); // no peers at all is critical
    expect(JSON.parse(health.body).info.peers).toBe(0);
    expect((await httpsGet('127.0.0.48', PEER_PORT, '/nothing-here')).status).toBe(403);
    expect((await httpsGet('127.0.0.48', PEER_PORT, '/')).status).toBe(403);
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const s = tls.connect({ host: '127.0.0.48', port: PEER_PORT, rejectUnauthorized: false }, () => s.write('GET /crawl HTTP/1.1\r\n'));
      s.on('error', () => {});
      s.on('close', () => resolve(Date.now() - started));
    });
    expect(closedAfter).toBeLessThan(4000); // inbound_handshake_timeout = 2 s in tests
    void node;
  });

  it('returns 403 for /crawl when [crawl] is 0', async () => {
    await startNode({ ip: '127.0.0.49', extra: '[crawl]\n0' });
    expect((await httpsGet('127.0.0.49', PEER_PORT, '/crawl')).status).toBe(403);
  });

  it('answers /vl/<key> with 404 as rippled does for a key it holds no list for, and 403 when [vl] enabled = 0', async () => {
    await startNode({ ip: '127.0.5.1' });
    const key = 'ED2677ABFFD1B33AC6FBC3062B71F1E8397C1505E1C42C64D11AD1B28FF73F4734';
    const vl = await httpsGet('127.0.5.1', PEER_PORT, `/vl/${key}`);
    expect(vl.status).toBe(404);
    expect(vl.headers['content-type']).toBe('application/json');
    expect(vl.body).toBe('');
    expect((await httpsGet('127.0.5.1', PEER_PORT, '/vl/')).status).toBe(403);
    await startNode({ ip: '127.0.5.2', extra: '[vl]\nenabled = 0' });
    expect((await httpsGet('127.0.5.2', PEER_PORT, `/vl/${key}`)).status).toBe(403);
  });
});

function runCli(args: string[], onLine?: (line: string, kill: () => void) => void): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      for (const line of c.toString().split('\n')) if (line) onLine?.(line, () => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('the xrpl-overlay process', () => {
  it('exits non-zero on a bad config, naming file, line and stanza', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-cfg-'));
    const file = join(dir, 'bad.cfg');
    writeFileSync(file, `[port_peer]\nport = ${PEER_PORT}\n\n[ips_fixed]\nexample.com notaport\n`);
    const r = await runCli(['--conf', file]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`${file}:5`);
    expect(r.err).toContain('[ips_fixed]');
  });

  it('closes peers and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-run-'));
    const file = join(dir, 'node.cfg');
    writeFileSync(file, `[port_peer]\nip = 127.0.0.50\nport = ${PEER_PORT}\nprotocol = peer\n`);
    let killed = false;
    const r = await runCli(['--conf', file, '--data-dir', dir], (line, kill) => {
      if (!killed && line.includes('xrpl-overlay started')) {
        killed = true;
        kill();
      }
    });
    expect(killed).toBe(true);
    expect(r.code).toBe(0);
    expect(r.out).toContain('shutting down');
  });
});

describe('malformed handshake data', () => {
  it('closes without a response when Closed-Ledger is malformed, as rippled does', async () => {
    const node = await startNode({ ip: '127.0.0.40' });
    const err = await dialIndependent({ host: '127.0.0.40', port: PEER_PORT, extraHeaders: { 'Closed-Ledger': 'zz', 'Previous-Ledger': 'zz' } }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.status).toBeUndefined();
    expect(node.overlay.peers()).toHaveLength(0);
  });
});
