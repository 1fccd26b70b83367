/**
 * An INDEPENDENT XRPL peer-protocol endpoint used to check xrpl-overlay against.
 *
 * Written from rippled's behaviour (see /work/shared/PROTOCOL.md §1–2), deliberately sharing no code with /work/main/src:
 * it uses only node built-ins (crypto, tls, events) and `elliptic`. Base58 node-public-key encoding, DER handling,
 * HTTP head parsing, framing and the TMPing protobuf are all hand-written here.
 *
 * What it does:
 *  - dialIndependent(): TLS client, sends the upgrade request, checks the 101 (Upgrade, Public-Key, Session-Signature
 *    over the shared value, Network-ID), then speaks frames.
 *  - listenIndependent(): TLS server (fixed self-signed RSA cert), checks inbound upgrade requests like rippled does
 *    (§1.4, §1.6), answers 101 / 400 / 403 / 503, then speaks frames.
 *  - Connections answer pings with pongs, can send pings and await the pong, count received frames by type.
 *    Compression is never offered (X-Protocol-Ctl is empty), so a compressed frame is treated as a protocol error.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import elliptic from 'elliptic';

// ---------------------------------------------------------------------------------------------------------------------
// Constants

export const INDIE_USER_AGENT = 'indie-peer-1';
export const MT_PING = 3;
export const PING_TYPE_PING = 0;
export const PING_TYPE_PONG = 1;
const TOKEN_NODE_PUBLIC = 0x1c;
const RIPPLE_EPOCH_UNIX = 946684800; // 2000-01-01T00:00:00Z
const MAX_FRAME = 64 * 1024 * 1024;
const MAX_HEAD = 64 * 1024;
const SUPPORTED_VERSIONS = ['XRPL/2.1', 'XRPL/2.2'];

const ec = new elliptic.ec('secp256k1');

/**
 * Fixed self-signed RSA-2048 test certificate (no subject/issuer, generated with
 * `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /`). Only for tests: peers never verify certificates.
 */
export const INDIE_TEST_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIC4zCCAcugAwIBAgIUdaHN4bWGzjSrWutRQAHU780UnFswDQYJKoZIhvcNAQEL
BQAwADAgFw0yNjExMjUwNjAyMDVaGA8yMTI2MTEwMTA2MDIwNVowADCCASIwDQYJ
KoZIhvcNAQEBBQADggEPADCCAQoCggEBALNhxhWEX+MvXcJ+QeqYjpyFEGTrG9K7
m8px2QANy5QuXi/62ufWFvG6z4BA1O9otGm9Ju8Ix1vcOn6I+/cYuoePAROv+1t8
ruB+E3IbaWoYmBRyN8xsAkqoT+SJiGUYLAetoDkNfzTwhsjrLj8he83CEZGF/y4k
JpWy1HuO4I87M8WTm2K6VLSVkX5tAuKkECJVddVgV8J8NyTio8jTe1ebpdPfAK1f
U8jtHCLch9/LmPdT9Kbj7GLXyJ0YWFc4L+6PScT6mdCKaxPhArIGWaa278F5/UA5
p3Bi8p+eURvmjINElPb5I8cNU2Snw945fNyzPvWz00i7YoRLiKh+jnMCAwEAAaNT
MFEwHQYDVR0OBBYEFE4oRGIEct9JJqkZ97cA0omNlpJqMB8GA1UdIwQYMBaAFE4o
RGIEct9JJqkZ97cA0omNlpJqMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQEL
BQADggEBAKdCiXZD6L/mLTKoWgm6pgJlvyLw1gXqA8jRONN+F/yzNnDqYeJDceBW
AkQkEKuHNAflOFZ6ZgkTW2TaiQZn0WWLtP37C4VwEtF6qDW6zZu0Zz8Sr0DGfHoo
dfnoNRAYdcH6XANAGyZIrz9AGPnnczEZMWHIMdJsktwBI/s+jodrYi8zuAOaZ2LN
QGYMDUbrZ7M8gfJ1nSXeLE63C3uKfo69BCkPMiUHia2ne3X2ejeIJwhN8rvl+XoF
JVbs9jJD8eQCQqxPmDS2Q7401bi1T0cfIv/kj5U2/MrScsPkkjH+JqO75BgtpjpY
EnDk+kTmsXFpaEtQdwjFsyzkK+uLA8s=
-----END CERTIFICATE-----
`;

export const INDIE_TEST_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCzYcYVhF/jL13C
fkHqmI6chRBk6xvSu5vKcdkADcuULl4v+trn1hbxus+AQNTvaLRpvSbvCMdb3Dp+
iPv3GLqHjwETr/tbfK7gfhNyG2lqGJgUcjfMbAJKqE/kiYhlGCwHraA5DX808IbI
6y4/IXvNwhGRhf8uJCaVstR7juCPOzPFk5tiulS0lZF+bQLipBAiVXXVYFfCfDck
4qPI03tXm6XT3wCtX1PI7Rwi3Iffy5j3U/Sm4+xi18idGFhXOC/uj0nE+pnQimsT
4QKyBlmmtu/Bef1AOadwYvKfnlEb5oyDRJT2+SPHDVNkp8PeOXzcsz71s9NIu2KE
S4iofo5zAgMBAAECggEAUFvZsCP4DL9YYlvLTbwADzAxEvScJ0ByXzO3QaXscDqB
aT8Yt8kZyDqm4E6q1YFzaPcarPSi0o0LC0p0jdJfJYEzu00X7nkhomH4diK/i47u
+iHcy1ALisRx3fCa0KcOenYWk9hvBxlFWFa7Bf8LBjcNRcLgeRwqyN8u/xcXlDHy
HriqoHPTfUUYeMbcvAksJYM3QphaDf1Zgn5JCHbhTdmA9e2+2wekHVnqJp5tEKbW
2QeuppcoX0Vf7o5jhdEPICHQ/Q8pQZonAcR1hoIcb5vkpeViYO1dOi1OBOw3ltW7
VULADJ+6bOWs4px0Sy54JyhJ7aSpnImpP+JLghZ5UQKBgQDgjf8IlrKNv1luomZW
dY8F+DjqsbEx0uwvqFSidMdsuc70iSAOucJhZJe1ciWjt55hpQiJEJodXLw2bRXv
H8t3reT+NQYi/Zx31KN8ZZZ9fFTJNAhZdYT+ag7QHGfTItXmAWpMlcqEyrcBy7KP
l1DTq1FH/+XIzi3NLAebakADywKBgQDMgGQor8ZYccFJkSx6Ol6bEf1j5NhXw/yu
LDAC9ghcqxTOPwMFcSU7zXvH1wPIp43TTLEleo+/0CTfhcyXuaxzvZ5C0U6u/T4L
I7nNmXF7fA6zjQ0eDBZ8DYSJLPb9vct53Nvd8/8mn31S14brQwoUlByA1fSfhZb5
7gmzxwDa+QKBgHSKnYr6ky6n2aVmmZBTsOfbPMbpc9o06qmNRmeODhYqlPMq271o
wS5Ew8vCszA10vhAa56fRCzq/S+OC+0v5ix1zrv0DvxH/VXfwP2Fx8XWqjZGT/MF
4AEeUBPIOkZE9RhLMb0PnKywfKxs6H5HfQZuCmBAuiQuhWzPZh9N1G1jAoGBAJuf
pRj1Utqhjrb+XDuTycT2dr8bOqvngJXHGK5YLtrecpHVj+YHSY9t+yGD9eQv5hUD
itd7ooMU0cqsFprr+FmH1jUA9YDjRODTSiU0/RA8wy9OSsov5rh2zQJbDobgdUUC
luscMHJi8sslKw5D0RsB74L3zxXKYq9Fv2ppKbR5AoGBAInSlRbKf6n0FbIMkltc
Kwkmrtb4PFBpfipbKu102WBMuhSEwihloEarMYbdVsnWWwjzbnnOq2A15wmGJg9M
Z/PLhzCTBHcOnRlBabLqq6H0z2Kgw308mDhEg7qiVzsYl37Mprl8cJ4Ka2DORCZ8
IGDJDhrf6frShzmcp8uiHpDq
-----END PRIVATE KEY-----
`;

