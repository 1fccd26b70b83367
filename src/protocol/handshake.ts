/**
 * The peer handshake's content: protocol versions, X-Protocol-Ctl features, the shared value from
 * the TLS Finished messages, request/response headers in rippled's order, and the checks on the
 * other side's headers. Pure functions; the socket work is in src/connect/.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { NodeIdentity } from '../identity/node-key.js';
import { decodeNodePublic, verifyDigestSignature } from '../identity/node-key.js';
import { isPublicIp, isUnspecifiedIp, normalizeIp, sameIp } from '../address/address.js';
import { header } from './http-head.js';

// ---------------------------------------------------------------- versions

export interface ProtocolVersion {
  major: number;
  minor: number;
}

/** Versions we speak, lowest first. 2.0 is not offered (rippled dropped it). */
export const SUPPORTED_VERSIONS: readonly ProtocolVersion[] = [
  { major: 2, minor: 1 },
  { major: 2, minor: 2 },
];

export function formatVersion(v: ProtocolVersion): string {
  return `XRPL/${v.major}.${v.minor}`;
}

const compareVersions = (a: ProtocolVersion, b: ProtocolVersion) => a.major - b.major || a.minor - b.minor;
const VERSION_TOKEN = /^XRPL\/([2-9]|[1-9][0-9]+)\.(0|[1-9][0-9]*)$/;

/** The XRPL/x.y tokens of an Upgrade header, sorted and deduplicated; other tokens are ignored. */
export function parseProtocolVersions(upgrade: string): ProtocolVersion[] {
  const out: ProtocolVersion[] = [];
  for (const token of upgrade.split(',')) {
    const m = VERSION_TOKEN.exec(token.trim());
    if (!m) continue;
    const v = { major: Number(m[1]), minor: Number(m[2]) };
    if (!out.some((o) => compareVersions(o, v) === 0)) out.push(v);
  }
  return out.sort(compareVersions);
}

/** Highest version both sides speak (server side), or undefined. */
export function negotiateVersion(offered: readonly ProtocolVersion[]): ProtocolVersion | undefined {
  const common = offered.filter((v) => SUPPORTED_VERSIONS.some((s) => compareVersions(s, v) === 0));
  return common.length ? common[common.length - 1] : undefined;
}

/** Client side: the 101's Upgrade must name exactly one version we support. */
export function acceptedVersion(upgrade: string | undefined): ProtocolVersion | undefined {
  if (!upgrade) return undefined;
  // rippled (ConnectAttempt) counts the parsed, deduplicated versions, not the raw tokens.
  const versions = parseProtocolVersions(upgrade);
  if (versions.length !== 1) return undefined;
  return negotiateVersion(versions);
}

export function supportedVersionsHeader(): string {
  return SUPPORTED_VERSIONS.map(formatVersion).join(', ');
}

// ---------------------------------------------------------------- features

export interface Features {
  compression: boolean;
  ledgerReplay: boolean;
  txReduceRelay: boolean;
  vpReduceRelay: boolean;
}

export const NO_FEATURES: Features = { compression: false, ledgerReplay: false, txReduceRelay: false, vpReduceRelay: false };

/** Whether `feature=value` (value one of a comma list) appears in an X-Protocol-Ctl header. */
export function featureHasValue(ctl: string | undefined, feature: string, value: string): boolean {
  if (!ctl) return false;
  const m = new RegExp(`${feature}=([^;\\s]+)`).exec(ctl);
  if (!m) return false;
  return m[1]!.split(',').some((v) => v.trim().toLowerCase() === value.toLowerCase());
}

/** Features both we (enabled locally) and the other side's header have. */
export function negotiateFeatures(local: Features, ctl: string | undefined): Features {
  return {
    compression: local.compression && featureHasValue(ctl, 'compr', 'lz4'),
    ledgerReplay: local.ledgerReplay && featureHasValue(ctl, 'ledgerreplay', '1'),
    txReduceRelay: local.txReduceRelay && featureHasValue(ctl, 'txrr', '1'),
    vpReduceRelay: local.vpReduceRelay && featureHasValue(ctl, 'vprr', '1'),
  };
}

/** "compr=lz4;ledgerreplay=1;txrr=1;vprr=1;" with only the enabled ones; empty when none. */
export function formatFeatures(f: Features): string {
  let out = '';
  if (f.compression) out += 'compr=lz4;';
  if (f.ledgerReplay) out += 'ledgerreplay=1;';
  if (f.txReduceRelay) out += 'txrr=1;';
  if (f.vpReduceRelay) out += 'vprr=1;';
  return out;
}

// ---------------------------------------------------------------- shared value

const sha512 = (b: Uint8Array) => createHash('sha512').update(b).digest();

/**
 * The session's shared value: SHA-512-half of SHA512(our Finished) XOR SHA512(peer's Finished).
 * Undefined when a Finished is missing or shorter than 12 bytes, or both hash the same.
 */
