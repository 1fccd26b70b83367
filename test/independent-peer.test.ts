// Self-test of the independent test peer (test/support/independent-peer.ts): indie client ↔ indie server, and its
// signature checks against real rippled 3.1.2 handshakes. Nothing here imports from src/.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import elliptic from 'elliptic';
import {
  IndieHandshakeError,
  type IndiePeerConnection,
  type IndieServer,
  MT_PING,
  base58Decode,
  base58Encode,
  computeSharedValue,
  decodeNodePublic,
  decodePing,
  dialIndependent,
  encodeNodePublic,
  encodePing,
  listenIndependent,
  makeNodeKey,
  parseStrictDer,
  verifyDigest,
} from './support/independent-peer.js';

interface HandshakeVector {
  capture: string;
  status_line: string;
  client_public_key: string;
  shared_value_hex: string;
  request_text: string;
  response_headers: [string, string][];
  response_session_signature_valid?: boolean;
}

const vectors = JSON.parse(
  readFileSync(fileURLToPath(new URL('./fixtures/vectors/rippled-3.1.2-handshakes.json', import.meta.url)), 'utf8'),
) as { handshakes: HandshakeVector[] };

function requestHeader(v: HandshakeVector, name: string): string {
  for (const line of v.request_text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).toLowerCase() === name.toLowerCase()) return line.slice(i + 1).trim();
  }
  throw new Error(`${v.capture}: no ${name} in request`);
}

function responseHeader(v: HandshakeVector, name: string): string {
  const h = v.response_headers.find(([k]) => k.toLowerCase() === name.toLowerCase());
  if (!h) throw new Error(`${v.capture}: no ${name} in response`);
  return h[1];
}

const ec = new elliptic.ec('secp256k1');