// ---------------------------------------------------------------------------------------------------------------------
// Base58 (ripple alphabet) check-encoding of node public keys

const B58_ALPHABET = 'rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz';

function sha256(data: Uint8Array): Buffer {
  return crypto.createHash('sha256').update(data).digest();
}

function sha512(data: Uint8Array): Buffer {
  return crypto.createHash('sha512').update(data).digest();
}

export function base58Encode(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = B58_ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = B58_ALPHABET[0] + out;
  }
  return out;
}

export function base58Decode(text: string): Buffer {
  let n = 0n;
  for (const ch of text) {
    const v = B58_ALPHABET.indexOf(ch);
    if (v < 0) throw new Error(`invalid base58 character ${JSON.stringify(ch)}`);
    n = n * 58n + BigInt(v);
  }
  const body: number[] = [];
  while (n > 0n) {
    body.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  let zeros = 0;
  for (const ch of text) {
    if (ch !== B58_ALPHABET[0]) break;
    zeros++;
  }
  return Buffer.from([...new Array<number>(zeros).fill(0), ...body]);
}

/** 33-byte compressed secp256k1 key → "n9…" */
export function encodeNodePublic(key33: Uint8Array): string {
  if (key33.length !== 33) throw new Error('node public key must be 33 bytes');
  const payload = Buffer.concat([Buffer.from([TOKEN_NODE_PUBLIC]), Buffer.from(key33)]);
  const check = sha256(sha256(payload)).subarray(0, 4);
  return base58Encode(Buffer.concat([payload, check]));
}

/** "n9…" → 33-byte key; throws on bad alphabet, length, type prefix or checksum. Does not check the key type. */
export function decodeNodePublic(text: string): Buffer {
  const raw = base58Decode(text);
  if (raw.length !== 1 + 33 + 4) throw new Error(`bad node public key length ${raw.length}`);
  if (raw[0] !== TOKEN_NODE_PUBLIC) throw new Error(`bad token type ${raw[0]}`);
  const payload = raw.subarray(0, 34);
  const check = sha256(sha256(payload)).subarray(0, 4);
  if (!check.equals(raw.subarray(34))) throw new Error('bad node public key checksum');
  return Buffer.from(raw.subarray(1, 34));
}

// ---------------------------------------------------------------------------------------------------------------------
// secp256k1 signing/verification over the 32-byte shared value (used directly as the digest)

/**
 * Strict DER parse of an ECDSA signature (what rippled requires even with mustBeFullyCanonical=false).
 * Returns r and s as big-endian bytes without the sign padding, or null if not strict DER.
 */
export function parseStrictDer(sig: Uint8Array): { r: Buffer; s: Buffer } | null {
  const b = Buffer.from(sig);
  if (b.length < 8 || b.length > 72) return null;
  if (b[0] !== 0x30 || b[1] !== b.length - 2) return null;
  let p = 2;
  const readInt = (): Buffer | null => {
    if (p + 2 > b.length || b[p] !== 0x02) return null;
    const len = b[p + 1];
    p += 2;
    if (len === 0 || len > 33 || p + len > b.length) return null;
    const v = b.subarray(p, p + len);
    p += len;
    if (v[0] & 0x80) return null; // negative
    if (len > 1 && v[0] === 0 && !(v[1] & 0x80)) return null; // needless leading zero
    return v[0] === 0 && len > 1 ? v.subarray(1) : v;
  };
  const r = readInt();
  if (!r) return null;
  const s = readInt();
  if (!s) return null;
  if (p !== b.length) return null;
  return { r: Buffer.from(r), s: Buffer.from(s) };
}

/** Verify a DER signature over a 32-byte digest; high-S accepted, strict DER and 0 < r,s < n required. */
export function verifyDigest(digest: Uint8Array, derSig: Uint8Array, pubKey33: Uint8Array): boolean {
  const parts = parseStrictDer(derSig);
  if (!parts) return false;
  const nHex = ec.n.toString(16, 64);
  const rHex = parts.r.toString('hex').padStart(64, '0');
  const sHex = parts.s.toString('hex').padStart(64, '0');
  if (rHex.length > 64 || sHex.length > 64) return false;
  if (/^0+$/.test(rHex) || /^0+$/.test(sHex) || rHex >= nHex || sHex >= nHex) return false;
  try {
    const key = ec.keyFromPublic(Buffer.from(pubKey33).toString('hex'), 'hex');
    if (!key.validate().result) return false;
    return ec.verify(Buffer.from(digest).toString('hex'), { r: rHex, s: sHex }, key);
  } catch {
    return false;
  }
}

/** Is `key33` a valid compressed secp256k1 point? */
export function isValidSecp256k1Key(key33: Uint8Array): boolean {
  if (key33.length !== 33 || (key33[0] !== 0x02 && key33[0] !== 0x03)) return false;
  try {
    return ec.keyFromPublic(Buffer.from(key33).toString('hex'), 'hex').validate().result;
  } catch {
    return false;
  }
}

export interface IndieNodeKey {
  privateKeyHex: string;
  publicKey: Buffer;
  publicKeyN9: string;
  /** low-S DER signature over the 32-byte digest */
  signDigest(digest: Uint8Array): Buffer;
}

export function makeNodeKey(privateKeyHex?: string): IndieNodeKey {
  const kp = privateKeyHex ? ec.keyFromPrivate(privateKeyHex, 'hex') : ec.genKeyPair();
  const publicKey = Buffer.from(kp.getPublic(true, 'hex'), 'hex');
  return {
    privateKeyHex: kp.getPrivate('hex').padStart(64, '0'),
    publicKey,
    publicKeyN9: encodeNodePublic(publicKey),
    signDigest(digest) {
      const sig = kp.sign(Buffer.from(digest).toString('hex'), { canonical: true });
      return Buffer.from(sig.toDER());
    },
  };
}

/** sharedValue = SHA512(SHA512(own Finished) XOR SHA512(peer Finished))[0..32] */
export function computeSharedValue(ownFinished: Uint8Array, peerFinished: Uint8Array): Buffer {
  if (ownFinished.length < 12 || peerFinished.length < 12) throw new Error('Finished message too short');
  const c1 = sha512(ownFinished);
  const c2 = sha512(peerFinished);
  const x = Buffer.alloc(64);
  for (let i = 0; i < 64; i++) x[i] = c1[i] ^ c2[i];
  if (x.every((v) => v === 0)) throw new Error('shared value: identical Finished messages');
  return sha512(x).subarray(0, 32);
}

function sharedValueOf(socket: tls.TLSSocket): Buffer {
  const own = socket.getFinished();
  const peer = socket.getPeerFinished();
  if (!own || !peer) throw new Error(`Finished messages unavailable (tls ${socket.getProtocol()})`);
  return computeSharedValue(own, peer);
}

export function networkTimeNow(): number {
  return Math.floor(Date.now() / 1000) - RIPPLE_EPOCH_UNIX;
}

function instanceCookie(): string {
  const v = crypto.randomBytes(8).readBigUInt64BE();
  return (v === 0n ? 1n : v).toString();
}

// ---------------------------------------------------------------------------------------------------------------------
// Tiny protobuf (TMPing only) and framing

function encodeVarint(value: number | bigint): Buffer {
  let v = BigInt(value);
  if (v < 0n) throw new Error('negative varint');
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

interface PbField {
  field: number;
  wire: number;
  value: bigint | Buffer;
  raw: Buffer;
}

function decodeFields(buf: Buffer): PbField[] {
  const fields: PbField[] = [];
  let p = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (p >= buf.length) throw new Error('truncated varint');
      const b = buf[p++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  while (p < buf.length) {
    const start = p;
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value: bigint | Buffer;
    if (field === 0) throw new Error('field number 0');
    if (wire === 0) value = varint();
    else if (wire === 1) {
      if (p + 8 > buf.length) throw new Error('truncated fixed64');
      value = buf.subarray(p, p + 8);
      p += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      if (p + len > buf.length) throw new Error('truncated bytes');
      value = buf.subarray(p, p + len);
      p += len;
    } else if (wire === 5) {
      if (p + 4 > buf.length) throw new Error('truncated fixed32');
      value = buf.subarray(p, p + 4);
      p += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
    fields.push({ field, wire, value, raw: buf.subarray(start, p) });
  }
  return fields;
}

/** TMPing { required PingType type = 1; optional uint32 seq = 2; optional uint64 pingTime = 3; optional uint64 netTime = 4; } */
export function encodePing(type: number, seq?: number): Buffer {
  const parts = [encodeVarint((1 << 3) | 0), encodeVarint(type)];
  if (seq !== undefined) parts.push(encodeVarint((2 << 3) | 0), encodeVarint(seq >>> 0));
  return Buffer.concat(parts);
}

export function decodePing(payload: Buffer): { type?: number; seq?: number; pingTime?: bigint; netTime?: bigint } {
  const out: { type?: number; seq?: number; pingTime?: bigint; netTime?: bigint } = {};
  for (const f of decodeFields(payload)) {
    if (f.wire !== 0) continue;
    const v = f.value as bigint;
    if (f.field === 1) out.type = Number(v);
    else if (f.field === 2) out.seq = Number(v & 0xffffffffn);
    else if (f.field === 3) out.pingTime = v;
    else if (f.field === 4) out.netTime = v;
  }
  return out;
}

/** rippled answers a ping by flipping the type to pong and sending the same message back. */
function pongFor(payload: Buffer): Buffer {
  const parts: Buffer[] = [encodeVarint((1 << 3) | 0), encodeVarint(PING_TYPE_PONG)];
  for (const f of decodeFields(payload)) if (f.field !== 1) parts.push(f.raw);
  return Buffer.concat(parts);
}

export function encodeFrame(type: number, payload: Uint8Array): Buffer {
  if (payload.length >= 1 << 26) throw new Error('payload too large');
  const h = Buffer.alloc(6);
  h.writeUInt32BE(payload.length, 0);
  h.writeUInt16BE(type, 4);
  return Buffer.concat([h, Buffer.from(payload)]);
}

// ---------------------------------------------------------------------------------------------------------------------
// HTTP head

export interface HeaderSet {
  /** headers in wire order, names as sent */
  list: [string, string][];
  /** lowercase name → value (repeated names joined with ",") */
  map: Record<string, string>;
}

function parseHead(text: string): { startLine: string; headers: HeaderSet } {
  const lines = text.split('\r\n');
  const startLine = lines.shift() ?? '';
  const list: [string, string][] = [];
  const map: Record<string, string> = {};
  for (const line of lines) {
    if (line === '') continue;
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`malformed header line ${JSON.stringify(line)}`);
    const name = line.slice(0, i);
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new Error(`malformed header name ${JSON.stringify(name)}`);
    const value = line.slice(i + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    list.push([name, value]);
    const k = name.toLowerCase();
    map[k] = k in map ? `${map[k]},${value}` : value;
  }
  return { startLine, headers: { list, map } };
}

function formatHead(startLine: string, headers: [string, string][]): string {
  return `${startLine}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/**
 * Read bytes until "\r\n\r\n". The socket is paused and the listener removed synchronously before resolving,
 * so no byte is lost; `rest` holds whatever followed the head.
 */
function readHead(socket: tls.TLSSocket, timeoutMs: number): Promise<{ head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const i = buf.indexOf('\r\n\r\n');
      if (i >= 0) {
        socket.pause();
        cleanup();
        resolve({ head: buf.subarray(0, i + 4).toString('latin1'), rest: Buffer.from(buf.subarray(i + 4)) });
      } else if (buf.length > MAX_HEAD) {
        cleanup();
        reject(new Error('HTTP head too large'));
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`connection closed before the HTTP head was complete (${buf.length} bytes received)`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for the HTTP head (${buf.length} bytes received)`));
    }, timeoutMs);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    socket.resume();
  });
}

