import { createHash, randomBytes } from 'node:crypto';
import * as addressCodec from 'ripple-address-codec';
import { describe, expect, it } from 'vitest';
import { NodeIdentity, decodeNodePublic, verifyDigestSignature } from '../src/identity/node-key.js';
import {
  badRequestResponse,
  isConnectAsPeer,
  isPeerUpgrade,
  parseRedirectBody,
  serviceUnavailableResponse,
} from '../src/connect/handshake-io.js';
import {
  acceptedVersion,
  buildRequestHeaders,
  buildResponseHeaders,
  computeSharedValue,
  type Features,
  featureHasValue,
  formatFeatures,
  formatVersion,
  HandshakeError,
  type HandshakeParams,
  isProperDomain,
  negotiateFeatures,
  negotiateVersion,
  NO_FEATURES,
  parseLedgerHash,
  parseProtocolVersions,
  RIPPLE_EPOCH_OFFSET,
  supportedVersionsHeader,
  type VerifyContext,
  verifyHandshakeHeaders,
} from '../src/protocol/handshake.js';
import { formatHead, header, type HttpHead, HttpHeadReader } from '../src/protocol/http-head.js';
import { handshakeVectors, type HandshakeVector } from './support/vectors.js';

// ---------------------------------------------------------------------------------------------
// captures

type Capture = HandshakeVector & { request_hex: string; response_head_hex: string };

const captures = handshakeVectors() as Capture[];
const upgrades = captures.filter((c) => c.status_line.startsWith('HTTP/1.1 101'));
const refusals = captures.filter((c) => c.status_line.startsWith('HTTP/1.1 400'));
const byName = (name: string): Capture => captures.find((c) => c.capture === name)!;

/** The [compression] setting of each validator (vectors README §1); nothing else was enabled. */
const NODE_FEATURES: Record<string, Features> = {
  v1: { ...NO_FEATURES, compression: true },
  v2: NO_FEATURES,
  v3: NO_FEATURES,
};

const NODE_KEYS: Record<string, string> = {
  v1: 'n9Loa3Tf8PYivEKksLfoKhaVDkAjyRXpqaX4PoMx1XqPde3Hk5Tr',
  v2: 'n9JA132ryws759v8tjvysRkGdaccfZyT5Nu1gVo26dXC8S3itxXr',
  v3: 'n9MwMzsVisvg6QqHPPKGoadUTHNvpDtkcK3tYZiNatjegZLqBiBS',
};

function readAll(bytes: Buffer, byteByByte: boolean): { head: HttpHead; rest: Buffer } {
  const reader = new HttpHeadReader();
  if (!byteByByte) {
    const out = reader.push(bytes);
    if (!out) throw new Error('head not complete');
    return out;
  }
  for (let i = 0; i < bytes.length; i++) {
    const out = reader.push(bytes.subarray(i, i + 1));
    if (out) {
      expect(i).toBe(bytes.length - 1);
      return out;
    }
  }
  throw new Error('head not complete');
}

const requestOf = (c: Capture): HttpHead => readAll(Buffer.from(c.request_hex, 'hex'), false).head;
const responseOf = (c: Capture): HttpHead => readAll(Buffer.from(c.response_head_hex, 'hex'), false).head;
const nowForNetworkTime = (t: string | undefined): number => (Number(t) + RIPPLE_EPOCH_OFFSET) * 1000;

/** The message of the error `fn` throws (asserting it is a HandshakeError), or undefined. */
function rejection(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(HandshakeError);
    return (err as Error).message;
  }
}

// ---------------------------------------------------------------------------------------------
// DER helpers (for the high-S signature)

const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

function derSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function parseDer(der: Buffer): { r: bigint; s: bigint } {
  expect(der[0]).toBe(0x30);
  const rLen = der[3]!;
  const r = BigInt(`0x${der.subarray(4, 4 + rLen).toString('hex')}`);
  const sLen = der[5 + rLen]!;
  const s = BigInt(`0x${der.subarray(6 + rLen, 6 + rLen + sLen).toString('hex')}`);
  return { r, s };
}

// ---------------------------------------------------------------------------------------------
// fixtures for our own headers

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0); // a whole second
const us = NodeIdentity.generate();

function params(over: Partial<HandshakeParams> = {}): HandshakeParams {
  return {
    identity: NodeIdentity.generate(),
    sharedValue: randomBytes(32),
    userAgent: 'xrpl-overlay-test',
    crawlPublic: true,
    features: NO_FEATURES,
    instanceCookie: 1234567890123n,
    networkId: 21338,
    remoteIp: '127.0.0.1',
    nowMs: NOW,
    ...over,
  };
}

function context(p: HandshakeParams, over: Partial<VerifyContext> = {}): VerifyContext {
  return {
    sharedValue: p.sharedValue,
    ourPublicKey: us.publicKey,
    networkId: 21338,
    remoteIp: '127.0.0.1',
    nowMs: NOW,
    ...over,
  };
}

/** Replace (or, with undefined, remove) a header; appended when missing. */
function withHeader(headers: [string, string][], name: string, value: string | undefined): [string, string][] {
  const out: [string, string][] = [];
  let found = false;
  for (const [k, v] of headers) {
    if (k.toLowerCase() === name.toLowerCase()) {
      found = true;
      if (value !== undefined) out.push([k, value]);
    } else {
      out.push([k, v]);
    }
  }
  if (!found && value !== undefined) out.push([name, value]);
  return out;
}

const names = (h: [string, string][]): string[] => h.map(([k]) => k);
const ed25519Node = (): string => addressCodec.encodeNodePublic(Buffer.concat([Buffer.from([0xed]), randomBytes(32)]));

// =============================================================================================