export function computeSharedValue(ownFinished: Buffer | undefined, peerFinished: Buffer | undefined): Buffer | undefined {
  if (!ownFinished || !peerFinished || ownFinished.length < 12 || peerFinished.length < 12) return undefined;
  const a = sha512(ownFinished);
  const b = sha512(peerFinished);
  const x = Buffer.alloc(64);
  let zero = true;
  for (let i = 0; i < 64; i++) {
    x[i] = a[i]! ^ b[i]!;
    if (x[i]) zero = false;
  }
  if (zero) return undefined;
  return sha512(x).subarray(0, 32);
}

// ---------------------------------------------------------------- headers we send

/** Seconds since the XRPL epoch (2000-01-01T00:00:00Z). */
export const RIPPLE_EPOCH_OFFSET = 946_684_800;
export function networkTimeNow(nowMs = Date.now()): number {
  return Math.floor(nowMs / 1000) - RIPPLE_EPOCH_OFFSET;
}

export interface HandshakeParams {
  identity: NodeIdentity;
  sharedValue: Buffer;
  userAgent: string;
  crawlPublic: boolean;
  features: Features;
  instanceCookie: bigint;
  networkId?: number;
  serverDomain?: string;
  /** The other side's IP: sent as Remote-IP when public. */
  remoteIp: string;
  /** [overlay] public_ip: sent as Local-IP. */
  publicIp?: string;
  closedLedger?: Buffer;
  previousLedger?: Buffer;
  nowMs?: number;
}

/** The fields both the request and the 101 carry, in rippled's order. */
function identityHeaders(p: HandshakeParams): [string, string][] {
  const h: [string, string][] = [];
  if (p.networkId !== undefined) h.push(['Network-ID', String(p.networkId)]);
  h.push(['Network-Time', String(networkTimeNow(p.nowMs))]);
  h.push(['Public-Key', p.identity.n9]);
  h.push(['Session-Signature', p.identity.sign(p.sharedValue).toString('base64')]);
  h.push(['Instance-Cookie', p.instanceCookie.toString()]);
  if (p.serverDomain) h.push(['Server-Domain', p.serverDomain]);
  if (isPublicIp(p.remoteIp)) h.push(['Remote-IP', p.remoteIp]);
  if (p.publicIp && !isUnspecifiedIp(p.publicIp)) h.push(['Local-IP', p.publicIp]);
  if (p.closedLedger && p.previousLedger) {
    h.push(['Closed-Ledger', p.closedLedger.toString('hex').toUpperCase()]);
    h.push(['Previous-Ledger', p.previousLedger.toString('hex').toUpperCase()]);
  }
  return h;
}

export function buildRequestHeaders(p: HandshakeParams): [string, string][] {
  return [
    ['User-Agent', p.userAgent],
    ['Upgrade', supportedVersionsHeader()],
    ['Connection', 'Upgrade'],
    ['Connect-As', 'Peer'],
    ['Crawl', p.crawlPublic ? 'public' : 'private'],
    ['X-Protocol-Ctl', formatFeatures(p.features)],
    ...identityHeaders(p),
  ];
}

/** The 101's headers; `p.features` must already be the negotiated set. */
export function buildResponseHeaders(p: HandshakeParams, version: ProtocolVersion): [string, string][] {
  return [
    ['Connection', 'Upgrade'],
    ['Upgrade', formatVersion(version)],
    ['Connect-As', 'Peer'],
    ['Server', p.userAgent],
    ['Crawl', p.crawlPublic ? 'public' : 'private'],
    ['X-Protocol-Ctl', formatFeatures(p.features)],
    ...identityHeaders(p),
  ];
}

// ---------------------------------------------------------------- checks on their headers

/** Which check of their handshake headers failed (the `reason` of logs and metrics). */
export type HandshakeRefusal =
  | 'bad-clock'
  | 'bad-ledger-hash'
  | 'bad-local-ip'
  | 'bad-network-id'
  | 'bad-public-key'
  | 'bad-remote-ip'
  | 'bad-server-domain'
  | 'bad-shared-value'
  | 'bad-signature'
  | 'clock-skew'
  | 'local-ip-mismatch'
  | 'no-common-version'
  | 'no-signature'
  | 'not-peer'
  | 'remote-ip-mismatch'
  | 'self-connection'
  | 'unsupported-key-type'
  | 'wrong-network';

/** A handshake refusal: the text goes into `400 Bad Request (<text>)`. */
export class HandshakeError extends Error {
  constructor(
    message: string,
    readonly reason: HandshakeRefusal,
  ) {
    super(message);
    this.name = 'HandshakeError';
  }
}

export interface VerifyContext {
  sharedValue: Buffer;
  ourPublicKey: Buffer;
  networkId?: number;
  /** Our [overlay] public_ip, if set. */
  publicIp?: string;
  /** The IP the other side connects from/to. */
  remoteIp: string;
  nowMs?: number;
  /** Allowed |clock offset| in seconds; rippled: 20. */
  clockTolerance?: number;
}

type Headers = { headers: [string, string][] };

