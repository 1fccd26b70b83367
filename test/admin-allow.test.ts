/**
 * The admin = allow-list over real sockets on 127.0.0.66–69: the admin ports listen on .66, the
 * admin address is .67, and .68 is an outsider. An outsider gets rippled's refusal and no data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseAdminList } from '../src/config/config.js';
import { AllowList } from '../src/admin/allow-list.js';
import { adminStanzas, httpRequest, rpc, RPC_PORT, WS_PORT, WsClient } from './support/admin.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

const NODE = '127.0.0.66';
const ADMIN = '127.0.0.67';
const OUTSIDER = '127.0.0.68';
const PEER = '127.0.0.69';

const clients: WsClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await stopAllNodes();
});

async function wsFrom(localAddress: string): Promise<WsClient> {
  const c = await WsClient.open(`ws://${NODE}:${WS_PORT}`, localAddress);
  clients.push(c);
  return c;
}

describe('an address outside admin =', () => {
  it('gets 403 Forbidden over JSON-RPC, also for /metrics and stop, and never data', async () => {
    const node = await startNode({ ip: NODE, extra: adminStanzas({ ip: NODE, rpcPort: RPC_PORT, wsPort: WS_PORT, admin: ADMIN }) });
    const peer = await startNode({ ip: PEER, extra: `[ips_fixed]\n${NODE} ${PEER_PORT}` });
    await waitFor('a peer', () => node.overlay.peers().length === 1);

    for (const method of ['peers', 'server_info', 'stop', 'no_such_command']) {
      const r = await httpRequest({ host: NODE, port: RPC_PORT, body: JSON.stringify({ method, params: [{}] }), localAddress: OUTSIDER });
      expect(r.status).toBe(403);
      expect(r.body).toBe('Forbidden\r\n');
    }
    const metrics = await httpRequest({ host: NODE, port: RPC_PORT, method: 'GET', path: '/metrics', localAddress: OUTSIDER });
    expect(metrics.status).toBe(403);
    expect(metrics.body).not.toContain('xrpl_overlay');
    // `stop` from outside did nothing.
    expect(node.overlay.peers()).toHaveLength(1);

    const ok = await rpc(NODE, RPC_PORT, 'peers', {}, ADMIN);
    expect(ok.result.peers[0].public_key).toBe(peer.identity.n9);
    const okMetrics = await httpRequest({ host: NODE, port: RPC_PORT, method: 'GET', path: '/metrics', localAddress: ADMIN });
    expect(okMetrics.status).toBe(200);
  });

  it('gets rippled’s forbidden error over WebSocket, for every command, and no stream', async () => {
    const node = await startNode({ ip: NODE, extra: adminStanzas({ ip: NODE, rpcPort: RPC_PORT, wsPort: WS_PORT, admin: ADMIN }) });
    const outsider = await wsFrom(OUTSIDER);
    const r = await outsider.request({ command: 'peers' });
    expect(r).toEqual({
      error: 'forbidden',
      error_code: 3,
      error_message: 'Bad credentials.',
      id: 1,
      request: { command: 'peers', id: 1 },
      status: 'error',
      type: 'response',
    });
    expect(r).not.toHaveProperty('result');
    expect(await outsider.request({ command: 'subscribe', streams: ['peer_status'] })).toMatchObject({ error: 'forbidden', status: 'error' });
    expect(await outsider.request({ command: 'stop' })).toMatchObject({ error: 'forbidden' });

    const admin = await wsFrom(ADMIN);
    expect(await admin.request({ command: 'subscribe', streams: ['peer_status'] })).toMatchObject({ status: 'success' });
    const peer = await startNode({ ip: PEER, extra: `[ips_fixed]\n${NODE} ${PEER_PORT}` });
    expect(await admin.nextEvent((m) => m.action === 'PEER_CONNECTED')).toMatchObject({ public_key: peer.identity.n9 });
    expect(outsider.events).toEqual([]);
    expect(node.overlay.peers()).toHaveLength(1);
  });

  it('a subnet in admin = admits its members only; an empty list admits nobody', async () => {
    await startNode({ ip: NODE, extra: adminStanzas({ ip: NODE, rpcPort: RPC_PORT, admin: '127.0.0.64/30' }) });
    expect((await rpc(NODE, RPC_PORT, 'server_info', {}, ADMIN)).result.status).toBe('success');
    const refused = await httpRequest({ host: NODE, port: RPC_PORT, body: '{"method":"server_info"}', localAddress: OUTSIDER });
    expect(refused.status).toBe(403);
    await stopAllNodes();

    await startNode({ ip: NODE, extra: `[port_rpc_admin_local]\nip = ${NODE}\nport = ${RPC_PORT}\nprotocol = http\n` });
    const none = await httpRequest({ host: NODE, port: RPC_PORT, body: '{"method":"server_info"}', localAddress: ADMIN });
    expect(none.status).toBe(403);
  });
});

describe('AllowList', () => {
  it('matches IPv4 against IPv4 networks and IPv6 against IPv6 networks, as rippled', () => {
    const list = new AllowList(parseAdminList('127.0.0.1, 10.0.0.0/8, ::1, fd00::/8'));
    expect(list.allows('127.0.0.1')).toBe(true);
    expect(list.allows('::ffff:127.0.0.1')).toBe(true);
    expect(list.allows('127.0.0.2')).toBe(false);
    expect(list.allows('10.200.3.4')).toBe(true);
    expect(list.allows('11.0.0.1')).toBe(false);
    expect(list.allows('::1')).toBe(true);
    expect(list.allows('fd12:3456::1')).toBe(true);
    expect(list.allows('fe80::1')).toBe(false);
    expect(list.allows(undefined)).toBe(false);
    expect(list.allows('garbage')).toBe(false);

    const everyone = new AllowList(parseAdminList('0.0.0.0'));
    expect(everyone.allows('203.0.113.9')).toBe(true);
    expect(everyone.allows('2001:db8::1')).toBe(true);
    expect(new AllowList(['::/0']).allows('203.0.113.9')).toBe(false);
    expect(new AllowList([]).empty).toBe(true);
  });
});