/** Read a body of `length` bytes (or until close if undefined), best effort, bounded by a timeout. */
function readBody(socket: tls.TLSSocket, initial: Buffer, length: number | undefined, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let buf = initial;
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', done);
      socket.off('close', done);
      socket.off('error', done);
      resolve(length !== undefined ? buf.subarray(0, length) : buf);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (length !== undefined && buf.length >= length) done();
    };
    if (length !== undefined && buf.length >= length) {
      resolve(buf.subarray(0, length));
      return;
    }
    if (socket.destroyed) {
      resolve(buf);
      return;
    }
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', onData);
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
    socket.resume();
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Errors

export class IndieHandshakeError extends Error {
  /** HTTP status, or undefined when no HTTP response was received */
  status?: number;
  statusText?: string;
  statusLine?: string;
  /** lowercase name → value */
  headers: Record<string, string> = {};
  /** headers in wire order */
  headerList: [string, string][] = [];
  body: Buffer = Buffer.alloc(0);
  rawHead?: string;
  constructor(message: string) {
    super(message);
    this.name = 'IndieHandshakeError';
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Connection

export interface IndieFrame {
  type: number;
  payload: Buffer;
}

export class IndiePeerConnection extends EventEmitter {
  readonly role: 'client' | 'server';
  readonly socket: tls.TLSSocket;
  /** our node public key, "n9…" */
  readonly publicKeyN9: string;
  /** the peer's node public key, "n9…" (verified against its Session-Signature) */
  readonly remotePublicKeyN9: string;
  /** the peer's 101 response headers (client role) or request headers (server role) */
  readonly remoteHeaders: HeaderSet;
  /** the peer's status line (client role) or request line (server role) */
  readonly remoteStartLine: string;
  /** the exact head bytes (latin1) the peer sent */
  readonly remoteHeadText: string;
  /** the head we sent (request or 101) */
  readonly sentHeadText: string;
  readonly sharedValueHex: string;
  readonly tlsProtocol: string | null;
  /** counts of received frames by message type */
  readonly framesReceived: Record<number, number> = {};
  /** received frames (payloads kept for the last 1000) */
  readonly frames: IndieFrame[] = [];
  /** pings from the peer that we answered */
  pingsAnswered = 0;
  /** protocol errors seen (each also closes the connection) */
  readonly errors: string[] = [];
  /** resolves when the socket has closed */
  readonly closed: Promise<void>;

  private buf: Buffer;
  private pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private isClosed = false;

  constructor(init: {
    role: 'client' | 'server';
    socket: tls.TLSSocket;
    publicKeyN9: string;
    remotePublicKeyN9: string;
    remoteHeaders: HeaderSet;
    remoteStartLine: string;
    remoteHeadText: string;
    sentHeadText: string;
    sharedValue: Buffer;
    rest: Buffer;
  }) {
    super();
    this.role = init.role;
    this.socket = init.socket;
    this.publicKeyN9 = init.publicKeyN9;
    this.remotePublicKeyN9 = init.remotePublicKeyN9;
    this.remoteHeaders = init.remoteHeaders;
    this.remoteStartLine = init.remoteStartLine;
    this.remoteHeadText = init.remoteHeadText;
    this.sentHeadText = init.sentHeadText;
    this.sharedValueHex = init.sharedValue.toString('hex');
    this.tlsProtocol = init.socket.getProtocol();
    this.socket.setNoDelay(true);
    this.buf = init.rest;
    this.closed = new Promise((resolve) => {
      if (this.socket.destroyed) {
        this.onClosed();
        resolve();
      } else
        this.socket.once('close', () => {
          this.onClosed();
          resolve();
        });
    });
    this.socket.on('error', (err) => this.errors.push(`socket error: ${err.message}`));
    this.socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.drain();
    });
    // deliver frames that arrived together with the head, then start reading
    queueMicrotask(() => {
      this.drain();
      if (!this.socket.destroyed) this.socket.resume();
    });
  }