describe('rippled 3.1.2 handshake captures', () => {
  it('has the ten 101s and two 400s the README describes', () => {
    expect(upgrades.map((c) => c.capture).sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'H', 'I', 'J', 'K', 'L']);
    expect(refusals.map((c) => c.capture).sort()).toEqual(['F', 'G']);
  });

  describe.each(upgrades.map((c) => [c.capture, c] as const))('101 of capture %s', (_name, c) => {
    const bytes = Buffer.from(c.response_head_hex, 'hex');

    it('parses with HttpHeadReader in one chunk and byte by byte', () => {
      expect(bytes.toString('latin1')).toBe(c.response_head_text);
      for (const byteByByte of [false, true]) {
        const { head, rest } = readAll(bytes, byteByByte);
        expect(head.version).toBe('HTTP/1.1');
        expect(head.status).toBe(101);
        expect(head.reason).toBe('Switching Protocols');
        expect(head.method).toBeUndefined();
        expect(head.headers).toEqual(c.response_headers);
        expect(rest.length).toBe(0);
      }
    });

    it('keeps the bytes after the head (peer frames) as rest', () => {
      const frames = Buffer.from('0000000a0003deadbeef', 'hex');
      const { head, rest } = readAll(Buffer.concat([bytes, frames]), false);
      expect(head.status).toBe(101);
      expect(rest).toEqual(frames);
    });

    it('its Upgrade is accepted as XRPL/2.2 and is what we would have chosen', () => {
      const head = responseOf(c);
      const v = acceptedVersion(header(head, 'Upgrade'));
      expect(v).toEqual({ major: 2, minor: 2 });
      const offered = parseProtocolVersions(header(requestOf(c), 'Upgrade')!);
      const chosen = negotiateVersion(offered);
      expect(chosen && formatVersion(chosen)).toBe(header(head, 'Upgrade'));
    });

    it('our feature negotiation answers the X-Protocol-Ctl rippled answered', () => {
      const ctl = header(requestOf(c), 'X-Protocol-Ctl');
      const answered = header(responseOf(c), 'X-Protocol-Ctl');
      expect(answered).toBeDefined();
      const ours = formatFeatures(negotiateFeatures(NODE_FEATURES[c.node]!, ctl));
      expect(ours).toBe(answered);
      // and the client side reads the answer back as what was negotiated
      const client: Features = { ...NO_FEATURES, compression: true };
      expect(negotiateFeatures(client, answered).compression).toBe(answered === 'compr=lz4;');
    });

    it("rippled's and the client's Session-Signatures verify over the shared value", () => {
      const shared = Buffer.from(c.shared_value_hex, 'hex');
      const response = responseOf(c);
      expect(header(response, 'Public-Key')).toBe(NODE_KEYS[c.node]);
      const serverKey = decodeNodePublic(header(response, 'Public-Key')!);
      const serverSig = Buffer.from(header(response, 'Session-Signature')!, 'base64');
      expect(verifyDigestSignature(serverKey, shared, serverSig)).toBe(true);
      expect(c.response_session_signature_valid).toBe(true);

      const request = requestOf(c);
      expect(header(request, 'Public-Key')).toBe(c.client_public_key);
      const clientKey = decodeNodePublic(c.client_public_key);
      const clientSig = Buffer.from(header(request, 'Session-Signature')!, 'base64');
      expect(verifyDigestSignature(clientKey, shared, clientSig)).toBe(true);
      // not over another session's value
      const other = Buffer.from(upgrades.find((o) => o !== c)!.shared_value_hex, 'hex');
      expect(verifyDigestSignature(serverKey, other, serverSig)).toBe(false);
    });

    it('verifyHandshakeHeaders accepts its headers on network 21338 and returns the node key', () => {
      const head = responseOf(c);
      const ctx: VerifyContext = {
        sharedValue: Buffer.from(c.shared_value_hex, 'hex'),
        ourPublicKey: decodeNodePublic(c.client_public_key),
        networkId: 21338,
        remoteIp: '127.0.0.1',
        nowMs: nowForNetworkTime(header(head, 'Network-Time')),
      };
      const key = verifyHandshakeHeaders(head, ctx);
      expect(key).toEqual(decodeNodePublic(NODE_KEYS[c.node]!));
      expect(rejection(() => verifyHandshakeHeaders(head, { ...ctx, networkId: 12345 }))).toBe('Peer is on a different network');
      expect(verifyHandshakeHeaders(head, { ...ctx, networkId: undefined })).toEqual(key);
      // 20 s of clock offset is tolerated, 21 s is not
      expect(verifyHandshakeHeaders(head, { ...ctx, nowMs: ctx.nowMs! + 20_000 })).toEqual(key);
      expect(rejection(() => verifyHandshakeHeaders(head, { ...ctx, nowMs: ctx.nowMs! - 21_000 }))).toBe(
        'Peer clock is too far off',
      );
      // its own key on the other end is a self connection
      expect(rejection(() => verifyHandshakeHeaders(head, { ...ctx, ourPublicKey: key }))).toBe('Self connection');
    });

    it('rippled accepted the client request, and so do we (as v-node, inbound)', () => {
      const request = requestOf(c);
      const key = verifyHandshakeHeaders(request, {
        sharedValue: Buffer.from(c.shared_value_hex, 'hex'),
        ourPublicKey: decodeNodePublic(NODE_KEYS[c.node]!),
        networkId: 21338,
        remoteIp: '127.0.0.1',
        nowMs: nowForNetworkTime(header(request, 'Network-Time')),
      });
      expect(key).toEqual(decodeNodePublic(c.client_public_key));
      expect(isPeerUpgrade(request)).toBe(true);
    });

    it('our 101 for the same node state is byte for byte rippled\'s (keys and signature aside)', () => {
      const rippled = responseOf(c);
      const closed = parseLedgerHash(header(rippled, 'Closed-Ledger')!);
      const previous = parseLedgerHash(header(rippled, 'Previous-Ledger')!);
      expect(closed).toBeDefined();
      expect(previous).toBeDefined();
      const version = negotiateVersion(parseProtocolVersions(header(requestOf(c), 'Upgrade')!))!;
      const ours = buildResponseHeaders(
        params({
          userAgent: 'rippled-3.1.2',
          crawlPublic: false,
          features: negotiateFeatures(NODE_FEATURES[c.node]!, header(requestOf(c), 'X-Protocol-Ctl')),
          instanceCookie: BigInt(header(rippled, 'Instance-Cookie')!),
          networkId: 21338,
          remoteIp: '127.0.0.1',
          closedLedger: closed,
          previousLedger: previous,
          nowMs: nowForNetworkTime(header(rippled, 'Network-Time')),
        }),
        version,
      );
      expect(names(ours)).toEqual(names(c.response_headers));
      const swapped = ours.map(([k, v]): [string, string] =>
        k === 'Public-Key' || k === 'Session-Signature' ? [k, header(rippled, k)!] : [k, v],
      );
      expect(formatHead('HTTP/1.1 101 Switching Protocols', swapped)).toBe(c.response_head_text);
    });
  });

  it("capture F's client signature does not verify, and we refuse it as rippled did", () => {
    const f = byName('F');
    const request = requestOf(f);
    const shared = Buffer.from(f.shared_value_hex, 'hex');
    const sig = Buffer.from(header(request, 'Session-Signature')!, 'base64');
    expect(verifyDigestSignature(decodeNodePublic(f.client_public_key), shared, sig)).toBe(false);
    const text = rejection(() =>
      verifyHandshakeHeaders(request, {
        sharedValue: shared,
        ourPublicKey: decodeNodePublic(NODE_KEYS.v1!),
        networkId: 21338,
        remoteIp: '127.0.0.1',
        nowMs: nowForNetworkTime(header(request, 'Network-Time')),
      }),
    );
    expect(text).toBe('Failed to verify session');
    expect(f.status_line).toBe(`HTTP/1.1 400 Bad Request (${text})`);
  });

  it('capture G (Network-ID 12345) is refused as rippled did', () => {
    const g = byName('G');
    const request = requestOf(g);
    const ctx: VerifyContext = {
      sharedValue: Buffer.from(g.shared_value_hex, 'hex'),
      ourPublicKey: decodeNodePublic(NODE_KEYS.v1!),
      networkId: 21338,
      remoteIp: '127.0.0.1',
      nowMs: nowForNetworkTime(header(request, 'Network-Time')),
    };
    const text = rejection(() => verifyHandshakeHeaders(request, ctx));
    expect(text).toBe('Peer is on a different network');
    expect(g.status_line).toBe(`HTTP/1.1 400 Bad Request (${text})`);
    // its signature is fine: only the network differs
    expect(verifyHandshakeHeaders(request, { ...ctx, networkId: 12345 })).toEqual(decodeNodePublic(g.client_public_key));
  });

  it.each(refusals.map((c) => [c.capture, c] as const))('400 of capture %s: parses, and ours is byte for byte the same', (_n, c) => {
    const bytes = Buffer.from(c.response_head_hex, 'hex');
    for (const byteByByte of [false, true]) {
      const { head, rest } = readAll(bytes, byteByByte);
      expect(head.status).toBe(400);
      expect(`HTTP/1.1 ${head.status} ${head.reason}`).toBe(c.status_line);
      expect(head.headers).toEqual(c.response_headers);
      expect(rest.length).toBe(0);
    }
    const text = /^HTTP\/1\.1 400 Bad Request \((.*)\)$/.exec(c.status_line)![1]!;
    expect(badRequestResponse(text, { userAgent: 'rippled-3.1.2' }, '127.0.0.1')).toBe(c.response_head_text);
    expect(Buffer.from(badRequestResponse(text, { userAgent: 'rippled-3.1.2' }, '127.0.0.1'), 'latin1')).toEqual(bytes);
  });
});

