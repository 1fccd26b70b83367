/**
 * The admin API over real sockets on 127.0.0.60–62: every command over HTTP JSON-RPC and
 * WebSocket, rippled's envelopes and errors, reservations that survive a restart, the
 * peer_status stream, and `stop`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { resolveAdminEndpoint, sendCommand } from '../src/admin/client.js';
import { parseConfig } from '../src/config/config.js';
import { startDaemon } from '../src/daemon.js';
import { NodeEvent, NodeStatus } from '../src/protocol/messages.js';
import { adminStanzas, httpRequest, makeSeed, rpc, RPC_PORT, WS_PORT, WsClient } from './support/admin.js';
import { nodeConfigText, PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

const A = '127.0.0.60';
const B = '127.0.0.61';
const C = '127.0.0.62';
const ADMIN_A = adminStanzas({ ip: A, rpcPort: RPC_PORT, wsPort: WS_PORT });
const WS_A = `ws://${A}:${WS_PORT}`;

const clients: WsClient[] = [];
async function ws(url = WS_A, localAddress?: string): Promise<WsClient> {
  const c = await WsClient.open(url, localAddress);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await stopAllNodes();
});

const call = (method: string, params: Record<string, unknown> = {}) => rpc(A, RPC_PORT, method, params);

describe('peers', () => {
  it('lists peers with rippled’s fields over JSON-RPC and WebSocket', async () => {
    const a = await startNode({ ip: A, extra: ADMIN_A });
    const b = await startNode({ ip: B, extra: `[ips_fixed]\n${A} ${PEER_PORT}` });
    await waitFor('the peers to connect', () => a.overlay.peers().length === 1);
    // Pings every 0.5 s in tests: wait for traffic and a latency sample.
    await waitFor('a latency sample', () => a.overlay.peers()[0]!.latencyMs !== undefined);

    const reply = await call('peers');
    expect(Object.keys(reply)).toEqual(['result']);
    const result = reply.result;
    expect(result.status).toBe('success');
    expect(result.cluster).toEqual({});
    expect(result.peers).toHaveLength(1);
    const p = result.peers[0];
    expect(p).toMatchObject({
      public_key: b.identity.n9,
      inbound: true,
      protocol: 'XRPL/2.2',
      version: 'xrpl-overlay-0.1.0',
      track: 'unknown',
      load: expect.any(Number),
      latency: expect.any(Number),
      uptime: expect.any(Number),
    });
    expect(p.address).toMatch(/^127\.0\.0\.61:\d+$/);
    for (const k of ['total_bytes_recv', 'total_bytes_sent', 'avg_bps_recv', 'avg_bps_sent']) {
      expect(p.metrics[k]).toMatch(/^\d+$/);
    }
    expect(Number(p.metrics.total_bytes_recv)).toBeGreaterThan(0);
    // Never present for an outbound peer, nor for fields we have no value for.
    expect(p).not.toHaveProperty('cluster');
    expect(p).not.toHaveProperty('complete_ledgers');

    // The same over WebSocket, in rippled's WebSocket envelope.
    const c = await ws();
    const w = await c.request({ command: 'peers' });
    expect(w).toMatchObject({ id: 1, status: 'success', type: 'response' });
    expect(w.result.peers[0].public_key).toBe(b.identity.n9);
    expect(w.result).not.toHaveProperty('status');

    // From b's side the peer is outbound: no `inbound` key at all.
    const bSide = await startNode({ ip: C, extra: adminStanzas({ ip: C, rpcPort: RPC_PORT }) + `\n[ips_fixed]\n${A} ${PEER_PORT}` });
    await waitFor('c to connect', () => bSide.overlay.peers().length === 1);
    const out = (await rpc(C, RPC_PORT, 'peers')).result.peers[0];
    expect(out.public_key).toBe(a.identity.n9);
    expect(out).not.toHaveProperty('inbound');
    expect(out.address).toBe(`${A}:${PEER_PORT}`);
  });

  it('shows cluster names, ledger range, ledger hash, status and tracking from status changes', async () => {
    const bKey = makeSeed();
    const a = await startNode({ ip: A, extra: `${ADMIN_A}\n[cluster_nodes]\n${bKey.n9} hub-b` });
    const b = await startNode({ ip: B, extra: `[node_seed]\n${bKey.seed}\n\n[ips_fixed]\n${A} ${PEER_PORT}` });
    await waitFor('the peers to connect', () => a.overlay.peers().length === 1 && b.overlay.peers().length === 1);

    const c = await ws();
    expect((await c.request({ command: 'subscribe', streams: ['peer_status'] })).status).toBe('success');

    const hash = Buffer.alloc(32, 0xab);
    b.overlay.peers()[0]!.send('STATUS_CHANGE', {
      newStatus: NodeStatus.VALIDATING,
      newEvent: NodeEvent.ACCEPTED_LEDGER,
      ledgerSeq: 1000,
      ledgerHash: hash,
      ledgerHashPrevious: Buffer.alloc(32, 0xaa),
      networkTime: 800_000_000,
      firstSeq: 900,
      lastSeq: 1000,
    });
    const event = await c.nextEvent((m) => m.type === 'peerStatusChange' && m.ledger_index === 1000);
    expect(event).toEqual({
      type: 'peerStatusChange',
      public_key: bKey.n9,
      address: expect.stringMatching(/^127\.0\.0\.61:\d+$/),
      status: 'VALIDATING',
      action: 'ACCEPTED_LEDGER',
      ledger_index: 1000,
      ledger_hash: 'AB'.repeat(32),
      date: 800_000_000,
      ledger_index_min: 900,
      ledger_index_max: 1000,
    });

    const result = (await call('peers')).result;
    expect(result.cluster).toEqual({ [bKey.n9]: { tag: 'hub-b' } });
    const p = result.peers[0];
    expect(p).toMatchObject({
      public_key: bKey.n9,
      cluster: true,
      name: 'hub-b',
      complete_ledgers: '900 - 1000',
      ledger: 'AB'.repeat(32),
      status: 'validating',
    });
    // Within 24 ledgers of the network's newest: converged, so `track` is left out.
    expect(p).not.toHaveProperty('track');
  });
});

describe('connect', () => {
  it('dials the address and answers with rippled’s message', async () => {
    const a = await startNode({ ip: A, extra: ADMIN_A });
    const b = await startNode({ ip: B });
    const reply = await call('connect', { ip: B, port: PEER_PORT });
    expect(reply.result).toEqual({ message: `attempting connection to IP:${B} port: ${PEER_PORT}`, status: 'success' });
    await waitFor('the outbound peer', () => a.overlay.peers().length === 1);
    expect(a.overlay.peers()[0]!.info).toMatchObject({ n9: b.identity.n9, direction: 'out' });

    // rippled's default port is 2459.
    const c = await ws();
    const w = await c.request({ command: 'connect', ip: C });
    expect(w.result.message).toBe(`attempting connection to IP:${C} port: 2459`);
  });

  it('answers missing or bad fields with invalidParams and the request', async () => {
    await startNode({ ip: A, extra: ADMIN_A });
    expect((await call('connect')).result).toEqual({
      error: 'invalidParams',
      error_code: 31,
      error_message: "Missing field 'ip'.",
      request: { command: 'connect' },
      status: 'error',
    });
    expect((await call('connect', { ip: B, port: 'x' })).result).toMatchObject({ error: 'invalidParams', error_message: 'Invalid parameters.' });
    expect((await call('connect', { ip: 'not-an-ip' })).result).toMatchObject({ error: 'invalidParams', error_message: "Invalid field 'ip'." });

    const c = await ws();
    const w = await c.request({ command: 'connect' });
    expect(w).toEqual({
      id: 1,
      error: 'invalidParams',
      error_code: 31,
      error_message: "Missing field 'ip'.",
      request: { id: 1, command: 'connect' },
      status: 'error',
      type: 'response',
    });
  });
});

describe('server_info and crawl', () => {
  it('server_info reports the overlay part of rippled’s info', async () => {
    const a = await startNode({ ip: A, extra: `${ADMIN_A}\n[network_id]\n21338\n\n[server_domain]\nexample.com` });
    const info = (await call('server_info')).result.info;
    expect(info).toMatchObject({
      pubkey_node: a.identity.n9,
      build_version: '0.1.0',
      server_state: 'disconnected',
      peers: 0,
      network_id: 21338,
      server_domain: 'example.com',
      complete_ledgers: 'empty',
      peer_disconnects: '0',
      peer_disconnects_resources: '0',
      uptime: expect.any(Number),
      hostid: expect.any(String),
    });
    expect(info.time).toMatch(/^\d{4}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} UTC$/);
    expect(info.ports).toEqual([
      { port: `${PEER_PORT}`, protocol: ['peer'] },
      { port: `${RPC_PORT}`, protocol: ['http'] },
      { port: `${WS_PORT}`, protocol: ['ws'] },
    ]);
  });

  it('crawl answers what /crawl does', async () => {
    const a = await startNode({ ip: A, extra: ADMIN_A });
    const b = await startNode({ ip: B, extra: `[ips_fixed]\n${A} ${PEER_PORT}` });
    await waitFor('the peers to connect', () => a.overlay.peers().length === 1);
    const c = await ws();
    const w = await c.request({ command: 'crawl' });
    expect(w.status).toBe('success');
    expect(w.result.version).toBe(2);
    expect(w.result.server.pubkey_node).toBe(a.identity.n9);
    expect(w.result.overlay.active).toEqual([expect.objectContaining({ public_key: b.identity.publicKey.toString('base64'), type: 'in' })]);
  });
});

describe('peer reservations', () => {
  it('adds, replaces, lists and deletes, and keeps them across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-admin-'));
    try {
      const key = makeSeed().n9;
      const other = makeSeed().n9;
      let a = await startNode({ ip: A, extra: ADMIN_A, dataDir: dir });
      expect((await call('peer_reservations_add', { public_key: key, description: 'first' })).result).toEqual({ status: 'success' });
      expect((await call('peer_reservations_add', { public_key: key, description: 'second' })).result).toEqual({
        previous: { node: key, description: 'first' },
        status: 'success',
      });
      expect((await call('peer_reservations_add', { public_key: other })).result).toEqual({ status: 'success' });
      expect(a.overlay.reservations.has(key)).toBe(true);

      await a.stop();
      a = await startNode({ ip: A, extra: ADMIN_A, dataDir: dir });
      const listed = (await call('peer_reservations_list')).result;
      expect(listed.status).toBe('success');
      expect(listed.reservations).toHaveLength(2);
      expect(listed.reservations).toEqual(expect.arrayContaining([{ node: key, description: 'second' }, { node: other }]));

      const c = await ws();
      const del = await c.request({ command: 'peer_reservations_del', public_key: key });
      expect(del).toMatchObject({ status: 'success', result: { previous: { node: key, description: 'second' } } });
      expect((await c.request({ command: 'peer_reservations_del', public_key: key })).result).toEqual({});
      expect((await call('peer_reservations_list')).result.reservations).toEqual([{ node: other }]);
    } finally {
      await stopAllNodes();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers rippled’s errors for a missing, non-string or malformed key', async () => {
    await startNode({ ip: A, extra: ADMIN_A });
    expect((await call('peer_reservations_add')).result).toMatchObject({ error: 'invalidParams', error_message: "Missing field 'public_key'." });
    expect((await call('peer_reservations_add', { public_key: 7 })).result).toMatchObject({
      error: 'invalidParams',
      error_message: "Invalid field 'public_key', not a string.",
    });
    expect((await call('peer_reservations_del', { public_key: 'n9bogus' })).result).toEqual({
      error: 'publicMalformed',
      error_code: 62,
      error_message: 'Public key is malformed.',
      request: { command: 'peer_reservations_del', public_key: 'n9bogus' },
      status: 'error',
    });
    expect((await call('peer_reservations_add', { public_key: makeSeed().n9, description: 5 })).result).toMatchObject({
      error: 'invalidParams',
      error_message: "Invalid field 'description', not a string.",
    });
  });
});

describe('log_level', () => {
  it('reports and changes the running logger’s level', async () => {
    // A logger that writes nowhere, at a real level (the test nodes' logger is 'silent').
    const log = pino({ level: 'info' }, new Writable({ write: (_c, _e, cb) => cb() }));
    const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-admin-'));
    const a = await startDaemon({ config: parseConfig(nodeConfigText({ ip: A, extra: ADMIN_A })), dataDir: dir, log });
    onTestFinished(async () => {
      await a.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    expect(a.overlay.opts.log).toBe(log);
    expect((await call('log_level')).result).toEqual({ levels: { base: 'Info' }, status: 'success' });
    expect((await call('log_level', { severity: 'debug' })).result).toEqual({ status: 'success' });
    expect(log.level).toBe('debug');
    expect((await call('log_level', { severity: 'Warning', partition: 'base' })).result).toEqual({ status: 'success' });
    expect(log.level).toBe('warn');
    expect((await call('log_level')).result.levels).toEqual({ base: 'Warning' });
    expect((await call('log_level', { severity: 'loud' })).result).toMatchObject({ error: 'invalidParams', error_code: 31 });
    expect((await call('log_level', { severity: 'debug', partition: 'Overlay' })).result).toMatchObject({ error: 'invalidParams' });
    expect(log.level).toBe('warn');
  });
});

describe('stop', () => {
  it('answers, then stops the node (JSON-RPC)', async () => {
    await startNode({ ip: A, extra: ADMIN_A });
    const b = await startNode({ ip: B, extra: `[ips_fixed]\n${A} ${PEER_PORT}` });
    await waitFor('the peers to connect', () => b.overlay.peers().length === 1);
    expect((await call('stop')).result).toEqual({ message: 'xrpl-overlay server stopping', status: 'success' });
    await waitFor('b to lose its peer', () => b.overlay.peers().length === 0);
    await expect(call('peers')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('answers, then stops the node (WebSocket)', async () => {
    await startNode({ ip: A, extra: ADMIN_A });
    const c = await ws();
    const closed = new Promise((resolve) => c.socket.once('close', resolve));
    expect(await c.request({ command: 'stop' })).toMatchObject({ status: 'success', result: { message: 'xrpl-overlay server stopping' } });
    await closed;
    await expect(call('peers')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('protocol errors', () => {
  it('JSON-RPC: unknown method, bad JSON, bad params, no method, id echo', async () => {
    await startNode({ ip: A, extra: ADMIN_A });
    expect((await call('ledger_accept')).result).toEqual({
      error: 'unknownCmd',
      error_code: 32,
      error_message: 'Unknown method.',
      request: { command: 'ledger_accept' },
      status: 'error',
    });
    const post = (body: string) => httpRequest({ host: A, port: RPC_PORT, body });
    const bad = await post('{not json');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/^Unable to parse request/);
    expect((await post('{"method":"peers","params":{}}')).body).toBe('params unparsable\r\n');
    expect((await post('{"method":"peers","params":[1]}')).body).toBe('params unparsable\r\n');
    expect((await post('{"params":[{}]}')).body).toBe('Null method\r\n');
    expect((await post('{"method":7}')).body).toBe('method is not string\r\n');
    // No params at all is fine, and id/jsonrpc inside params are echoed as rippled does.
    expect(JSON.parse((await post('{"method":"peer_reservations_list"}')).body).result.status).toBe('success');
    const echoed = JSON.parse((await post('{"method":"peer_reservations_list","params":[{"id":"x1","jsonrpc":"2.0"}]}')).body);
    expect(echoed).toMatchObject({ id: 'x1', jsonrpc: '2.0', result: { status: 'success' } });
    const get = await httpRequest({ host: A, port: RPC_PORT, method: 'GET', path: '/' });
    expect(get.status).toBe(400);
    // A WebSocket upgrade on the HTTP-only port is refused as rippled does.
    await expect(WsClient.open(`ws://${A}:${RPC_PORT}`)).rejects.toThrow(/401/);
  });

  it('WebSocket: bad JSON, missing command, unknown command, subscribe over HTTP', async () => {
    await startNode({ ip: A, extra: ADMIN_A });
    const c = await ws();
    expect(await c.sendRaw('nope')).toEqual({ error: 'jsonInvalid', type: 'error', value: 'nope' });
    expect(await c.request({ id: 5, streams: [] }, true)).toEqual({
      error: 'missingCommand',
      id: 5,
      request: { id: 5, streams: [] },
      status: 'error',
      type: 'response',
    });
    expect(await c.request({ command: 'bogus' })).toMatchObject({ error: 'unknownCmd', error_code: 32, status: 'error', type: 'response' });
    expect(await c.request({ command: 'subscribe', streams: ['ledger'] })).toMatchObject({ error: 'malformedStream', error_code: 71 });
    expect(await c.request({ command: 'subscribe', streams: 'peer_status' })).toMatchObject({ error: 'invalidParams' });
    expect((await call('subscribe', { streams: ['peer_status'] })).result).toMatchObject({ error: 'invalidParams' });
    // The HTTP port does not serve GET /metrics on a ws-only port, nor JSON-RPC.
    expect((await httpRequest({ host: A, port: WS_PORT, body: '{"method":"peers"}' })).status).toBe(403);
  });
});

describe('TLS admin ports', () => {
  it('serves https and wss with a self-signed certificate, and the CLI client finds and uses them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-admin-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const stanzas = adminStanzas({ ip: C, rpcPort: RPC_PORT, wsPort: WS_PORT }).replace('protocol = http', 'protocol = https').replace('protocol = ws', 'protocol = wss');
    const c = await startNode({ ip: C, extra: stanzas });
    const rpcConf = join(dir, 'rpc.cfg');
    const wsConf = join(dir, 'ws.cfg');
    writeFileSync(rpcConf, stanzas);
    writeFileSync(wsConf, stanzas.slice(stanzas.indexOf('[port_ws_admin_local]')));
    const https = resolveAdminEndpoint(rpcConf);
    expect(https).toEqual({ transport: 'http', secure: true, host: C, port: RPC_PORT, stanza: '[port_rpc_admin_local]' });
    expect((await sendCommand(https, 'server_info', {})).info).toMatchObject({ pubkey_node: c.identity.n9 });
    const wss = resolveAdminEndpoint(wsConf);
    expect(wss).toMatchObject({ transport: 'ws', secure: true });
    expect(await sendCommand(wss, 'peer_reservations_list', {})).toEqual({ reservations: [], status: 'success' });
    // Plain HTTP to the TLS port gets nowhere.
    await expect(httpRequest({ host: C, port: RPC_PORT, body: '{"method":"peers"}' })).rejects.toThrow();
  });
});

describe('the peer_status stream', () => {
  it('sends connections, status changes and disconnections until unsubscribed', async () => {
    const a = await startNode({ ip: A, extra: ADMIN_A });
    const c = await ws();
    expect(await c.request({ command: 'subscribe', streams: ['peer_status'] })).toEqual({ id: 1, result: {}, status: 'success', type: 'response' });

    const b = await startNode({ ip: B, extra: `[ips_fixed]\n${A} ${PEER_PORT}` });
    const connected = await c.nextEvent((m) => m.action === 'PEER_CONNECTED');
    expect(connected).toEqual({
      type: 'peerStatusChange',
      action: 'PEER_CONNECTED',
      public_key: b.identity.n9,
      address: expect.stringMatching(/^127\.0\.0\.61:\d+$/),
      inbound: true,
      version: 'xrpl-overlay-0.1.0',
      protocol: 'XRPL/2.2',
    });

    b.overlay.peers()[0]!.send('STATUS_CHANGE', { newStatus: NodeStatus.CONNECTED });
    expect(await c.nextEvent((m) => m.status === 'CONNECTED')).toEqual({
      type: 'peerStatusChange',
      public_key: b.identity.n9,
      address: connected.address,
      status: 'CONNECTED',
      // rippled stamps a status change sent without a network time with its own, and reports it.
      date: expect.any(Number),
    });

    await b.stop();
    const gone = await c.nextEvent((m) => m.action === 'PEER_DISCONNECTED');
    // b stopped: it closed the connection (a reset instead of a FIN is possible on a loaded machine).
    expect(gone).toMatchObject({ type: 'peerStatusChange', public_key: b.identity.n9, inbound: true, reason: expect.stringMatching(/^(remote-closed|socket-error)$/), uptime: expect.any(Number) });

    // A second client that never subscribed got none of this.
    const quiet = await ws();
    expect(await quiet.request({ command: 'peers' })).toMatchObject({ status: 'success' });
    expect(await c.request({ command: 'unsubscribe', streams: ['peer_status'] })).toMatchObject({ status: 'success', result: {} });
    const b2 = await startNode({ ip: B, extra: `[ips_fixed]\n${A} ${PEER_PORT}` });
    await waitFor('b to reconnect', () => a.overlay.peers().length === 1);
    // Give a stray event time to arrive before checking there was none.
    expect(await quiet.request({ command: 'peers' })).toMatchObject({ status: 'success' });
    expect(c.events.filter((m) => m.public_key === b2.identity.n9)).toEqual([]);
    expect(quiet.events).toEqual([]);
  });
});