  get isOpen(): boolean {
    return !this.isClosed && !this.socket.destroyed;
  }

  /** send a raw frame */
  send(type: number, payload: Uint8Array): void {
    if (!this.isOpen) throw new Error('connection is closed');
    this.socket.write(encodeFrame(type, payload));
  }

  /** send ptPING with `seq`; resolves on the pong echoing `seq` */
  ping(seq: number, timeoutMs = 5000): Promise<void> {
    seq = seq >>> 0;
    return new Promise((resolve, reject) => {
      if (!this.isOpen) return reject(new Error('connection is closed'));
      if (this.pending.has(seq)) return reject(new Error(`ping ${seq} already pending`));
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`no pong for ping seq ${seq} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, { resolve, reject, timer });
      this.send(MT_PING, encodePing(PING_TYPE_PING, seq));
    });
  }

  /** wait for the next frame of `type` (or any type) */
  nextFrame(type?: number, timeoutMs = 5000): Promise<IndieFrame> {
    return new Promise((resolve, reject) => {
      const onFrame = (f: IndieFrame) => {
        if (type !== undefined && f.type !== type) return;
        clearTimeout(timer);
        this.off('frame', onFrame);
        resolve(f);
      };
      const timer = setTimeout(() => {
        this.off('frame', onFrame);
        reject(new Error(`no frame${type !== undefined ? ` of type ${type}` : ''} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('frame', onFrame);
    });
  }