/** Checks of PROTOCOL.md §1.6 in rippled's order; returns the peer's 33-byte node key. */
export function verifyHandshakeHeaders(h: Headers, ctx: VerifyContext): Buffer {
  const domain = header(h, 'Server-Domain');
  if (domain !== undefined && !isProperDomain(domain)) throw new HandshakeError('Invalid server domain', 'bad-server-domain');

  const nid = header(h, 'Network-ID');
  if (nid !== undefined) {
    const n = parseU32(nid);
    if (n === undefined) throw new HandshakeError('Invalid peer network identifier', 'bad-network-id');
    if (ctx.networkId !== undefined && n !== ctx.networkId) {
      throw new HandshakeError('Peer is on a different network', 'wrong-network');
    }
  }

  const time = header(h, 'Network-Time');
  if (time !== undefined) {
    // rippled parses it as a NetClock count: a u32 of seconds.
    const t = parseU32(time);
    if (t === undefined) throw new HandshakeError('Invalid peer clock timestamp', 'bad-clock');
    const offset = t - networkTimeNow(ctx.nowMs);
    if (Math.abs(offset) > (ctx.clockTolerance ?? 20)) throw new HandshakeError('Peer clock is too far off', 'clock-skew');
  }

  const publicKey = parsePeerKey(header(h, 'Public-Key'));

  const sig = header(h, 'Session-Signature');
  if (sig === undefined) throw new HandshakeError('No session signature specified', 'no-signature');
  if (!verifyDigestSignature(publicKey, ctx.sharedValue, Buffer.from(sig, 'base64'))) {
    throw new HandshakeError('Failed to verify session', 'bad-signature');
  }

  if (publicKey.equals(ctx.ourPublicKey)) throw new HandshakeError('Self connection', 'self-connection');

  const localIp = header(h, 'Local-IP');
  if (localIp !== undefined) {
    if (isIP(localIp) === 0) throw new HandshakeError('Invalid Local-IP', 'bad-local-ip');
    if (isPublicIp(ctx.remoteIp) && !acrossFamiliesOverIpv6(ctx.remoteIp, ctx.remoteIp, localIp) && !sameIp(ctx.remoteIp, localIp)) {
      throw new HandshakeError(`Incorrect Local-IP: ${ctx.remoteIp} instead of ${localIp}`, 'local-ip-mismatch');
    }
  }

  const remoteIp = header(h, 'Remote-IP');
  if (remoteIp !== undefined) {
    if (isIP(remoteIp) === 0) throw new HandshakeError('Invalid Remote-IP', 'bad-remote-ip');
    if (
      isPublicIp(ctx.remoteIp) &&
      ctx.publicIp &&
      !isUnspecifiedIp(ctx.publicIp) &&
      !acrossFamiliesOverIpv6(ctx.remoteIp, remoteIp, ctx.publicIp) &&
      !sameIp(remoteIp, ctx.publicIp)
    ) {
      throw new HandshakeError(`Incorrect Remote-IP: ${ctx.publicIp} instead of ${remoteIp}`, 'remote-ip-mismatch');
    }
  }
  return publicKey;
}

/**
 * Local-IP / Remote-IP are not compared when the connection is IPv6 and the two addresses are of
 * different families (v4-mapped counts as v4). rippled 2.x never finds a native IPv6 remote public,
 * so over IPv6 it compares nothing; develop would refuse any cross-family pair. Where they differ we
 * accept. Over IPv4 both versions compare, and a cross-family pair is refused.
 */
function acrossFamiliesOverIpv6(connection: string, a: string, b: string): boolean {
  const family = (ip: string) => isIP(normalizeIp(ip));
  return family(connection) === 6 && family(a) !== family(b);
}

function parsePeerKey(value: string | undefined): Buffer {
  if (value === undefined) throw new HandshakeError('Bad node public key', 'bad-public-key');
  try {
    return decodeNodePublic(value);
  } catch (err) {
    if (/unsupported/i.test((err as Error).message)) {
      throw new HandshakeError('Unsupported public key type', 'unsupported-key-type');
    }
    throw new HandshakeError('Bad node public key', 'bad-public-key');
  }
}

function parseU32(s: string): number | undefined {
  if (!/^\d{1,10}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffffffff ? n : undefined;
}

/** A domain as xrp-ledger.toml allows: 4–128 chars, LDH labels, alphabetic TLD of 2–63. */
export function isProperDomain(domain: string): boolean {
  if (domain.length < 4 || domain.length > 128) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1]!;
  if (!/^[A-Za-z]{2,63}$/.test(tld)) return false;
  return labels.slice(0, -1).every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/**
 * Closed-Ledger / Previous-Ledger as rippled reads them: exactly 64 hex digits, or else base64 read
 * leniently — decoding stops at the first character outside the standard alphabet ('=' included), a
 * trailing partial group yields its whole bytes — and accepted when that gives exactly 32 bytes (so
 * padded or unpadded, and anything may follow the 43 characters that carry them). Undefined otherwise.
 */
export function parseLedgerHash(value: string): Buffer | undefined {
  if (/^[0-9A-Fa-f]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const run = /^[A-Za-z0-9+/]*/.exec(value)![0];
  // 4 characters give 3 bytes; a trailing group of k (2..3) characters gives k - 1: 32 bytes ⇔ 43 characters.
  if (run.length !== 43) return undefined;
  return Buffer.from(run, 'base64');
}
