/**
 * Handshake details where we follow rippled's source (PROTOCOL.md §1), checked on real TLS sockets:
 * our daemon against the independent peer (test/support/independent-peer.ts) and a few raw sockets.
 * Every address here is 127.0.12.x.
 *
 *  - an inbound connection refused before the handshake (same ip:port as a slot) gets a 403
 *    (OverlayImpl::onHandoff leaves it unhandled; ServerHandler answers 403 on a peer-only port);
 *  - Previous-Ledger without Closed-Ledger closes without a 101 (PeerImp::run, "(3)");
 *  - Closed-Ledger / Previous-Ledger in base64 are read as leniently as rippled's base64 decoder;
 *  - Connect-As is a comma list; any element equal to "peer" (case-insensitive) will do;
 *  - a 101 counts as an upgrade only on HTTP/1.1+ with "upgrade" in Connection (isPeerUpgrade).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectError } from '../src/connect/handshake-io.js';
import {
  computeSharedValue,
  dialIndependent,
  INDIE_TEST_CERT_PEM,
  INDIE_TEST_KEY_PEM,
  IndieHandshakeError,
  type IndieServer,
  listenIndependent,
  makeNodeKey,
  networkTimeNow,
} from './support/independent-peer.js';
import { portOf, startNode, stopAllNodes, waitFor } from './support/nodes.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await stopAllNodes();
});

async function indieServer(opts: Parameters<typeof listenIndependent>[0]): Promise<IndieServer> {
  const s = await listenIndependent(opts);
  cleanups.push(() => s.close());
  return s;
}

/** Dial our node with the independent peer; resolves to the connection or the refusal. */
async function dialOurs(host: string, port: number, extraHeaders: Record<string, string>) {
  return dialIndependent({ host, port, extraHeaders }).then(
    (conn) => {
      cleanups.push(() => conn.close());
      return conn;
    },
    (err: unknown) => err as IndieHandshakeError,
  );
}

/** Everything a socket sends until it closes (or `ms` pass). */
function readUntilClose(socket: net.Socket, ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(text), ms);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', () => {});
  });
}

const b64 = (b: Buffer) => b.toString('base64');
const hex = (b: Buffer) => b.toString('hex').toUpperCase();

// =============================================================================================

describe('inbound refused before the handshake', () => {
  it('answers 403 Forbidden to a connection from the ip:port of a connection we are making', async () => {
    const node = await startNode({ ip: '127.0.12.1', overlay: ['tls_handshake_timeout = 5', 'connect_timeout = 10'] });
    // A "peer" at 127.0.12.2 that accepts TCP and never speaks TLS: our attempt to it stays in flight.
    const held: net.Socket[] = [];
    const hold = net.createServer((s) => held.push(s.on('error', () => {})));
    await new Promise<void>((r) => hold.listen(0, '127.0.12.2', r));
    const port = (hold.address() as net.AddressInfo).port;
    const attempt = node.overlay.connect('127.0.12.2', port, 'test').catch((e: unknown) => e);
    cleanups.push(() => attempt); // runs after the line below has closed the held socket
    cleanups.push(() => held.forEach((s) => s.destroy()));
    await waitFor('our attempt accepted', () => held.length === 1);
    hold.close(); // stop listening; the accepted socket stays, and so does our attempt

    const failures: string[] = [];
    node.overlay.on('handshakeFailed', (dir: string, why: string) => dir === 'in' && failures.push(why));
    // The same ip:port now dials us: rippled's PeerFinder refuses the slot (duplicate).
    const tcp = net.connect({ host: '127.0.12.1', port: portOf(node), localAddress: '127.0.12.2', localPort: port });
    const client = tls.connect({ socket: tcp, rejectUnauthorized: false });
    cleanups.push(() => client.destroy());
    const response = readUntilClose(client);
    await new Promise<void>((r) => client.once('secureConnect', () => r()));
    client.write('GET / HTTP/1.1\r\nUpgrade: XRPL/2.2\r\nConnection: Upgrade\r\nConnect-As: Peer\r\n\r\n');
    const text = await response;
    expect(text).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(text).toMatch(/\r\nConnection: close\r\n/i);
    expect(failures).toEqual(['duplicate']);
    expect(node.overlay.peers()).toHaveLength(0);
  });
});

// =============================================================================================

