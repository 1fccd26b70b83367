/**
 * The peer port's HTTP deadline, as rippled's BaseHTTPPeer sets it: inbound_handshake_timeout (30 s)
 * for remote clients, loopback_http_timeout (3 s) for clients on a loopback address. Real sockets
 * on 127.0.109.50.
 */
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { portOf, startNode, stopAllNodes } from './support/nodes.js';

afterEach(stopAllNodes);

describe('HTTP deadline on the peer port', () => {
  it('a loopback client that sends no request is cut at loopback_http_timeout, not inbound_handshake_timeout', async () => {
    const ip = '127.0.109.50';
    const node = await startNode({ ip, port: 0, overlay: ['inbound_handshake_timeout = 60', 'loopback_http_timeout = 0.5'] });
    const socket = tls.connect({ host: ip, port: portOf(node), rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const start = Date.now();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()).on('error', () => {}));
    const closedAfter = Date.now() - start;
    expect(closedAfter).toBeGreaterThanOrEqual(400); // the 0.5 s timer, less clock granularity
    // Bound: 0.5 s plus a loaded machine's lag; the 60 s remote deadline is far beyond it.
    expect(closedAfter).toBeLessThan(15_000);
  });
});