/** re-encode a DER signature with s replaced by n - s (the high-S twin) */
function highSTwin(der: Buffer): Buffer {
  const parts = parseStrictDer(der)!;
  const n = BigInt('0x' + ec.n.toString(16));
  const s = BigInt('0x' + parts.s.toString('hex'));
  const s2 = n - s;
  const intBytes = (v: bigint) => {
    let hex = v.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    let b = Buffer.from(hex, 'hex');
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([0x02, b.length]), b]);
  };
  const r = parts.r[0] & 0x80 ? Buffer.concat([Buffer.from([0]), parts.r]) : parts.r;
  const body = Buffer.concat([Buffer.from([0x02, r.length]), r, intBytes(s2)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

describe('independent peer: codecs', () => {
  it('base58 node public keys match rippled (validator keys from vectors/README.md)', () => {
    const table: [string, string][] = [
      ['n9KyJ9zEr7mVLuPiWNcad3mEJSE95Fe58Pr7CzhBovBH2LFk11cj', '02BC00C21FB3513E7E8151BEBD290BFD7374CDCF03459857208B28422EE5D5DB67'],
      ['n9KPozNH3yTY19Ld7CZ49WKkhviQbShQChxoYHKXLqYuyLbj7oSi', '026FF83CB2C2669EBEF6890757686F2FE1842A9010C553A918075DF63BC7900030'],
      ['n9J8SnmXRqpuMCtSPGhdssJgPU51CG5cocbBLTca4DzJu4HW3fnN', '021FA3EECC00355E369F13C130ECE0C5A7342ECF170A4A573F7225A1333EA50FF1'],
    ];
    for (const [n9, hex] of table) {
      expect(encodeNodePublic(Buffer.from(hex, 'hex'))).toBe(n9);
      expect(decodeNodePublic(n9).toString('hex').toUpperCase()).toBe(hex);
    }
    // checksum / alphabet / prefix errors
    const good = table[0][0];
    const flipped = good.slice(0, -1) + (good.endsWith('j') ? 'k' : 'j');
    expect(() => decodeNodePublic(flipped)).toThrow();
    expect(() => decodeNodePublic(good.replace('K', '0'))).toThrow(/base58/);
    expect(() => decodeNodePublic('rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh')).toThrow();
    // leading zero bytes map to 'r'
    expect(base58Encode(Buffer.from([0, 0, 1]))).toBe('rrp');
    expect(base58Decode('rrp')).toEqual(Buffer.from([0, 0, 1]));
  });

  it('TMPing encode/decode', () => {
    expect(encodePing(0, 1000)).toEqual(Buffer.from('080010e807', 'hex'));
    expect(decodePing(Buffer.from('080110e807', 'hex'))).toEqual({ type: 1, seq: 1000 });
    expect(decodePing(encodePing(0, 0xffffffff))).toEqual({ type: 0, seq: 0xffffffff });
  });

  it('shared value is symmetric and rejects identical/short Finished messages', () => {
    const a = Buffer.alloc(12, 1);
    const b = Buffer.alloc(12, 2);
    expect(computeSharedValue(a, b)).toEqual(computeSharedValue(b, a));
    expect(computeSharedValue(a, b)).toHaveLength(32);
    expect(() => computeSharedValue(a, a)).toThrow();
    expect(() => computeSharedValue(Buffer.alloc(11, 1), b)).toThrow();
  });

  it('signatures are low-S strict DER; high-S is accepted, non-strict DER is not', () => {
    const key = makeNodeKey();
    const digest = Buffer.alloc(32, 7);
    for (let i = 0; i < 20; i++) {
      digest[0] = i;
      const sig = key.signDigest(digest);
      const parts = parseStrictDer(sig)!;
      expect(parts).not.toBeNull();
      expect(BigInt('0x' + parts.s.toString('hex')) <= BigInt('0x' + ec.nh.toString(16))).toBe(true);
      expect(verifyDigest(digest, sig, key.publicKey)).toBe(true);
      expect(verifyDigest(digest, highSTwin(sig), key.publicKey)).toBe(true);
      // padded (non-minimal) length encoding of the whole sequence → not strict DER
      const padded = Buffer.concat([Buffer.from([0x30, 0x81, sig[1]]), sig.subarray(2)]);
      expect(verifyDigest(digest, padded, key.publicKey)).toBe(false);
      const other = Buffer.from(digest);
      other[31] ^= 1;
      expect(verifyDigest(other, sig, key.publicKey)).toBe(false);
    }
  });
});

describe('independent peer: signature checks against rippled 3.1.2 handshakes', () => {
  const ok = vectors.handshakes.filter((v) => v.status_line.startsWith('HTTP/1.1 101'));
  const byCapture = (c: string) => vectors.handshakes.find((v) => v.capture === c)!;

  it('has the ten 101 captures', () => {
    expect(ok.map((v) => v.capture).sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'H', 'I', 'J', 'K', 'L']);
  });

  it.each(ok.map((v) => [v.capture, v] as const))("capture %s: rippled's and the client's signatures verify", (_c, v) => {
    const sv = Buffer.from(v.shared_value_hex, 'hex');
    expect(sv).toHaveLength(32);
    // rippled's response
    const serverKey = decodeNodePublic(responseHeader(v, 'Public-Key'));
    const serverSig = Buffer.from(responseHeader(v, 'Session-Signature'), 'base64');
    expect(verifyDigest(sv, serverSig, serverKey)).toBe(true);
    expect(verifyDigest(sv, highSTwin(serverSig), serverKey)).toBe(true);
    // the client's request (accepted by rippled)
    expect(requestHeader(v, 'Public-Key')).toBe(v.client_public_key);
    const clientKey = decodeNodePublic(v.client_public_key);
    const clientSig = Buffer.from(requestHeader(v, 'Session-Signature'), 'base64');
    expect(verifyDigest(sv, clientSig, clientKey)).toBe(true);
    // neither verifies with the other's key or over another value
    expect(verifyDigest(sv, serverSig, clientKey)).toBe(false);
    const other = Buffer.from(sv);
    other[0] ^= 0x80;
    expect(verifyDigest(other, clientSig, clientKey)).toBe(false);
  });

  it("capture F: the client's signature (over the wrong digest) does NOT verify; G's does", () => {
    const f = byCapture('F');
    expect(f.status_line).toBe('HTTP/1.1 400 Bad Request (Failed to verify session)');
    const fSig = Buffer.from(requestHeader(f, 'Session-Signature'), 'base64');
    expect(parseStrictDer(fSig)).not.toBeNull(); // well-formed, just over the wrong digest
    expect(verifyDigest(Buffer.from(f.shared_value_hex, 'hex'), fSig, decodeNodePublic(f.client_public_key))).toBe(false);

    const g = byCapture('G');
    expect(g.status_line).toBe('HTTP/1.1 400 Bad Request (Peer is on a different network)');
    const gSig = Buffer.from(requestHeader(g, 'Session-Signature'), 'base64');
    expect(verifyDigest(Buffer.from(g.shared_value_hex, 'hex'), gSig, decodeNodePublic(g.client_public_key))).toBe(true);
  });
});

describe('independent peer: client ↔ server over TLS', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function server(opts: Parameters<typeof listenIndependent>[0]): Promise<IndieServer> {
    const s = await listenIndependent(opts);
    cleanups.push(() => s.close());
    return s;
  }
  async function dial(opts: Parameters<typeof dialIndependent>[0]): Promise<IndiePeerConnection> {
    const c = await dialIndependent(opts);
    cleanups.push(() => c.close());
    return c;
  }
  async function dialFails(opts: Parameters<typeof dialIndependent>[0]): Promise<IndieHandshakeError> {
    const err = await dialIndependent(opts).then(
      (c) => {
        void c.close();
        throw new Error('handshake unexpectedly succeeded');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IndieHandshakeError);
    return err as IndieHandshakeError;
  }

  it.each([
    ['TLSv1.2', '127.0.0.90'],
    ['TLSv1.3', '127.0.0.91'],
  ] as const)('%s: handshake, headers, ping/pong both ways', async (tlsVersion, host) => {
    const srv = await server({ host, tlsVersion, networkId: 21338 });
    const client = await dial({ host, port: srv.port, tlsVersion, networkId: 21338 });
    const inbound = await srv.nextConnection();

    // getFinished()/getPeerFinished() work on this TLS version: both sides derived the same shared value
    expect(client.tlsProtocol).toBe(tlsVersion);
    expect(inbound.tlsProtocol).toBe(tlsVersion);
    expect(client.sharedValueHex).toMatch(/^[0-9a-f]{64}$/);
    expect(inbound.sharedValueHex).toBe(client.sharedValueHex);
    expect(client.socket.getFinished()!.length).toBeGreaterThanOrEqual(12);
    expect(inbound.socket.getPeerFinished()).toEqual(client.socket.getFinished());

    // identities
    expect(client.remotePublicKeyN9).toBe(srv.publicKeyN9);
    expect(inbound.remotePublicKeyN9).toBe(client.publicKeyN9);
    expect(client.publicKeyN9).toMatch(/^n9/);

    // the 101 as the client saw it
    expect(client.remoteStartLine).toBe('HTTP/1.1 101 Switching Protocols');
    expect(client.remoteHeaders.list.map(([k]) => k)).toEqual([
      'Connection', 'Upgrade', 'Connect-As', 'Server', 'Crawl', 'X-Protocol-Ctl',
      'Network-ID', 'Network-Time', 'Public-Key', 'Session-Signature', 'Instance-Cookie',
    ]);
    expect(client.remoteHeaders.map['upgrade']).toBe('XRPL/2.2');
    expect(client.remoteHeaders.map['x-protocol-ctl']).toBe('');
    expect(client.remoteHeadText).toContain('\r\nX-Protocol-Ctl: \r\n');
    expect(client.remoteHeaders.map['network-id']).toBe('21338');
    // the request as the server saw it
    expect(inbound.remoteStartLine).toBe('GET / HTTP/1.1');
    expect(inbound.remoteHeaders.map['user-agent']).toBe('indie-peer-1');
    expect(inbound.remoteHeaders.map['public-key']).toBe(client.publicKeyN9);
    expect(inbound.remoteHeadText).toBe(client.sentHeadText);

    // ping/pong both ways
    await client.ping(1000);
    await inbound.ping(0xfffffffe);
    await client.ping(1001);
    expect(client.pingsAnswered).toBe(1);
    expect(inbound.pingsAnswered).toBe(2);
    await expect.poll(() => client.framesReceived[MT_PING]).toBe(3); // 2 pongs + 1 ping
    await expect.poll(() => inbound.framesReceived[MT_PING]).toBe(3); // 2 pings + 1 pong
    expect(client.errors).toEqual([]);
    expect(inbound.errors).toEqual([]);

    // a pong that never comes → rejects
    const silent = await dial({ host, port: srv.port, tlsVersion, networkId: 21338 });
    const silentInbound = await srv.nextConnection();
    silentInbound.socket.pause(); // stop reading: no pong
    await expect(silent.ping(5, 200)).rejects.toThrow(/no pong/);
    silentInbound.socket.resume();
    await silent.nextFrame(MT_PING); // the late pong arrives, unclaimed

    // closing one side closes the other
    await client.close();
    await inbound.closed;
    expect(inbound.isOpen).toBe(false);
  });

  it('accepts several inbound connections (async iterator and event)', async () => {
    const srv = await server({ host: '127.0.0.92' });
    const seen: string[] = [];
    srv.on('connection', (c: IndiePeerConnection) => seen.push(c.remotePublicKeyN9));
    const clients = await Promise.all([1, 2, 3].map(() => dial({ host: '127.0.0.92', port: srv.port })));
    const got: IndiePeerConnection[] = [];
    for await (const c of srv.connections) {
      got.push(c);
      if (got.length === 3) break;
    }
    expect(new Set(got.map((c) => c.remotePublicKeyN9))).toEqual(new Set(clients.map((c) => c.publicKeyN9)));
    expect(seen).toHaveLength(3);
    await Promise.all(got.map((c, i) => c.ping(i)));
  });

  it('refuses a Session-Signature over the wrong digest (400 Failed to verify session)', async () => {
    const srv = await server({ host: '127.0.0.93' });
    for (const tlsVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      const err = await dialFails({ host: '127.0.0.93', port: srv.port, tlsVersion, signWrongDigest: true });
      expect(err.status).toBe(400);
      expect(err.statusText).toBe('Bad Request (Failed to verify session)');
      expect(err.headerList.map(([k]) => k)).toEqual(['Server', 'Remote-Address', 'Connection', 'Content-Length']);
      expect(err.headers['remote-address']).toBe('127.0.0.1');
      expect(err.headers['connection']).toBe('close');
      expect(err.body).toHaveLength(0);
    }
    expect(srv.accepted).toHaveLength(0);
    expect(srv.rejections.map((r) => r.reason)).toEqual(['Failed to verify session', 'Failed to verify session']);
  });

  it("the client refuses a 101 whose Session-Signature doesn't verify", async () => {
    const srv = await server({ host: '127.0.0.94', signWrongDigest: true });
    const err = await dialFails({ host: '127.0.0.94', port: srv.port });
    expect(err.status).toBe(101);
    expect(err.message).toMatch(/Failed to verify session/);
  });

  it('other refusals: network, self connection, version, clock, key', async () => {
    const host = '127.0.0.95';
    const srv = await server({ host, networkId: 21338, nodePrivateKeyHex: '11'.repeat(32) });
    const port = srv.port;

    let err = await dialFails({ host, port, networkId: 12345 });
    expect(err.statusText).toBe('Bad Request (Peer is on a different network)');
    // absent Network-ID is fine
    await dial({ host, port });

    err = await dialFails({ host, port, nodePrivateKeyHex: '11'.repeat(32) });
    expect(err.statusText).toBe('Bad Request (Self connection)');

    err = await dialFails({ host, port, upgrade: 'XRPL/3.0' });
    expect(err.statusText).toBe('Bad Request (Unable to agree on a protocol version)');
    // offering 2.0..2.2 picks 2.2
    const multi = await dial({ host, port, upgrade: 'XRPL/2.0, XRPL/2.1, XRPL/2.2' });
    expect(multi.remoteHeaders.map['upgrade']).toBe('XRPL/2.2');

    err = await dialFails({ host, port, upgrade: 'RTXP/1.2' });
    expect(err.status).toBe(403);

    err = await dialFails({ host, port, extraHeaders: { 'Network-Time': '12' } });
    expect(err.statusText).toBe('Bad Request (Peer clock is too far off)');

    err = await dialFails({ host, port, extraHeaders: { 'Public-Key': 'n9KyJ9zEr7mVLuPiWNcad3mEJSE95Fe58Pr7CzhBovBH2LFk11ck' } });
    expect(err.statusText).toBe('Bad Request (Bad node public key)');

    err = await dialFails({ host, port, extraHeaders: { 'Connect-As': 'Leaf' } });
    expect(err.status).toBe(503);
    expect(err.body.toString()).toBe('{"peer-ips":[]}');
  });
});