// =============================================================================================

describe('verifyHandshakeHeaders: every refusal of PROTOCOL.md §1.6', () => {
  it('accepts our own request and our own 101', () => {
    const p = params();
    expect(verifyHandshakeHeaders({ headers: buildRequestHeaders(p) }, context(p))).toEqual(p.identity.publicKey);
    const r = buildResponseHeaders(p, { major: 2, minor: 2 });
    expect(verifyHandshakeHeaders({ headers: r }, context(p))).toEqual(p.identity.publicKey);
  });

  const refused = (headers: [string, string][], ctx: VerifyContext) => rejection(() => verifyHandshakeHeaders({ headers }, ctx));

  it('Invalid server domain', () => {
    const p = params({ serverDomain: 'example.com' });
    const h = buildRequestHeaders(p);
    expect(header({ headers: h }, 'Server-Domain')).toBe('example.com');
    expect(refused(h, context(p))).toBeUndefined();
    for (const bad of ['', 'a.b', 'localhost', '-bad.example.com', 'bad-.example.com', 'example.c0m', 'exa_mple.com', 'example..com']) {
      expect(refused(withHeader(h, 'Server-Domain', bad), context(p)), bad).toBe('Invalid server domain');
    }
  });

  it('Invalid peer network identifier / Peer is on a different network', () => {
    const p = params();
    const h = buildRequestHeaders(p);
    for (const bad of ['abc', '-1', '4294967296', '1.5', '0x10', '']) {
      expect(refused(withHeader(h, 'Network-ID', bad), context(p)), bad).toBe('Invalid peer network identifier');
    }
    // a malformed one is refused even when we have no network id ourselves
    expect(refused(withHeader(h, 'Network-ID', 'abc'), context(p, { networkId: undefined }))).toBe('Invalid peer network identifier');
    expect(refused(withHeader(h, 'Network-ID', '12345'), context(p))).toBe('Peer is on a different network');
    expect(refused(withHeader(h, 'Network-ID', '0'), context(p))).toBe('Peer is on a different network');
    // absent is fine; so is anything when we have none
    expect(refused(withHeader(h, 'Network-ID', undefined), context(p))).toBeUndefined();
    expect(refused(withHeader(h, 'Network-ID', '12345'), context(p, { networkId: undefined }))).toBeUndefined();
    expect(refused(withHeader(h, 'Network-ID', '4294967295'), context(p, { networkId: 4294967295 }))).toBeUndefined();
  });

  it('Invalid peer clock timestamp / Peer clock is too far off (20 s passes, 21 s fails)', () => {
    for (const offset of [20, -20, 0, 5]) {
      const p = params({ nowMs: NOW + offset * 1000 });
      expect(refused(buildRequestHeaders(p), context(p)), String(offset)).toBeUndefined();
    }
    for (const offset of [21, -21, 3600]) {
      const p = params({ nowMs: NOW + offset * 1000 });
      expect(refused(buildRequestHeaders(p), context(p)), String(offset)).toBe('Peer clock is too far off');
    }
    const p = params();
    const h = buildRequestHeaders(p);
    // NetClock is a u32 count of seconds: anything that is not one is junk, not a far-off clock
    for (const bad of ['abc', '-5', '12.5', '', '4294967296', '99999999999999999999']) {
      expect(refused(withHeader(h, 'Network-Time', bad), context(p)), bad).toBe('Invalid peer clock timestamp');
    }
    expect(refused(withHeader(h, 'Network-Time', undefined), context(p))).toBeUndefined();
  });

  it('Bad node public key / Unsupported public key type', () => {
    const p = params();
    const h = buildRequestHeaders(p);
    const account = addressCodec.encodeAccountID(randomBytes(20));
    const notOnCurve = addressCodec.encodeNodePublic(Buffer.concat([Buffer.from([0x02]), Buffer.alloc(32, 0xff)]));
    const wrongPrefix = addressCodec.encodeNodePublic(Buffer.concat([Buffer.from([0x05]), randomBytes(32)]));
    const badChecksum = `${p.identity.n9.slice(0, -1)}${p.identity.n9.endsWith('a') ? 'b' : 'a'}`;
    for (const bad of [undefined, '', 'junk', account, notOnCurve, wrongPrefix, badChecksum, p.identity.publicKey.toString('hex')]) {
      expect(refused(withHeader(h, 'Public-Key', bad), context(p)), String(bad)).toBe('Bad node public key');
    }
    const ed = ed25519Node();
    expect(ed.startsWith('n')).toBe(true); // an 0xED-prefixed NodePublic token
    expect(refused(withHeader(h, 'Public-Key', ed), context(p))).toBe('Unsupported public key type');
  });

  it('No session signature specified / Failed to verify session', () => {
    const p = params();
    const h = buildRequestHeaders(p);
    expect(refused(withHeader(h, 'Session-Signature', undefined), context(p))).toBe('No session signature specified');
    // over the wrong digest
    const wrong = p.identity.sign(randomBytes(32)).toString('base64');
    expect(refused(withHeader(h, 'Session-Signature', wrong), context(p))).toBe('Failed to verify session');
    // the right signature, checked against another session's value
    expect(refused(h, context(p, { sharedValue: randomBytes(32) }))).toBe('Failed to verify session');
    // someone else's key signing our shared value
    const other = NodeIdentity.generate().sign(p.sharedValue).toString('base64');
    expect(refused(withHeader(h, 'Session-Signature', other), context(p))).toBe('Failed to verify session');
    for (const junk of ['', 'AAAA', '!!!!', Buffer.alloc(70, 0x30).toString('base64')]) {
      expect(refused(withHeader(h, 'Session-Signature', junk), context(p)), junk).toBe('Failed to verify session');
    }
  });

  it('a high-S version of a valid signature passes (mustBeFullyCanonical=false)', () => {
    const p = params();
    const h = buildRequestHeaders(p);
    const low = Buffer.from(header({ headers: h }, 'Session-Signature')!, 'base64');
    const { r, s } = parseDer(low);
    expect(s <= CURVE_ORDER / 2n).toBe(true); // we send low-S
    const high = derSignature(r, CURVE_ORDER - s);
    expect(high.equals(low)).toBe(false);
    expect(verifyDigestSignature(p.identity.publicKey, p.sharedValue, high)).toBe(true);
    expect(refused(withHeader(h, 'Session-Signature', high.toString('base64')), context(p))).toBeUndefined();
    // but not a non-strict DER encoding of the same signature (superfluous leading zero on r)
    const lax = derSignature(r, s);
    const rBytes = Buffer.from(r.toString(16).padStart(64, '0'), 'hex');
    const padded = Buffer.concat([Buffer.from([0x02, rBytes.length + 2, 0, 0]), rBytes]);
    const body = Buffer.concat([padded, lax.subarray(4 + lax[3]!)]);
    const nonStrict = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    expect(refused(withHeader(h, 'Session-Signature', nonStrict.toString('base64')), context(p))).toBe('Failed to verify session');
  });

  it('Self connection', () => {
    const p = params({ identity: us });
    expect(refused(buildRequestHeaders(p), context(p))).toBe('Self connection');
  });

  it('Invalid Local-IP / Incorrect Local-IP', () => {
    const p = params({ publicIp: '1.2.3.4' });
    const h = buildRequestHeaders(p);
    expect(header({ headers: h }, 'Local-IP')).toBe('1.2.3.4');
    for (const bad of ['junk', '1.2.3', '1.2.3.4:51235', '', 'example.com']) {
      expect(refused(withHeader(h, 'Local-IP', bad), context(p)), bad).toBe('Invalid Local-IP');
    }
    // remote public and different: refused
    expect(refused(h, context(p, { remoteIp: '5.6.7.8' }))).toBe('Incorrect Local-IP: 5.6.7.8 instead of 1.2.3.4');
    // remote public and equal (also as a v4-mapped socket address): fine
    expect(refused(h, context(p, { remoteIp: '1.2.3.4' }))).toBeUndefined();
    expect(refused(h, context(p, { remoteIp: '::ffff:1.2.3.4' }))).toBeUndefined();
    // remote private: not checked
    expect(refused(h, context(p, { remoteIp: '10.1.1.1' }))).toBeUndefined();
    expect(refused(h, context(p, { remoteIp: '127.0.0.1' }))).toBeUndefined();
    // v6
    const p6 = params({ publicIp: '2001:4860::8888' });
    const h6 = buildRequestHeaders(p6);
    expect(refused(h6, context(p6, { remoteIp: '2001:4860:0:0::8888' }))).toBeUndefined();
    expect(refused(h6, context(p6, { remoteIp: '2001:4860::8844' }))).toMatch(/^Incorrect Local-IP: /);
  });

  it('Local-IP / Remote-IP across address families: not compared over IPv6, refused over IPv4', () => {
    // A peer whose public_ip is IPv4 reaches us over IPv6 (rippled 2.x compares nothing then).
    const p = params({ publicIp: '1.2.3.4', remoteIp: '2001:4860::1' });
    const h = buildRequestHeaders(p);
    expect(header({ headers: h }, 'Local-IP')).toBe('1.2.3.4');
    expect(header({ headers: h }, 'Remote-IP')).toBe('2001:4860::1');
    // Local-IP v4 vs the IPv6 socket address; Remote-IP (our v6 address) vs our v4 public_ip
    expect(refused(h, context(p, { remoteIp: '2001:4860::8888', publicIp: '8.8.8.8' }))).toBeUndefined();
    // same families over IPv6 are still compared
    expect(refused(withHeader(h, 'Local-IP', '2001:4860::7'), context(p, { remoteIp: '2001:4860::8888' }))).toBe(
      'Incorrect Local-IP: 2001:4860::8888 instead of 2001:4860::7',
    );
    expect(refused(withHeader(h, 'Local-IP', undefined), context(p, { remoteIp: '2001:4860::8888', publicIp: '2001:4860::2' }))).toBe(
      'Incorrect Remote-IP: 2001:4860::2 instead of 2001:4860::1',
    );
    // Over IPv4 (or v4-mapped) both rippled versions compare, and different families never match.
    const v6Local = withHeader(withHeader(h, 'Local-IP', '2001:4860::7'), 'Remote-IP', undefined);
    expect(refused(v6Local, context(p, { remoteIp: '5.6.7.8' }))).toBe('Incorrect Local-IP: 5.6.7.8 instead of 2001:4860::7');
    expect(refused(v6Local, context(p, { remoteIp: '::ffff:5.6.7.8' }))).toMatch(/^Incorrect Local-IP: /);
    const v4Remote = withHeader(withHeader(h, 'Local-IP', undefined), 'Remote-IP', '9.9.9.9');
    expect(refused(v4Remote, context(p, { remoteIp: '5.6.7.8', publicIp: '2001:4860::2' }))).toBe(
      'Incorrect Remote-IP: 2001:4860::2 instead of 9.9.9.9',
    );
  });

  it('Invalid Remote-IP / Incorrect Remote-IP', () => {
    // they saw us at 8.8.4.4 (public, so they sent Remote-IP)
    const p = params({ remoteIp: '8.8.4.4' });
    const h = buildRequestHeaders(p);
    expect(header({ headers: h }, 'Remote-IP')).toBe('8.8.4.4');
    for (const bad of ['junk', '8.8.4', '']) {
      expect(refused(withHeader(h, 'Remote-IP', bad), context(p)), bad).toBe('Invalid Remote-IP');
    }
    // remote public and our public_ip set and different: refused
    expect(refused(h, context(p, { remoteIp: '9.9.9.9', publicIp: '1.1.1.1' }))).toBe(
      'Incorrect Remote-IP: 1.1.1.1 instead of 8.8.4.4',
    );
    // equal: fine
    expect(refused(h, context(p, { remoteIp: '9.9.9.9', publicIp: '8.8.4.4' }))).toBeUndefined();
    // no public_ip of ours (or unspecified): not checked
    expect(refused(h, context(p, { remoteIp: '9.9.9.9' }))).toBeUndefined();
    expect(refused(h, context(p, { remoteIp: '9.9.9.9', publicIp: '0.0.0.0' }))).toBeUndefined();
    // remote private: not checked
    expect(refused(h, context(p, { remoteIp: '192.168.1.1', publicIp: '1.1.1.1' }))).toBeUndefined();
  });

  it('ignores unknown headers and does not check Instance-Cookie', () => {
    const p = params();
    let h = buildRequestHeaders(p);
    h = withHeader(h, 'X-Unknown', 'whatever');
    h = withHeader(h, 'Instance-Cookie', 'not a number');
    expect(refused(h, context(p))).toBeUndefined();
  });

  it('reads header names case-insensitively', () => {
    const p = params({ publicIp: '1.2.3.4' });
    const h = buildRequestHeaders(p).map(([k, v]): [string, string] => [k.toLowerCase(), v]);
    expect(verifyHandshakeHeaders({ headers: h }, context(p))).toEqual(p.identity.publicKey);
    expect(refused(withHeader(h, 'network-id', '7'), context(p))).toBe('Peer is on a different network');
  });

  it("runs the checks in rippled's order: with two broken headers the earlier check's text wins", () => {
    const p = params({ publicIp: '1.2.3.4', remoteIp: '8.8.4.4', serverDomain: 'example.com' });
    const good = buildRequestHeaders(p);
    const ctx = context(p);
    expect(refused(good, ctx)).toBeUndefined();
    // one breakage per check, in rippled's order
    const breakages: [string, (h: [string, string][]) => [string, string][], Partial<VerifyContext>][] = [
      ['Invalid server domain', (h) => withHeader(h, 'Server-Domain', 'nope'), {}],
      ['Invalid peer network identifier', (h) => withHeader(h, 'Network-ID', 'x'), {}],
      ['Peer clock is too far off', (h) => withHeader(h, 'Network-Time', String(Number(header({ headers: h }, 'Network-Time')) + 100)), {}],
      ['Bad node public key', (h) => withHeader(h, 'Public-Key', 'junk'), {}],
      ['No session signature specified', (h) => withHeader(h, 'Session-Signature', undefined), {}],
      ['Self connection', (h) => h, { ourPublicKey: p.identity.publicKey }],
      ['Invalid Local-IP', (h) => withHeader(h, 'Local-IP', 'x'), {}],
      ['Invalid Remote-IP', (h) => withHeader(h, 'Remote-IP', 'x'), {}],
    ];
    for (const [text, breakIt, ctxOver] of breakages) {
      expect(refused(breakIt(good), { ...ctx, ...ctxOver }), text).toBe(text);
    }
    for (let i = 0; i < breakages.length; i++) {
      for (let j = i + 1; j < breakages.length; j++) {
        const [first, breakFirst, ctxFirst] = breakages[i]!;
        const [second, breakSecond, ctxSecond] = breakages[j]!;
        const h = breakSecond(breakFirst(good));
        expect(refused(h, { ...ctx, ...ctxFirst, ...ctxSecond }), `${first} + ${second}`).toBe(first);
      }
    }
    // the ones that need a public remote
    const pub = { remoteIp: '5.6.7.8', publicIp: '1.1.1.1' };
    expect(refused(good, { ...ctx, ...pub })).toMatch(/^Incorrect Local-IP: /);
    expect(refused(withHeader(good, 'Local-IP', undefined), { ...ctx, ...pub })).toMatch(/^Incorrect Remote-IP: /);
    expect(refused(withHeader(good, 'Session-Signature', 'AAAA'), { ...ctx, ...pub })).toBe('Failed to verify session');
    expect(refused(withHeader(good, 'Network-ID', '1'), { ...ctx, ...pub })).toBe('Peer is on a different network');
    expect(refused(withHeader(withHeader(good, 'Network-ID', '1'), 'Network-Time', 'x'), ctx)).toBe(
      'Peer is on a different network',
    );
    expect(refused(withHeader(withHeader(good, 'Network-Time', 'x'), 'Public-Key', ed25519Node()), ctx)).toBe(
      'Invalid peer clock timestamp',
    );
    expect(refused(withHeader(withHeader(good, 'Public-Key', ed25519Node()), 'Session-Signature', undefined), ctx)).toBe(
      'Unsupported public key type',
    );
    expect(refused(withHeader(good, 'Session-Signature', 'AAAA'), { ...ctx, ourPublicKey: p.identity.publicKey })).toBe(
      'Failed to verify session',
    );
  });
});

