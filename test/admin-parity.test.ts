/**
 * Admin-port answers checked against rippled's source: `peers` adds the legacy `sanity` field for
 * API version 1 (the default), `log_level` names severities as Logs::toString does, a plain
 * `GET /` on a port with ws is ServerHandler's status check, and HTTPReply ends every body with
 * CRLF. Real nodes on 127.0.11.4–6; clients from 127.0.11.8 (admin) and 127.0.11.9 (outsider).
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { formatServerInfo } from '../src/admin/format.js';
import { type AdminContext, runCommand } from '../src/admin/handlers.js';
import { parseConfig, servedPorts } from '../src/config/config.js';
import type { Peer } from '../src/peer/peer.js';
import { adminStanzas, httpRequest, rpc, RPC_PORT, WS_PORT, WsClient } from './support/admin.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

const NODE = '127.0.11.4';
const PEER = '127.0.11.5';
const BOTH = '127.0.11.6';
const ADMIN = '127.0.11.8';
const OUTSIDER = '127.0.11.9';
const STANZAS = adminStanzas({ ip: NODE, rpcPort: RPC_PORT, wsPort: WS_PORT, admin: ADMIN });

const clients: WsClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await stopAllNodes();
});

async function ws(host: string, port: number, localAddress: string): Promise<WsClient> {
  const c = await WsClient.open(`ws://${host}:${port}`, localAddress);
  clients.push(c);
  return c;
}

/** A context whose only peer tracks as `track`, for the handlers alone. */
function contextWithPeer(track: 'converged' | 'unknown' | 'diverged'): AdminContext {
  const peer = {
    info: { n9: 'n9KxVYHhYdXRLPYDb1LtwFZzDbcgHPVYon9iejXFji9Z3bwi6VS8', remoteIp: '203.0.113.5', remotePort: PEER_PORT, direction: 'out', version: 'rippled-2.3.0' },
    resource: { balance: 0 },
    protocolName: 'XRPL/2.2',
    uptimeSeconds: 5,
    ledger: {},
    traffic: { bytesIn: 0, bytesOut: 0 },
  } as unknown as Peer;
  const overlay = { peers: () => [peer], clusterNodes: [], nodeKey: 'n9self', cluster: { peersJson: () => ({}) } };
  const watch = { trackingOf: () => track, ratesOf: () => ({ recv: 0, sent: 0 }) };
  return { overlay, watch } as unknown as AdminContext;
}

describe('peers: the legacy sanity field', () => {
  it('API version 1 names diverged "insane" and unknown "unknown"; converged and version 2 have none', () => {
    const peerOf = (track: 'converged' | 'unknown' | 'diverged', apiVersion?: number) =>
      (runCommand(contextWithPeer(track), 'peers', {}, { transport: 'http', apiVersion }).peers as Record<string, unknown>[])[0]!;
    expect(peerOf('diverged', 1)).toMatchObject({ track: 'diverged', sanity: 'insane' });
    expect(peerOf('unknown', 1)).toMatchObject({ track: 'unknown', sanity: 'unknown' });
    expect(peerOf('converged', 1)).not.toHaveProperty('sanity');
    // No api_version at all: rippled's default, 1.
    expect(peerOf('diverged')).toMatchObject({ sanity: 'insane' });
    expect(peerOf('diverged', 2)).not.toHaveProperty('sanity');
    expect(peerOf('unknown', 3)).not.toHaveProperty('sanity');
  });

  it('takes api_version from JSON-RPC params and from the WebSocket request', async () => {
    const node = await startNode({ ip: NODE, extra: STANZAS });
    await startNode({ ip: PEER, extra: `[ips_fixed]\n${NODE} ${PEER_PORT}` });
    await waitFor('the peer to connect', () => node.overlay.peers().length === 1);

    const viaRpc = async (params: Record<string, unknown>) => (await rpc(NODE, RPC_PORT, 'peers', params, ADMIN)).result.peers[0];
    expect(await viaRpc({})).toMatchObject({ track: 'unknown', sanity: 'unknown' });
    expect(await viaRpc({ api_version: 1 })).toMatchObject({ sanity: 'unknown' });
    expect(await viaRpc({ api_version: 2 })).not.toHaveProperty('sanity');

    const c = await ws(NODE, WS_PORT, ADMIN);
    expect((await c.request({ command: 'peers' })).result.peers[0]).toMatchObject({ sanity: 'unknown' });
    const v2 = await c.request({ command: 'peers', api_version: 2 });
    expect(v2.api_version).toBe(2);
    expect(v2.result.peers[0]).not.toHaveProperty('sanity');
    // The next request on the same connection is version 1 again.
    expect((await c.request({ command: 'peers' })).result.peers[0]).toMatchObject({ sanity: 'unknown' });
  });
});