  /** graceful close (TLS close_notify + FIN), destroying the socket if it lingers */
  async close(): Promise<void> {
    if (!this.socket.destroyed) {
      this.socket.end();
      this.socket.resume(); // so the peer's FIN is seen even if a test paused reading
      const t = setTimeout(() => this.socket.destroy(), 1000);
      await this.closed;
      clearTimeout(t);
    }
    await this.closed;
  }

  private protocolError(msg: string): void {
    this.errors.push(msg);
    this.emit('protocolError', msg);
    this.socket.destroy();
  }

  private drain(): void {
    while (!this.socket.destroyed && this.buf.length >= 6) {
      const b0 = this.buf[0];
      if (b0 & 0x80) {
        this.protocolError(`compressed frame (header byte 0x${b0.toString(16)}) but compression was not negotiated`);
        return;
      }
      if (b0 & 0xfc) {
        this.protocolError(`frame header has reserved bits set (0x${b0.toString(16)})`);
        return;
      }
      const size = this.buf.readUInt32BE(0);
      if (size > MAX_FRAME) {
        this.protocolError(`frame too large: ${size}`);
        return;
      }
      if (this.buf.length < 6 + size) return;
      const type = this.buf.readUInt16BE(4);
      const payload = Buffer.from(this.buf.subarray(6, 6 + size));
      this.buf = this.buf.subarray(6 + size);
      this.onFrame({ type, payload });
    }
  }

  private onFrame(frame: IndieFrame): void {
    this.framesReceived[frame.type] = (this.framesReceived[frame.type] ?? 0) + 1;
    this.frames.push(frame);
    if (this.frames.length > 1000) this.frames.shift();
    if (frame.type === MT_PING) {
      let ping: ReturnType<typeof decodePing>;
      try {
        ping = decodePing(frame.payload);
      } catch (err) {
        this.protocolError(`bad TMPing: ${(err as Error).message}`);
        return;
      }
      if (ping.type === undefined) {
        this.protocolError('TMPing without the required type field');
        return;
      }
      if (ping.type === PING_TYPE_PING) {
        this.pingsAnswered++;
        this.socket.write(encodeFrame(MT_PING, pongFor(frame.payload)));
      } else if (ping.type === PING_TYPE_PONG && ping.seq !== undefined) {
        const p = this.pending.get(ping.seq);
        if (p) {
          this.pending.delete(ping.seq);
          clearTimeout(p.timer);
          p.resolve();
        }
      }
    }
    this.emit('frame', frame);
  }