// =============================================================================================

describe('headers we send', () => {
  const REQUEST_ORDER = [
    'User-Agent',
    'Upgrade',
    'Connection',
    'Connect-As',
    'Crawl',
    'X-Protocol-Ctl',
    'Network-ID',
    'Network-Time',
    'Public-Key',
    'Session-Signature',
    'Instance-Cookie',
    'Server-Domain',
    'Remote-IP',
    'Local-IP',
    'Closed-Ledger',
    'Previous-Ledger',
  ];
  const ledgers = { closedLedger: randomBytes(32), previousLedger: randomBytes(32) };

  it("request: rippled's order with every optional field", () => {
    const p = params({ serverDomain: 'example.com', remoteIp: '8.8.8.8', publicIp: '1.2.3.4', ...ledgers });
    const h = buildRequestHeaders(p);
    expect(names(h)).toEqual(REQUEST_ORDER);
    const get = (n: string) => header({ headers: h }, n);
    expect(get('User-Agent')).toBe('xrpl-overlay-test');
    expect(get('Upgrade')).toBe('XRPL/2.1, XRPL/2.2');
    expect(get('Upgrade')).toBe(supportedVersionsHeader());
    expect(get('Connection')).toBe('Upgrade');
    expect(get('Connect-As')).toBe('Peer');
    expect(get('Crawl')).toBe('public');
    expect(get('Network-ID')).toBe('21338');
    expect(get('Network-Time')).toBe(String(NOW / 1000 - RIPPLE_EPOCH_OFFSET));
    expect(get('Public-Key')).toBe(p.identity.n9);
    expect(get('Instance-Cookie')).toBe('1234567890123');
    expect(get('Remote-IP')).toBe('8.8.8.8');
    expect(get('Local-IP')).toBe('1.2.3.4');
    expect(get('Closed-Ledger')).toBe(ledgers.closedLedger.toString('hex').toUpperCase());
    expect(get('Previous-Ledger')).toBe(ledgers.previousLedger.toString('hex').toUpperCase());
    const sig = Buffer.from(get('Session-Signature')!, 'base64');
    expect(sig.toString('base64')).toBe(get('Session-Signature'));
    expect(verifyDigestSignature(p.identity.publicKey, p.sharedValue, sig)).toBe(true);
    expect(formatHead('GET / HTTP/1.1', h)).not.toMatch(/\r\nHost:/i);
  });

  it('request: without the optional fields', () => {
    const p = params({ networkId: undefined, crawlPublic: false, remoteIp: '10.0.0.1' });
    const h = buildRequestHeaders(p);
    expect(names(h)).toEqual(REQUEST_ORDER.filter((n) => !['Network-ID', 'Server-Domain', 'Remote-IP', 'Local-IP', 'Closed-Ledger', 'Previous-Ledger'].includes(n)));
    expect(header({ headers: h }, 'Crawl')).toBe('private');
  });

  it('request: each optional field alone lands in its place', () => {
    const cases: [Partial<HandshakeParams>, string[]][] = [
      [{ serverDomain: 'example.com' }, ['Server-Domain']],
      [{ remoteIp: '8.8.8.8' }, ['Remote-IP']],
      [{ publicIp: '1.2.3.4' }, ['Local-IP']],
      [ledgers, ['Closed-Ledger', 'Previous-Ledger']],
      [{ remoteIp: '8.8.8.8', ...ledgers }, ['Remote-IP', 'Closed-Ledger', 'Previous-Ledger']],
    ];
    for (const [over, extra] of cases) {
      const h = buildRequestHeaders(params(over));
      const present = new Set([...REQUEST_ORDER.slice(0, 11), ...extra]);
      expect(names(h)).toEqual(REQUEST_ORDER.filter((n) => present.has(n)));
    }
  });

  it('Remote-IP only when the other side is public; Local-IP only when set and specified', () => {
    for (const ip of ['127.0.0.1', '10.0.0.1', '192.168.0.5', '172.16.3.4', '::1', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1']) {
      expect(header({ headers: buildRequestHeaders(params({ remoteIp: ip })) }, 'Remote-IP'), ip).toBeUndefined();
    }
    for (const ip of ['8.8.8.8', '2001:4860::8888']) {
      expect(header({ headers: buildRequestHeaders(params({ remoteIp: ip })) }, 'Remote-IP')).toBe(ip);
    }
    expect(header({ headers: buildRequestHeaders(params({ publicIp: '0.0.0.0' })) }, 'Local-IP')).toBeUndefined();
    expect(header({ headers: buildRequestHeaders(params({ publicIp: '::' })) }, 'Local-IP')).toBeUndefined();
  });

  it('X-Protocol-Ctl is present even when empty, written with one space', () => {
    const h = buildRequestHeaders(params());
    expect(header({ headers: h }, 'X-Protocol-Ctl')).toBe('');
    expect(formatHead('GET / HTTP/1.1', h)).toContain('\r\nX-Protocol-Ctl: \r\n');
    const r = buildResponseHeaders(params(), { major: 2, minor: 2 });
    expect(formatHead('HTTP/1.1 101 Switching Protocols', r)).toContain('\r\nX-Protocol-Ctl: \r\n');
    const all: Features = { compression: true, ledgerReplay: true, txReduceRelay: true, vpReduceRelay: true };
    expect(header({ headers: buildRequestHeaders(params({ features: all })) }, 'X-Protocol-Ctl')).toBe(
      'compr=lz4;ledgerreplay=1;txrr=1;vprr=1;',
    );
  });

  it("101: the same order as rippled's (capture A) given the same optional fields", () => {
    const a = byName('A');
    const p = params({ crawlPublic: false, features: { ...NO_FEATURES, compression: true }, ...ledgers });
    const r = buildResponseHeaders(p, { major: 2, minor: 2 });
    expect(names(r)).toEqual(names(a.response_headers));
    expect(header({ headers: r }, 'Upgrade')).toBe('XRPL/2.2');
    expect(header({ headers: r }, 'Server')).toBe('xrpl-overlay-test');
    expect(header({ headers: r }, 'X-Protocol-Ctl')).toBe('compr=lz4;');
    // with the other optional fields they go where the request has them
    const full = buildResponseHeaders(params({ serverDomain: 'example.com', remoteIp: '8.8.8.8', publicIp: '1.2.3.4', ...ledgers }), {
      major: 2,
      minor: 1,
    });
    expect(names(full)).toEqual([
      'Connection',
      'Upgrade',
      'Connect-As',
      'Server',
      'Crawl',
      'X-Protocol-Ctl',
      ...REQUEST_ORDER.slice(6),
    ]);
    expect(header({ headers: full }, 'Upgrade')).toBe('XRPL/2.1');
  });
});

// =============================================================================================

describe('protocol versions', () => {
  const v = (s: string) => parseProtocolVersions(s).map(formatVersion);

  it('parses, sorts and dedupes XRPL/x.y tokens', () => {
    expect(v('XRPL/2.0, XRPL/2.1, XRPL/2.2')).toEqual(['XRPL/2.0', 'XRPL/2.1', 'XRPL/2.2']);
    expect(v('XRPL/2.2,XRPL/2.1')).toEqual(['XRPL/2.1', 'XRPL/2.2']);
    expect(v('XRPL/2.2, XRPL/2.2, XRPL/2.1, XRPL/2.2')).toEqual(['XRPL/2.1', 'XRPL/2.2']);
    expect(v('XRPL/10.0, XRPL/3.15, XRPL/2.10, XRPL/2.9')).toEqual(['XRPL/2.9', 'XRPL/2.10', 'XRPL/3.15', 'XRPL/10.0']);
  });

  it('ignores RTXP, leading zeros, 1.x and junk', () => {
    expect(v('RTXP/1.2')).toEqual([]);
    expect(v('RTXP/1.2, XRPL/2.1')).toEqual(['XRPL/2.1']);
    expect(v('XRPL/02.1')).toEqual([]);
    expect(v('XRPL/2.01')).toEqual([]);
    expect(v('XRPL/1.9')).toEqual([]);
    expect(v('XRPL/0.1')).toEqual([]);
    expect(v('xrpl/2.1')).toEqual([]);
    expect(v('XRPL/2')).toEqual([]);
    expect(v('XRPL/2.1.0')).toEqual([]);
    expect(v('websocket')).toEqual([]);
    expect(v('')).toEqual([]);
  });

  it('negotiates the highest common version', () => {
    const n = (s: string) => {
      const r = negotiateVersion(parseProtocolVersions(s));
      return r && formatVersion(r);
    };
    expect(n('XRPL/2.0, XRPL/2.1, XRPL/2.2')).toBe('XRPL/2.2');
    expect(n('XRPL/2.1')).toBe('XRPL/2.1');
    expect(n('XRPL/2.1, XRPL/3.0')).toBe('XRPL/2.1');
    expect(n('XRPL/2.2, XRPL/2.2')).toBe('XRPL/2.2');
    expect(n('XRPL/3.0')).toBeUndefined();
    expect(n('RTXP/1.2')).toBeUndefined();
    expect(n('XRPL/02.1')).toBeUndefined();
    expect(n('')).toBeUndefined();
  });

  it('acceptedVersion (client side): exactly one version we support', () => {
    expect(acceptedVersion('XRPL/2.2')).toEqual({ major: 2, minor: 2 });
    expect(acceptedVersion('XRPL/2.1')).toEqual({ major: 2, minor: 1 });
    expect(acceptedVersion('XRPL/2.1, XRPL/2.2')).toBeUndefined();
    expect(acceptedVersion('XRPL/2.2, XRPL/3.0')).toBeUndefined();
    expect(acceptedVersion('XRPL/3.0')).toBeUndefined();
    expect(acceptedVersion('XRPL/2.0')).toBeUndefined();
    expect(acceptedVersion('XRPL/02.2')).toBeUndefined();
    expect(acceptedVersion('')).toBeUndefined();
    expect(acceptedVersion(undefined)).toBeUndefined();
    // rippled's ConnectAttempt counts the parsed (sorted, deduplicated) versions, as we do
    expect(acceptedVersion('XRPL/2.2, XRPL/2.2')).toEqual({ major: 2, minor: 2 });
    expect(acceptedVersion('XRPL/2.2, RTXP/1.2')).toEqual({ major: 2, minor: 2 });
  });
});

// =============================================================================================

describe('X-Protocol-Ctl features', () => {
  const all: Features = { compression: true, ledgerReplay: true, txReduceRelay: true, vpReduceRelay: true };

  it('formats only the enabled features, in rippled order', () => {
    expect(formatFeatures(NO_FEATURES)).toBe('');
    expect(formatFeatures(all)).toBe('compr=lz4;ledgerreplay=1;txrr=1;vprr=1;');
    expect(formatFeatures({ ...NO_FEATURES, vpReduceRelay: true, compression: true })).toBe('compr=lz4;vprr=1;');
  });

  it('negotiates the intersection', () => {
    expect(negotiateFeatures(all, 'compr=lz4;ledgerreplay=1;txrr=1;vprr=1;')).toEqual(all);
    expect(negotiateFeatures(all, 'compr=lz4')).toEqual({ ...NO_FEATURES, compression: true });
    expect(negotiateFeatures(all, 'vprr=1;txrr=1')).toEqual({ ...NO_FEATURES, txReduceRelay: true, vpReduceRelay: true });
    expect(negotiateFeatures(all, undefined)).toEqual(NO_FEATURES);
    expect(negotiateFeatures(all, '')).toEqual(NO_FEATURES);
    expect(negotiateFeatures(NO_FEATURES, 'compr=lz4;ledgerreplay=1;txrr=1;vprr=1;')).toEqual(NO_FEATURES);
    expect(negotiateFeatures(all, 'compr=zstd;txrr=0;vprr=2')).toEqual(NO_FEATURES);
    expect(negotiateFeatures(all, 'compr=zstd,lz4')).toEqual({ ...NO_FEATURES, compression: true });
  });

  it('featureHasValue reads comma lists, case-insensitively', () => {
    expect(featureHasValue('compr=lz4', 'compr', 'lz4')).toBe(true);
    expect(featureHasValue('compr=LZ4;', 'compr', 'lz4')).toBe(true);
    expect(featureHasValue('compr=zstd, lz4', 'compr', 'lz4')).toBe(false); // whitespace ends the value
    expect(featureHasValue('compr=zstd,lz4;txrr=1', 'compr', 'lz4')).toBe(true);
    expect(featureHasValue('txrr=1', 'compr', 'lz4')).toBe(false);
    expect(featureHasValue(undefined, 'compr', 'lz4')).toBe(false);
  });
});

// =============================================================================================

describe('computeSharedValue', () => {
  const own = Buffer.from(Array.from({ length: 12 }, (_, i) => i + 1));
  const peer = Buffer.from(Array.from({ length: 12 }, (_, i) => i + 101));

  it('matches a value computed independently (Python hashlib)', () => {
    expect(computeSharedValue(own, peer)!.toString('hex')).toBe('53d2a6c70384dd5bfead0cdb806d6733e3e1bef304184750ff62b91462b8f6e3');
    // symmetric: both ends get the same value
    expect(computeSharedValue(peer, own)).toEqual(computeSharedValue(own, peer));
  });

  it('is SHA-512-half of SHA512(a) XOR SHA512(b)', () => {
    const a = randomBytes(36);
    const b = randomBytes(12);
    const ha = createHash('sha512').update(a).digest();
    const hb = createHash('sha512').update(b).digest();
    const x = Buffer.from(ha.map((byte, i) => byte ^ hb[i]!));
    const expected = createHash('sha512').update(x).digest().subarray(0, 32);
    const got = computeSharedValue(a, b)!;
    expect(got.length).toBe(32);
    expect(got).toEqual(expected);
  });

  it('refuses short, missing and identical Finished messages', () => {
    expect(computeSharedValue(own.subarray(0, 11), peer)).toBeUndefined();
    expect(computeSharedValue(own, peer.subarray(0, 11))).toBeUndefined();
    expect(computeSharedValue(Buffer.alloc(0), Buffer.alloc(0))).toBeUndefined();
    expect(computeSharedValue(undefined, peer)).toBeUndefined();
    expect(computeSharedValue(own, undefined)).toBeUndefined();
    expect(computeSharedValue(own, Buffer.from(own))).toBeUndefined();
  });
});

// =============================================================================================

describe('isProperDomain and parseLedgerHash', () => {
  it('isProperDomain follows xrp-ledger.toml domain rules', () => {
    for (const good of ['example.com', 'a.io', 'sub.example-1.org', 'XN--80AK6AA92E.com', `${'a'.repeat(63)}.com`, '1.2.3.com']) {
      expect(isProperDomain(good), good).toBe(true);
    }
    const long = `${'a'.repeat(63)}.${'b'.repeat(61)}.com`;
    expect(long.length).toBe(129);
    for (const bad of [
      '',
      'a.b',
      'abcd',
      'localhost',
      'example',
      '-a.com',
      'a-.com',
      'a..com',
      '.example.com',
      'example.com.',
      'example.c',
      'example.c0m',
      `example.${'c'.repeat(64)}`,
      `${'a'.repeat(64)}.com`,
      'exa mple.com',
      'exa_mple.com',
      '1.2.3.4',
      long,
    ]) {
      expect(isProperDomain(bad), bad).toBe(false);
    }
    expect(isProperDomain(`${'a'.repeat(63)}.${'b'.repeat(60)}.com`)).toBe(true); // 128
  });

  it("parseLedgerHash reads base64 as leniently as rippled's decoder: exactly 32 bytes out", () => {
    const hash = randomBytes(32);
    const b64 = hash.toString('base64');
    expect(b64).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(parseLedgerHash(b64.slice(0, 43))).toEqual(hash); // unpadded
    expect(parseLedgerHash(`${b64}==`)).toEqual(hash); // decoding stops at the first '='
    expect(parseLedgerHash(`${b64.slice(0, 43)}!junk`)).toEqual(hash); // ... or any non-alphabet character
    expect(parseLedgerHash(`${b64.slice(0, 43)} ${b64}`)).toEqual(hash);
    // 43 hex-looking characters are not hex (not 64) but are base64 of 32 bytes
    const hexish = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01234';
    expect(parseLedgerHash(hexish)).toEqual(Buffer.from(hexish, 'base64'));
    // 42 or 44 alphabet characters decode to 31 or 33 bytes
    expect(parseLedgerHash(b64.slice(0, 42))).toBeUndefined();
    expect(parseLedgerHash(`${b64.slice(0, 43)}A`)).toBeUndefined();
    expect(parseLedgerHash(randomBytes(33).toString('base64'))).toBeUndefined();
    // URL-safe characters are outside the alphabet: decoding stops there
    expect(parseLedgerHash(`${b64.slice(0, 20)}-${b64.slice(21, 43)}`)).toBeUndefined();
    expect(parseLedgerHash(`=${b64}`)).toBeUndefined();
  });

  it('parseLedgerHash takes 64 hex digits or base64 of 32 bytes', () => {
    const hash = randomBytes(32);
    expect(parseLedgerHash(hash.toString('hex').toUpperCase())).toEqual(hash);
    expect(parseLedgerHash(hash.toString('hex'))).toEqual(hash);
    expect(parseLedgerHash(hash.toString('base64'))).toEqual(hash);
    expect(parseLedgerHash(hash.toString('hex').slice(1))).toBeUndefined();
    expect(parseLedgerHash(`${hash.toString('hex')}00`)).toBeUndefined();
    expect(parseLedgerHash(`${hash.toString('hex').slice(1)}g`)).toBeUndefined();
    expect(parseLedgerHash(randomBytes(31).toString('base64'))).toBeUndefined();
    expect(parseLedgerHash('')).toBeUndefined();
    expect(parseLedgerHash('junk')).toBeUndefined();
  });
});

// =============================================================================================

describe('handshake-io pure helpers', () => {
  it('badRequestResponse is rippled\'s 400', () => {
    expect(badRequestResponse('Self connection', { userAgent: 'xrpl-overlay-0.1.0' }, '8.8.8.8')).toBe(
      'HTTP/1.1 400 Bad Request (Self connection)\r\nServer: xrpl-overlay-0.1.0\r\nRemote-Address: 8.8.8.8\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('serviceUnavailableResponse: 503 with a JSON peer-ips body and its Content-Length', () => {
    const ips = ['1.2.3.4:51235', '[2001:db8::1]:2459'];
    const text = serviceUnavailableResponse(ips, { userAgent: 'xrpl-overlay-0.1.0' }, '5.6.7.8');
    const bytes = Buffer.from(text, 'utf8');
    const { head, rest } = readAll(bytes, false);
    expect(head.status).toBe(503);
    expect(head.reason).toBe('Service Unavailable');
    expect(header(head, 'Content-Type')).toBe('application/json');
    expect(header(head, 'Connection')).toBe('close');
    expect(header(head, 'Server')).toBe('xrpl-overlay-0.1.0');
    expect(header(head, 'Remote-Address')).toBe('5.6.7.8');
    expect(Number(header(head, 'Content-Length'))).toBe(rest.length);
    expect(JSON.parse(rest.toString('utf8'))).toEqual({ 'peer-ips': ips });
    expect(parseRedirectBody(rest)).toEqual([
      { ip: '1.2.3.4', port: 51235 },
      { ip: '2001:db8::1', port: 2459 },
    ]);
    const empty = readAll(Buffer.from(serviceUnavailableResponse([], { userAgent: 'x' }, '5.6.7.8')), false);
    expect(JSON.parse(empty.rest.toString())).toEqual({ 'peer-ips': [] });
    expect(Number(header(empty.head, 'Content-Length'))).toBe(empty.rest.length);
  });

  it('parseRedirectBody keeps valid endpoints and ignores junk', () => {
    const body = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o));
    expect(
      parseRedirectBody(
        body({
          'peer-ips': ['1.2.3.4:51235', 'example.com:51235', '1.2.3.4', '1.2.3.4:0', '1.2.3.4:70000', 42, null, { ip: 'x' }, '[::1]:5', '::ffff:8.8.8.8:1', '[::ffff:8.8.8.8]:2'],
        }),
      ),
    ).toEqual([
      { ip: '1.2.3.4', port: 51235 },
      { ip: '::1', port: 5 },
      { ip: '8.8.8.8', port: 2 },
    ]);
    expect(parseRedirectBody(body('not json'))).toEqual([]);
    expect(parseRedirectBody(body(''))).toEqual([]);
    expect(parseRedirectBody(body('null'))).toEqual([]);
    expect(parseRedirectBody(body('[1,2]'))).toEqual([]);
    expect(parseRedirectBody(body({ 'peer-ips': 'abc' }))).toEqual([]);
    expect(parseRedirectBody(body({ other: ['1.2.3.4:5'] }))).toEqual([]);
    expect(parseRedirectBody(Buffer.from([0xff, 0xfe, 0x00]))).toEqual([]);
  });

  it('isConnectAsPeer: any comma-separated element equal to "peer", case-insensitively', () => {
    const head = (value?: string): HttpHead => ({ method: 'GET', target: '/', version: 'HTTP/1.1', headers: value === undefined ? [] : [['Connect-As', value]] });
    for (const yes of ['Peer', 'peer', 'PEER', 'Leaf, Peer', 'peer,leaf', ' "Peer" ', 'P e e r', 'x,,peer,']) {
      expect(isConnectAsPeer(head(yes)), yes).toBe(true);
    }
    for (const no of ['Leaf', 'Peers', 'peer;q=1', '', undefined]) {
      expect(isConnectAsPeer(head(no)), String(no)).toBe(false);
    }
  });

  it('isPeerUpgrade: GET, HTTP/1.1, Connection has upgrade, Upgrade has an XRPL/x.y', () => {
    const req = (lines: string[], start = 'GET / HTTP/1.1') =>
      readAll(Buffer.from(`${start}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`), false).head;
    expect(isPeerUpgrade(req(['Upgrade: XRPL/2.2', 'Connection: Upgrade']))).toBe(true);
    expect(isPeerUpgrade(req(['upgrade: RTXP/1.2, XRPL/2.1', 'connection: keep-alive, upgrade']))).toBe(true);
    expect(isPeerUpgrade(req(['Upgrade: XRPL/3.0', 'Connection: UPGRADE']))).toBe(true); // a version, even if not ours
    expect(isPeerUpgrade(req(['Upgrade: RTXP/1.2', 'Connection: Upgrade']))).toBe(false);
    expect(isPeerUpgrade(req(['Upgrade: websocket', 'Connection: Upgrade']))).toBe(false);
    expect(isPeerUpgrade(req(['Upgrade: XRPL/2.2']))).toBe(false);
    expect(isPeerUpgrade(req(['Upgrade: XRPL/2.2', 'Connection: keep-alive']))).toBe(false);
    expect(isPeerUpgrade(req(['Connection: Upgrade']))).toBe(false);
    expect(isPeerUpgrade(req([]))).toBe(false);
    // rippled's is_upgrade: HTTP/1.1 or later, GET only
    expect(isPeerUpgrade(req(['Upgrade: XRPL/2.2', 'Connection: Upgrade'], 'POST / HTTP/1.1'))).toBe(false);
    expect(isPeerUpgrade(req(['Upgrade: XRPL/2.2', 'Connection: Upgrade'], 'GET / HTTP/1.0'))).toBe(false);
  });
});