describe('log_level', () => {
  it('answers with Logs::toString names and takes any case, as Logs::fromString', () => {
    const log = pino({ level: 'info' }, new Writable({ write: (_c, _e, cb) => cb() }));
    const ctx = { log } as unknown as AdminContext;
    const run = (params: Record<string, unknown>) => runCommand(ctx, 'log_level', params, { transport: 'http' });
    expect(run({})).toEqual({ levels: { base: 'Info' } });
    const names: [string, string, string][] = [
      ['TRACE', 'trace', 'Trace'],
      ['Debug', 'debug', 'Debug'],
      ['INFORMATION', 'info', 'Info'],
      ['Warnings', 'warn', 'Warning'],
      ['wArN', 'warn', 'Warning'],
      ['ERRORS', 'error', 'Error'],
      ['Fatals', 'fatal', 'Fatal'],
    ];
    for (const [input, pinoLevel, shown] of names) {
      expect(run({ severity: input, partition: 'BASE' })).toEqual({});
      expect(log.level).toBe(pinoLevel);
      expect(run({})).toEqual({ levels: { base: shown } });
    }
    // Not a severity, even though every object has it.
    expect(() => run({ severity: 'constructor' })).toThrow(expect.objectContaining({ fields: expect.objectContaining({ error: 'invalidParams' }) }));
    expect(log.level).toBe('fatal');
  });
});