  private onClosed(): void {
    this.isClosed = true;
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`connection closed while ping ${seq} was pending`));
    }
    this.pending.clear();
    this.emit('close');
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Version negotiation (§1.4)

function parseVersions(upgrade: string): string[] {
  const out = new Set<string>();
  for (const tok of upgrade.split(',')) {
    const t = tok.trim();
    if (/^XRPL\/([2-9]|[1-9][0-9]+)\.(0|[1-9][0-9]*)$/.test(t)) out.add(t);
  }
  const key = (v: string) => v.slice(5).split('.').map(Number);
  return [...out].sort((a, b) => {
    const [a1, a2] = key(a);
    const [b1, b2] = key(b);
    return a1 - b1 || a2 - b2;
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Client role

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface DialOptions {
  host: string;
  port: number;
  tlsVersion?: TlsVersion;
  networkId?: number;
  /** appended after the standard headers (a value replaces a standard header of the same name, keeping its position) */
  extraHeaders?: Record<string, string>;
  /** sign something other than the shared value (the server must refuse) */
  signWrongDigest?: boolean;
  /** hex private key; default: a fresh random key */
  nodePrivateKeyHex?: string;
  /** default 'XRPL/2.2' */
  upgrade?: string;
  /** default 8000 ms for TLS, then 5000 ms for the response head */
  timeoutMs?: number;
}

function tlsRange(v?: TlsVersion): { minVersion: TlsVersion; maxVersion: TlsVersion } {
  return v ? { minVersion: v, maxVersion: v } : { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
}

function mergeHeaders(base: [string, string][], extra?: Record<string, string>): [string, string][] {
  const out = base.map(([k, v]) => [k, v] as [string, string]);
  for (const [k, v] of Object.entries(extra ?? {})) {
    const i = out.findIndex(([n]) => n.toLowerCase() === k.toLowerCase());
    if (i >= 0) out[i] = [out[i][0], v];
    else out.push([k, v]);
  }
  return out;
}

function wrongDigest(sharedValue: Buffer): Buffer {
  return sha512(Buffer.concat([Buffer.from('not the shared value'), sharedValue])).subarray(0, 32);
}

export async function dialIndependent(opts: DialOptions): Promise<IndiePeerConnection> {
  const key = makeNodeKey(opts.nodePrivateKeyHex);
  const timeoutMs = opts.timeoutMs ?? 8000;
  const socket = tls.connect({
    host: opts.host,
    port: opts.port,
    rejectUnauthorized: false,
    ...tlsRange(opts.tlsVersion),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('TLS handshake timed out')), timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    socket.on('error', () => {}); // errors after this point surface as close / rejections
    socket.pause();

    const sharedValue = sharedValueOf(socket);
    const signature = key.signDigest(opts.signWrongDigest ? wrongDigest(sharedValue) : sharedValue);
    const base: [string, string][] = [
      ['User-Agent', INDIE_USER_AGENT],
      ['Upgrade', opts.upgrade ?? 'XRPL/2.2'],
      ['Connection', 'Upgrade'],
      ['Connect-As', 'Peer'],
      ['Crawl', 'public'],
    ];
    if (opts.networkId !== undefined) base.push(['Network-ID', String(opts.networkId)]);
    base.push(
      ['Network-Time', String(networkTimeNow())],
      ['Public-Key', key.publicKeyN9],
      ['Session-Signature', signature.toString('base64')],
      ['Instance-Cookie', instanceCookie()],
      ['X-Protocol-Ctl', ''],
    );
    const request = formatHead('GET / HTTP/1.1', mergeHeaders(base, opts.extraHeaders));
    socket.write(request, 'latin1');

    const { head, rest } = await readHead(socket, Math.min(timeoutMs, 5000));
    const { startLine, headers } = parseHead(head);
    const m = /^HTTP\/1\.1 (\d{3})(?: (.*))?$/.exec(startLine);
    const fail = (msg: string, status?: number, statusText?: string, body?: Buffer) => {
      const e = new IndieHandshakeError(msg);
      e.status = status;
      e.statusText = statusText;
      e.statusLine = startLine;
      e.headers = headers.map;
      e.headerList = headers.list;
      e.rawHead = head;
      if (body) e.body = body;
      return e;
    };
    if (!m) throw fail(`malformed status line ${JSON.stringify(startLine)}`);
    const status = Number(m[1]);
    const statusText = m[2] ?? '';
    if (status !== 101) {
      const cl = headers.map['content-length'];
      const body = await readBody(socket, rest, cl !== undefined ? Number(cl) : undefined, 2000);
      throw fail(`handshake refused: ${status} ${statusText}`, status, statusText, body);
    }

    // --- checks on the 101 (client side)
    const h = headers.map;
    if ((h['connection'] ?? '').toLowerCase() !== 'upgrade') throw fail(`101 without Connection: Upgrade`, status, statusText);
    const versions = parseVersions(h['upgrade'] ?? '');
    if (versions.length !== 1 || !SUPPORTED_VERSIONS.includes(versions[0]) || h['upgrade'].trim() !== versions[0])
      throw fail(`101 Upgrade must be exactly one supported version, got ${JSON.stringify(h['upgrade'])}`, status, statusText);
    if ((h['connect-as'] ?? '').toLowerCase() !== 'peer') throw fail(`101 Connect-As is not Peer`, status, statusText);
    if (h['network-id'] !== undefined) {
      if (!/^\d+$/.test(h['network-id']) || Number(h['network-id']) > 0xffffffff)
        throw fail(`Invalid peer network identifier: ${h['network-id']}`, status, statusText);
      if (opts.networkId !== undefined && Number(h['network-id']) !== opts.networkId)
        throw fail(`Peer is on a different network: ${h['network-id']}`, status, statusText);
    }
    let remoteKey: Buffer;
    try {
      remoteKey = decodeNodePublic(h['public-key'] ?? '');
    } catch (err) {
      throw fail(`Bad node public key: ${(err as Error).message}`, status, statusText);
    }
    if (!isValidSecp256k1Key(remoteKey)) throw fail('Unsupported public key type', status, statusText);
    if (!h['session-signature']) throw fail('No session signature specified', status, statusText);
    const sig = Buffer.from(h['session-signature'], 'base64');
    if (!verifyDigest(sharedValue, sig, remoteKey)) throw fail('Failed to verify session', status, statusText);
    if (remoteKey.equals(key.publicKey)) throw fail('Self connection', status, statusText);

    return new IndiePeerConnection({
      role: 'client',
      socket,
      publicKeyN9: key.publicKeyN9,
      remotePublicKeyN9: h['public-key'],
      remoteHeaders: headers,
      remoteStartLine: startLine,
      remoteHeadText: head,
      sentHeadText: request,
      sharedValue,
      rest,
    });
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Server role

export interface ListenOptions {
  host: string;
  port?: number;
  tlsVersion?: TlsVersion;
  networkId?: number;
  /** hex private key; default: a fresh random key (one per server, like rippled's per-process node key) */
  nodePrivateKeyHex?: string;
  /** sign something other than the shared value in our 101 (the client must refuse) */
  signWrongDigest?: boolean;
  /** appended to our 101 (a value replaces a standard header of the same name) */
  extraHeaders?: Record<string, string>;
  /** maximum allowed |Network-Time offset| in seconds, default 20 */
  maxClockOffset?: number;
}

export interface IndieRejection {
  remoteAddress: string | undefined;
  status: number;
  reason: string;
  requestHead: string;
}

export class IndieServer extends EventEmitter {
  readonly host: string;
  port = 0;
  readonly publicKeyN9: string;
  /** every connection accepted so far */
  readonly accepted: IndiePeerConnection[] = [];
  /** every handshake we refused */
  readonly rejections: IndieRejection[] = [];

  private server: tls.Server;
  private sockets = new Set<tls.TLSSocket>();
  private queue: IndiePeerConnection[] = [];
  private waiters: ((c: IndiePeerConnection | undefined) => void)[] = [];
  private closing = false;

  constructor(private readonly opts: ListenOptions, private readonly key: IndieNodeKey) {
    super();
    this.host = opts.host;
    this.publicKeyN9 = key.publicKeyN9;
    this.server = tls.createServer({
      key: INDIE_TEST_KEY_PEM,
      cert: INDIE_TEST_CERT_PEM,
      ...tlsRange(opts.tlsVersion),
    });
    this.server.on('secureConnection', (socket: tls.TLSSocket) => this.onSecure(socket));
    this.server.on('tlsClientError', (err, socket) => {
      this.emit('tlsClientError', err);
      socket.destroy();
    });
  }

  /** async iterator over accepted connections (ends when the server closes) */
  get connections(): AsyncIterable<IndiePeerConnection> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const c = await this.take();
          return c ? { value: c, done: false } : { value: undefined, done: true };
        },
      }),
    };
  }

  /** the next accepted connection (rejects after timeoutMs) */
  nextConnection(timeoutMs = 5000): Promise<IndiePeerConnection> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no inbound connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const w = (c: IndiePeerConnection | undefined) => {
        clearTimeout(timer);
        if (c) resolve(c);
        else reject(new Error('server closed'));
      };
      const c = this.queue.shift();
      if (c) w(c);
      else if (this.closing) w(undefined);
      else this.waiters.push(w);
    });
  }

  /** the next refused handshake */
  nextRejection(timeoutMs = 5000): Promise<IndieRejection> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('rejected', on);
        reject(new Error(`no rejected handshake within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (r: IndieRejection) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.once('rejected', on);
    });
  }

  private take(): Promise<IndiePeerConnection | undefined> {
    const c = this.queue.shift();
    if (c || this.closing) return Promise.resolve(c);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.waiters.splice(0)) w(undefined);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all(this.accepted.map((c) => c.close()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private onSecure(socket: tls.TLSSocket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    socket.pause();
    this.handshake(socket).catch((err: Error) => {
      this.emit('handshakeError', err);
      socket.destroy();
    });
  }

  private refuse(socket: tls.TLSSocket, status: number, reason: string, requestHead: string, body = ''): void {
    const ip = socket.remoteAddress ?? '';
    let head: string;
    if (status === 503) {
      head = formatHead('HTTP/1.1 503 Service Unavailable', [
        ['Server', INDIE_USER_AGENT],
        ['Content-Type', 'application/json'],
        ['Connection', 'close'],
        ['Content-Length', String(Buffer.byteLength(body))],
      ]);
    } else {
      const line = status === 400 ? `HTTP/1.1 400 Bad Request (${reason})` : `HTTP/1.1 ${status} ${reason}`;
      head = formatHead(line, [
        ['Server', INDIE_USER_AGENT],
        ['Remote-Address', ip],
        ['Connection', 'close'],
        ['Content-Length', String(Buffer.byteLength(body))],
      ]);
    }
    socket.end(head + body, 'latin1');
    const r: IndieRejection = { remoteAddress: socket.remoteAddress, status, reason, requestHead };
    this.rejections.push(r);
    this.emit('rejected', r);
  }

  private async handshake(socket: tls.TLSSocket): Promise<void> {
    const sharedValueOrError = (() => {
      try {
        return sharedValueOf(socket);
      } catch (err) {
        return err as Error;
      }
    })();
    const { head, rest } = await readHead(socket, 5000);
    let parsed: ReturnType<typeof parseHead>;
    try {
      parsed = parseHead(head);
    } catch (err) {
      this.refuse(socket, 400, `Bad request: ${(err as Error).message}`, head);
      return;
    }
    const { startLine, headers } = parsed;
    const h = headers.map;
    if (!/^GET \S+ HTTP\/1\.1$/.test(startLine)) {
      this.refuse(socket, 400, 'Bad request', head);
      return;
    }
    // an upgrade to a peer connection?
    const connTokens = (h['connection'] ?? '').split(',').map((t) => t.trim().toLowerCase());
    const versions = parseVersions(h['upgrade'] ?? '');
    if (!connTokens.includes('upgrade') || versions.length === 0) {
      this.refuse(socket, 403, 'Forbidden', head);
      return;
    }
    if ((h['connect-as'] ?? '').toLowerCase() !== 'peer') {
      this.refuse(socket, 503, 'Service Unavailable', head, '{"peer-ips":[]}');
      return;
    }
    const common = versions.filter((v) => SUPPORTED_VERSIONS.includes(v));
    if (common.length === 0) {
      this.refuse(socket, 400, 'Unable to agree on a protocol version', head);
      return;
    }
    const version = common[common.length - 1];
    if (sharedValueOrError instanceof Error) {
      this.refuse(socket, 400, 'Incorrect security cookie', head);
      return;
    }
    const sharedValue = sharedValueOrError;

    // §1.6 checks, in order
    if (h['network-id'] !== undefined) {
      if (!/^\d+$/.test(h['network-id']) || Number(h['network-id']) > 0xffffffff) {
        this.refuse(socket, 400, 'Invalid peer network identifier', head);
        return;
      }
      if (this.opts.networkId !== undefined && Number(h['network-id']) !== this.opts.networkId) {
        this.refuse(socket, 400, 'Peer is on a different network', head);
        return;
      }
    }
    if (h['network-time'] !== undefined) {
      if (!/^\d+$/.test(h['network-time'])) {
        this.refuse(socket, 400, 'Invalid peer clock timestamp', head);
        return;
      }
      if (Math.abs(Number(h['network-time']) - networkTimeNow()) > (this.opts.maxClockOffset ?? 20)) {
        this.refuse(socket, 400, 'Peer clock is too far off', head);
        return;
      }
    }
    let remoteKey: Buffer;
    try {
      remoteKey = decodeNodePublic(h['public-key'] ?? '');
    } catch {
      this.refuse(socket, 400, 'Bad node public key', head);
      return;
    }
    if (!isValidSecp256k1Key(remoteKey)) {
      this.refuse(socket, 400, 'Unsupported public key type', head);
      return;
    }
    if (!h['session-signature']) {
      this.refuse(socket, 400, 'No session signature specified', head);
      return;
    }
    if (!verifyDigest(sharedValue, Buffer.from(h['session-signature'], 'base64'), remoteKey)) {
      this.refuse(socket, 400, 'Failed to verify session', head);
      return;
    }
    if (remoteKey.equals(this.key.publicKey)) {
      this.refuse(socket, 400, 'Self connection', head);
      return;
    }

    const signature = this.key.signDigest(this.opts.signWrongDigest ? wrongDigest(sharedValue) : sharedValue);
    const base: [string, string][] = [
      ['Connection', 'Upgrade'],
      ['Upgrade', version],
      ['Connect-As', 'Peer'],
      ['Server', INDIE_USER_AGENT],
      ['Crawl', 'public'],
      ['X-Protocol-Ctl', ''],
    ];
    if (this.opts.networkId !== undefined) base.push(['Network-ID', String(this.opts.networkId)]);
    base.push(
      ['Network-Time', String(networkTimeNow())],
      ['Public-Key', this.key.publicKeyN9],
      ['Session-Signature', signature.toString('base64')],
      ['Instance-Cookie', instanceCookie()],
    );
    const response = formatHead('HTTP/1.1 101 Switching Protocols', mergeHeaders(base, this.opts.extraHeaders));
    socket.write(response, 'latin1');
    const conn = new IndiePeerConnection({
      role: 'server',
      socket,
      publicKeyN9: this.key.publicKeyN9,
      remotePublicKeyN9: h['public-key'],
      remoteHeaders: headers,
      remoteStartLine: startLine,
      remoteHeadText: head,
      sentHeadText: response,
      sharedValue,
      rest,
    });
    this.accepted.push(conn);
    this.emit('connection', conn);
    const w = this.waiters.shift();
    if (w) w(conn);
    else this.queue.push(conn);
  }
}

export async function listenIndependent(opts: ListenOptions): Promise<IndieServer> {
  const server = new IndieServer(opts, makeNodeKey(opts.nodePrivateKeyHex));
  await server.start();
  return server;
}
