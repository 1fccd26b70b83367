/**
 * `xrpl-overlay <command>` as a child process against nodes on 127.0.0.70–74: readable output,
 * --json, the WebSocket port, errors (node not running, refused address, bad arguments), and
 * `stop` ending a daemon started by the CLI with exit status 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../src/daemon.js';
import { adminStanzas, parsePrometheus, makeSeed, RPC_PORT, runCli, WS_PORT } from './support/admin.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

const NODE = '127.0.0.70';
const PEER = '127.0.0.71';
const DIALLED = '127.0.0.72';
const SPAWNED = '127.0.0.73';
const REFUSING = '127.0.0.74';

const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-cli-'));
function conf(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
const RPC_CONF = conf('rpc.cfg', adminStanzas({ ip: NODE, rpcPort: RPC_PORT }));
const WS_CONF = conf('ws.cfg', adminStanzas({ ip: NODE, wsPort: WS_PORT }));
const DOWN_CONF = conf('down.cfg', adminStanzas({ ip: DIALLED, rpcPort: RPC_PORT }));
const REFUSED_CONF = conf('refused.cfg', adminStanzas({ ip: REFUSING, rpcPort: RPC_PORT, wsPort: WS_PORT, admin: '127.0.0.2' }));

let node: Daemon;
let peer: Daemon;

beforeAll(async () => {
  node = await startNode({ ip: NODE, extra: adminStanzas({ ip: NODE, rpcPort: RPC_PORT, wsPort: WS_PORT }) });
  peer = await startNode({ ip: PEER, extra: `[ips_fixed]\n${NODE} ${PEER_PORT}` });
  await waitFor('the peer', () => node.overlay.peers().length === 1);
});

afterAll(async () => {
  await stopAllNodes();
  rmSync(dir, { recursive: true, force: true });
});

describe('readable output', () => {
  it('peers, server_info, crawl and metrics print tables and lines', async () => {
    const [peers, info, crawl, metrics, wsPeers] = await Promise.all([
      runCli(['--conf', RPC_CONF, 'peers']),
      runCli(['--conf', RPC_CONF, 'server_info']),
      runCli(['--conf', RPC_CONF, 'crawl']),
      runCli(['--conf', RPC_CONF, 'metrics']),
      runCli(['--conf', WS_CONF, 'peers']),
    ]);
    for (const r of [peers, info, crawl, metrics, wsPeers]) {
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    }
    const lines = peers.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PUBLIC KEY\s+ADDRESS\s+DIR\s+VERSION\s+PROTOCOL\s+UPTIME\s+LATENCY\s+LEDGERS\s+TRACK\s+STATUS\s+LOAD\s+RECV\s+SENT$/);
    expect(lines[1]).toMatch(new RegExp(`^${peer.identity.n9}\\s+127\\.0\\.0\\.71:\\d+\\s+in\\s+xrpl-overlay-0\\.1\\.0\\s+XRPL/2\\.2\\s`));
    expect(lines.at(-1)).toBe('1 peer: 1 inbound, 0 outbound');
    // The same table through the WebSocket port.
    expect(wsPeers.out.split('\n')[0]).toBe(lines[0]);
    expect(wsPeers.out).toContain(peer.identity.n9);

    expect(info.out).toMatch(new RegExp(`^pubkey_node\\s+${node.identity.n9}$`, 'm'));
    expect(info.out).toMatch(/^server_state\s+connected$/m);
    expect(info.out).toMatch(/^peers\s+1$/m);
    expect(info.out).toMatch(new RegExp(`^ports\\s+${PEER_PORT} \\(peer\\), ${RPC_PORT} \\(http\\), ${WS_PORT} \\(ws\\)$`, "m"));

    expect(crawl.out).toMatch(/^PUBLIC KEY \(base64\)\s+TYPE\s+ADDRESS/);
    expect(crawl.out).toContain(peer.identity.publicKey.toString('base64'));

    expect(parsePrometheus(metrics.out).get('xrpl_overlay_peers')!.samples).toContainEqual({ labels: { direction: 'in' }, value: 1 });
  });

  it('get_counts and tx_reduce_relay print what the node counted', async () => {
    // The text first, the raw answer after it: categories are only ever added, so each row's is in the later answer.
    const counts = await runCli(['--conf', RPC_CONF, 'get_counts']);
    const [countsJson, txr] = await Promise.all([runCli(['--conf', RPC_CONF, '--json', 'get_counts']), runCli(['--conf', RPC_CONF, 'tx_reduce_relay'])]);
    for (const r of [counts, countsJson, txr]) expect([r.code, r.err]).toEqual([0, '']);
    const raw = JSON.parse(countsJson.out) as Record<string, string>;
    const categories = Object.keys(raw).filter((k) => k.endsWith('_Messages_In')).map((k) => k.slice(0, -'_Messages_In'.length));
    const lines = counts.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CATEGORY\s+BYTES IN\s+BYTES OUT\s+MESSAGES IN\s+MESSAGES OUT$/);
    const rows = lines.slice(1, lines.indexOf(''));
    // The handshake's own messages (the peer's TMManifests/TMStatusChange at least) were counted.
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(categories).toContain(row.split(/\s{2,}/)[0]);
    expect(lines.at(-1)).toMatch(/^uptime: \d+ (second|minute)/);
    expect(txr.out.split('\n')[0]).toMatch(/^METRIC \(rolling average\)\s+VALUE\s+RIPPLED NAME$/);
    expect(txr.out).toMatch(/^transactions\s+0\s+txr_tx_cnt$/m);
  });

  it('--json prints the raw result', async () => {
    const [peers, info] = await Promise.all([runCli(['--conf', RPC_CONF, '--json', 'peers']), runCli(['--conf', WS_CONF, '--json', 'server_info'])]);
    expect(peers.code).toBe(0);
    const p = JSON.parse(peers.out);
    expect(p).toMatchObject({ status: 'success', cluster: {}, peers: [{ public_key: peer.identity.n9, inbound: true }] });
    const i = JSON.parse(info.out);
    expect(i).toMatchObject({ status: 'success', info: { pubkey_node: node.identity.n9, peers: 1 } });
  });

  it('connect, reservations and log_level', async () => {
    const key = makeSeed().n9;
    const [c1, c2, add] = await Promise.all([
      runCli(['--conf', RPC_CONF, 'connect', DIALLED, `${PEER_PORT}`]),
      runCli(['--conf', WS_CONF, 'connect', `${DIALLED}:51236`]),
      runCli(['--conf', RPC_CONF, 'peer_reservations_add', key, 'our hub']),
    ]);
    expect(c1).toEqual({ code: 0, out: `attempting connection to IP:${DIALLED} port: ${PEER_PORT}\n`, err: '' });
    expect(c2.out).toBe(`attempting connection to IP:${DIALLED} port: 51236\n`);
    expect(add.out).toBe(`reserved a peer slot for ${key} "our hub"\n`);

    const list = await runCli(['--conf', RPC_CONF, 'peer_reservations_list']);
    expect(list.out).toMatch(/^NODE\s+DESCRIPTION$/m);
    expect(list.out).toMatch(new RegExp(`^${key}\\s+our hub$`, 'm'));
    expect(list.out.trimEnd().split('\n').at(-1)).toBe('1 reservation');

    const [del, level] = await Promise.all([
      runCli(['--conf', WS_CONF, 'peer_reservations_del', key]),
      runCli(['--conf', RPC_CONF, 'log_level', 'fatal']),
    ]);
    expect(del.out).toBe(`removed the reservation ${key} "our hub"\n`);
    expect(level.out).toBe('log level set to fatal\n');
    expect(node.overlay.opts.log.level).toBe('fatal');
    const shown = await runCli(['--conf', RPC_CONF, 'log_level']);
    expect(shown.out).toBe('base  Fatal\n');
    node.overlay.opts.log.level = 'silent';
    expect((await runCli(['--conf', RPC_CONF, 'peer_reservations_list'])).out).toBe('no peer reservations\n');
  });
});

describe('errors', () => {
  it('a failed command prints rippled’s message and exits 1; --json prints the error result', async () => {
    const [bad, badJson, badLevel] = await Promise.all([
      runCli(['--conf', RPC_CONF, 'peer_reservations_add', 'n9nope']),
      runCli(['--conf', WS_CONF, '--json', 'peer_reservations_del', 'n9nope']),
      runCli(['--conf', RPC_CONF, 'log_level', 'loud']),
    ]);
    expect(bad).toEqual({ code: 1, out: '', err: 'xrpl-overlay: peer_reservations_add: Public key is malformed. (publicMalformed)\n' });
    expect(badJson.code).toBe(1);
    expect(JSON.parse(badJson.out)).toEqual({
      error: 'publicMalformed',
      error_code: 62,
      error_message: 'Public key is malformed.',
      request: { command: 'peer_reservations_del', public_key: 'n9nope', id: 1 },
      status: 'error',
    });
    expect(badLevel.err).toBe("xrpl-overlay: log_level: Invalid field 'severity': expected one of trace, debug, info, warning, error, fatal. (invalidParams)\n");
  });

  it('says clearly when the node is not running, or refuses this address', async () => {
    await startNode({ ip: REFUSING, extra: adminStanzas({ ip: REFUSING, rpcPort: RPC_PORT, wsPort: WS_PORT, admin: '127.0.0.2' }) });
    const wsRefusedConf = conf('refused-ws.cfg', adminStanzas({ ip: REFUSING, wsPort: WS_PORT, admin: '127.0.0.2' }));
    const [down, refused, refusedWs, noConf] = await Promise.all([
      runCli(['--conf', DOWN_CONF, 'peers']),
      runCli(['--conf', REFUSED_CONF, 'peers']),
      runCli(['--conf', wsRefusedConf, 'peers']),
      runCli(['--conf', join(dir, 'missing.cfg'), 'peers']),
    ]);
    expect(down.code).toBe(1);
    expect(down.out).toBe('');
    expect(down.err).toBe(
      `xrpl-overlay: cannot reach the node at http://${DIALLED}:${RPC_PORT} ([port_rpc_admin_local] of the config): connection refused. Is xrpl-overlay running?\n`,
    );
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('refused the command (403 Forbidden): this address is not in the admin = list of [port_rpc_admin_local]');
    expect(refused.out).toBe('');
    expect(refusedWs.code).toBe(1);
    expect(refusedWs.err).toBe("xrpl-overlay: the node refused 'peers': this address is not in the admin = list of [port_ws_admin_local] (forbidden)\n");
    expect(noConf.code).toBe(1);
    expect(noConf.err).toContain('missing.cfg');
  });

  it('usage errors exit 2', async () => {
    const [unknown, badIp, extra, noKey] = await Promise.all([
      runCli(['--conf', RPC_CONF, 'ledger_accept']),
      runCli(['--conf', RPC_CONF, 'connect', 'example']),
      runCli(['--conf', RPC_CONF, 'peers', 'now']),
      runCli(['--conf', RPC_CONF, 'peer_reservations_add']),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'ledger_accept'");
    expect(unknown.err).toContain('peer_reservations_add PUBLIC_KEY [DESCRIPTION]');
    expect(badIp).toMatchObject({ code: 2, err: expect.stringContaining("connect: 'example' is not an IP address") });
    expect(extra).toMatchObject({ code: 2, err: expect.stringContaining('peers takes no arguments') });
    expect(noKey).toMatchObject({ code: 2, err: expect.stringContaining('needs the node public key') });
  });
});

describe('stop', () => {
  it('ends a daemon started by the CLI, which exits 0', async () => {
    const data = mkdtempSync(join(dir, 'data-'));
    const file = conf('spawned.cfg', `[port_peer]\nip = ${SPAWNED}\nport = ${PEER_PORT}\nprotocol = peer\n\n${adminStanzas({ ip: SPAWNED, rpcPort: RPC_PORT })}`);
    const daemon = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--conf', file, '--data-dir', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    daemon.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', resolve));
    try {
      await waitFor('the daemon to start', () => out.includes('xrpl-overlay started'), 10_000);
      const stop = await runCli(['--conf', file, 'stop']);
      expect(stop).toEqual({ code: 0, out: 'xrpl-overlay server stopping\n', err: '' });
      expect(await exited).toBe(0);
      expect(out).toContain('"signal":"stop command"');
    } finally {
      daemon.kill('SIGKILL');
    }
  });
});