describe('GET / on an admin port with ws: the status check', () => {
  it('answers 200 text/html and closes, to any address; not on an http-only port, not with a body, not HTTP/1.0', async () => {
    await startNode({ ip: NODE, extra: STANZAS });
    for (const from of [ADMIN, OUTSIDER]) {
      const r = await httpRequest({ host: NODE, port: WS_PORT, method: 'GET', path: '/', localAddress: from });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/html');
      expect(r.headers.connection).toBe('close');
      expect(r.body).toMatch(/^<!DOCTYPE html><html>.*<\/html>$/);
    }
    // The HTTP-only port has no status check: an empty body is an unparsable JSON-RPC request.
    expect((await httpRequest({ host: NODE, port: RPC_PORT, method: 'GET', path: '/', localAddress: ADMIN })).status).toBe(400);
    // Another path, or a body, is an ordinary request: a ws-only port refuses those.
    expect((await httpRequest({ host: NODE, port: WS_PORT, method: 'GET', path: '/x', localAddress: ADMIN })).status).toBe(403);
    const body = '{"method":"peers"}';
    const withBody = await rawExchange(NODE, WS_PORT, `GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(withBody).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[^]*\r\n\r\nForbidden\r\n$/);
    const http10 = await rawExchange(NODE, WS_PORT, 'GET / HTTP/1.0\r\n\r\n');
    expect(http10).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    const http11 = await rawExchange(NODE, WS_PORT, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(http11).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n<!DOCTYPE html>/);
  });

  it('a port with both http and ws answers the status check and JSON-RPC', async () => {
    const stanza = `[port_rpc_admin_local]\nip = ${BOTH}\nport = ${RPC_PORT}\nprotocol = http, ws\nadmin = ${ADMIN}\n`;
    await startNode({ ip: BOTH, extra: stanza });
    const page = await httpRequest({ host: BOTH, port: RPC_PORT, method: 'GET', path: '/', localAddress: ADMIN });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html');
    expect((await rpc(BOTH, RPC_PORT, 'peers', {}, ADMIN)).result.status).toBe('success');
  });
});

describe('HTTPReply bodies end with CRLF', () => {
  it('403 Forbidden, 400 errors and JSON-RPC answers', async () => {
    await startNode({ ip: NODE, extra: STANZAS });
    const refused = await httpRequest({ host: NODE, port: RPC_PORT, body: '{"method":"peers","params":[{}]}', localAddress: OUTSIDER });
    expect(refused.status).toBe(403);
    expect(refused.body).toBe('Forbidden\r\n');
    expect(refused.headers['content-length']).toBe('11');
    expect(refused.headers['content-type']).toBe('application/json; charset=UTF-8');
    const metrics = await httpRequest({ host: NODE, port: RPC_PORT, method: 'GET', path: '/metrics', localAddress: OUTSIDER });
    expect(metrics).toMatchObject({ status: 403, body: 'Forbidden\r\n' });

    const nullMethod = await httpRequest({ host: NODE, port: RPC_PORT, body: '{"params":[{}]}', localAddress: ADMIN });
    expect(nullMethod).toMatchObject({ status: 400, body: 'Null method\r\n' });
    const ok = await httpRequest({ host: NODE, port: RPC_PORT, body: '{"method":"peer_reservations_list"}', localAddress: ADMIN });
    expect(ok.body.endsWith('}\n\r\n')).toBe(true);
    expect(JSON.parse(ok.body).result).toEqual({ reservations: [], status: 'success' });
    // /metrics is ours, not HTTPReply: Prometheus text as is.
    const okMetrics = await httpRequest({ host: NODE, port: RPC_PORT, method: 'GET', path: '/metrics', localAddress: ADMIN });
    expect(okMetrics.body.endsWith('\r\n')).toBe(false);
  });
});

/** Writes `request` on a fresh connection and returns everything read until the server closes it. */
function rawExchange(host: string, port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress: ADMIN });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the connection; read so far: ${JSON.stringify(text)}`));
    }, 3000);
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.write(request);
  });
}

describe('server_info helpers', () => {
  it('lists only the ports the node serves: not a [server] port it does not open', () => {
    const config = parseConfig(
      [
        '[server]', 'port_peer', 'port_rpc', 'port_rpc_admin_local', '',
        '[port_peer]', 'ip = 127.0.0.1', `port = ${PEER_PORT}`, 'protocol = peer', '',
        '[port_rpc]', 'ip = 127.0.0.1', 'port = 5006', 'protocol = http', '',
        '[port_rpc_admin_local]', 'ip = 127.0.0.1', `port = ${RPC_PORT}`, 'protocol = http', 'admin = 127.0.0.1', '',
      ].join('\n'),
    );
    expect(config.ports.map((p) => p.name)).toEqual(['port_peer', 'port_rpc', 'port_rpc_admin_local']);
    expect(servedPorts(config).map((p) => p.name)).toEqual(['port_peer', 'port_rpc_admin_local']);
  });

  it('the CLI prints our newest_peer_ledger, and network_ledger only as rippled sends it (a string)', () => {
    const base = { pubkey_node: 'n9x', build_version: '0.1.0', server_state: 'connected', uptime: 1, peers: 1, ports: [] };
    const ours = formatServerInfo({ info: { ...base, newest_peer_ledger: { seq: 1000, hash: 'AB' } } });
    expect(ours).toMatch(/^newest_peer_ledger +1000 AB$/m);
    expect(ours).not.toContain('network_ledger');
    expect(formatServerInfo({ info: { ...base, network_ledger: 'waiting' } })).toMatch(/^network_ledger +waiting$/m);
  });
});