describe('Closed-Ledger / Previous-Ledger', () => {
  it('inbound: Previous-Ledger without Closed-Ledger is closed without a response', async () => {
    const node = await startNode({ ip: '127.0.12.3' });
    const err = await dialOurs('127.0.12.3', portOf(node), { 'Previous-Ledger': hex(randomBytes(32)) });
    expect(err).toBeInstanceOf(Error);
    expect((err as IndieHandshakeError).status).toBeUndefined(); // no 101, no 400: just closed
    expect(node.overlay.peers()).toHaveLength(0);
    // Closed-Ledger alone is fine, as in rippled.
    const ok = await dialOurs('127.0.12.3', portOf(node), { 'Closed-Ledger': hex(randomBytes(32)) });
    expect(ok).not.toBeInstanceOf(Error);
  });

  it('outbound: a 101 with Previous-Ledger but no Closed-Ledger fails the attempt', async () => {
    const server = await indieServer({ host: '127.0.12.4', extraHeaders: { 'Previous-Ledger': hex(randomBytes(32)) } });
    const node = await startNode({ ip: '127.0.12.5' });
    const err = await node.overlay.connect('127.0.12.4', server.port, 'test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).kind).toBe('handshake');
    expect(node.overlay.peers()).toHaveLength(0);
  });

  it('inbound: base64 without padding, or with anything after the 43 characters, is read as rippled reads it', async () => {
    const node = await startNode({ ip: '127.0.12.6' });
    const closed = randomBytes(32);
    const previous = randomBytes(32);
    const conn = await dialOurs('127.0.12.6', portOf(node), {
      'Closed-Ledger': b64(closed).slice(0, 43), // unpadded
      'Previous-Ledger': `${b64(previous).slice(0, 43)}!trailing junk`, // decoding stops at '!'
    });
    expect(conn).not.toBeInstanceOf(Error);
    const [peer] = await waitFor('the peer on our side', () => node.overlay.peers().length === 1 && node.overlay.peers());
    expect(peer!.info.closedLedger).toEqual(closed);
    expect(peer!.info.previousLedger).toEqual(previous);
  });

  it('inbound: base64 that decodes to 33 bytes is malformed (closed without a response)', async () => {
    const node = await startNode({ ip: '127.0.12.7' });
    const err = await dialOurs('127.0.12.7', portOf(node), {
      'Closed-Ledger': b64(randomBytes(33)),
      'Previous-Ledger': hex(randomBytes(32)),
    });
    expect(err).toBeInstanceOf(Error);
    expect((err as IndieHandshakeError).status).toBeUndefined();
    expect(node.overlay.peers()).toHaveLength(0);
  });

  it('outbound: an unpadded base64 Closed-Ledger in the 101 is accepted', async () => {
    const closed = randomBytes(32);
    const previous = randomBytes(32);
    const server = await indieServer({
      host: '127.0.12.8',
      extraHeaders: { 'Closed-Ledger': b64(closed).slice(0, 43), 'Previous-Ledger': b64(previous).replace(/=$/, '') },
    });
    const node = await startNode({ ip: '127.0.12.9' });
    const peer = await node.overlay.connect('127.0.12.8', server.port, 'test');
    expect(peer!.info.closedLedger).toEqual(closed);
    expect(peer!.info.previousLedger).toEqual(previous);
  });
});

// =============================================================================================

describe('inbound Connect-As', () => {
  it('accepts any comma-separated element equal to "peer", case-insensitively; otherwise 503', async () => {
    const node = await startNode({ ip: '127.0.12.10' });
    for (const connectAs of ['Leaf, peer', 'PEER', ' "Peer" ', 'Leaf,Peer,']) {
      const conn = await dialOurs('127.0.12.10', portOf(node), { 'Connect-As': connectAs });
      expect(conn, connectAs).not.toBeInstanceOf(Error);
    }
    await waitFor('four peers', () => node.overlay.peers().length === 4);
    for (const connectAs of ['Leaf', 'Peers', '']) {
      const err = await dialOurs('127.0.12.10', portOf(node), { 'Connect-As': connectAs });
      expect(err, connectAs).toBeInstanceOf(IndieHandshakeError);
      expect((err as IndieHandshakeError).statusLine, connectAs).toBe('HTTP/1.1 503 Service Unavailable');
    }
  });
});

// =============================================================================================

/**
 * A peer that answers any request with a correctly signed 101 whose status line and Connection
 * header we choose (the independent peer always writes HTTP/1.1).
 */
async function rawPeer(host: string, statusLine: string, connection: string): Promise<number> {
  const key = makeNodeKey();
  const server = tls.createServer({ key: INDIE_TEST_KEY_PEM, cert: INDIE_TEST_CERT_PEM, minVersion: 'TLSv1.2' });
  const sockets = new Set<tls.TLSSocket>();
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (d: Buffer) => {
      if (head.endsWith('\r\n\r\n')) return; // already answered; ignore peer frames
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      head = `${head.slice(0, head.indexOf('\r\n\r\n'))}\r\n\r\n`;
      const shared = computeSharedValue(socket.getFinished()!, socket.getPeerFinished()!);
      const headers: [string, string][] = [
        ['Connection', connection],
        ['Upgrade', 'XRPL/2.2'],
        ['Connect-As', 'Peer'],
        ['Server', 'raw-peer'],
        ['Crawl', 'public'],
        ['X-Protocol-Ctl', ''],
        ['Network-Time', String(networkTimeNow())],
        ['Public-Key', key.publicKeyN9],
        ['Session-Signature', key.signDigest(shared).toString('base64')],
        ['Instance-Cookie', '1'],
      ];
      socket.write(`${statusLine}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1');
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

describe('outbound: what makes a 101 a peer upgrade', () => {
  it('needs "upgrade" among the Connection tokens (any case, any position)', async () => {
    const node = await startNode({ ip: '127.0.12.11' });
    const without = await indieServer({ host: '127.0.12.12', extraHeaders: { Connection: 'keep-alive' } });
    const err = await node.overlay.connect('127.0.12.12', without.port, 'test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).message).toMatch(/Connection: Upgrade/);
    expect(node.overlay.peers()).toHaveLength(0);

    const listed = await indieServer({ host: '127.0.12.13', extraHeaders: { Connection: 'keep-alive, UPGRADE' } });
    const peer = await node.overlay.connect('127.0.12.13', listed.port, 'test');
    expect(peer!.info.n9).toBe(listed.publicKeyN9);
  });

  it('needs HTTP/1.1 or later', async () => {
    const node = await startNode({ ip: '127.0.12.14' });
    const http10 = await rawPeer('127.0.12.15', 'HTTP/1.0 101 Switching Protocols', 'Upgrade');
    const err = await node.overlay.connect('127.0.12.15', http10, 'test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).message).toMatch(/HTTP\/1\.0/);
    expect(node.overlay.peers()).toHaveLength(0);
    // The same peer on HTTP/1.1 is accepted: the version was the only fault.
    const http11 = await rawPeer('127.0.12.16', 'HTTP/1.1 101 Switching Protocols', 'Upgrade');
    const peer = await node.overlay.connect('127.0.12.16', http11, 'test');
    expect(peer!.info.version).toBe('raw-peer');
  });
});
