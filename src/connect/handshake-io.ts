/**
 * The handshake on real sockets. Outbound: TCP, TLS, our request, their response (101, 503 with
 * redirects, or 400), each step under its own timeout. Inbound: given a TLS socket and the request
 * head the listener already read, check everything and tell the caller who is asking; the caller
 * (the overlay) decides on slots and writes the 101 or the refusal.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { NodeIdentity } from '../identity/node-key.js';
import { tlsClientOptions, type TlsMaterial } from '../identity/certificate.js';
import { normalizeIp, parseEndpoint, type IpEndpoint } from '../address/address.js';
import type { ConnectFailure, HandshakeRefusal } from '../peer/reasons.js';
import {
  acceptedVersion,
  buildRequestHeaders,
  buildResponseHeaders,
  computeSharedValue,
  type Features,
  formatVersion,
  HandshakeError,
  negotiateFeatures,
  negotiateVersion,
  NO_FEATURES,
  parseLedgerHash,
  parseProtocolVersions,
  type ProtocolVersion,
  verifyHandshakeHeaders,
} from '../protocol/handshake.js';
import {
  DEFAULT_HEAD_LIMITS,
  formatHead,
  header,
  headerHasToken,
  type HeadLimits,
  type HttpHead,
  HttpHeadReader,
  isHttp11OrLater,
  splitCommaList,
} from '../protocol/http-head.js';
import type { Direction, PeerInfo } from '../peer/peer.js';

/** What we are, for the headers we send and the checks we make. */
export interface LocalNode {
  identity: NodeIdentity;
  tls: TlsMaterial;
  userAgent: string;
  crawlPublic: boolean;
  features: Features;
  instanceCookie: bigint;
  networkId?: number;
  serverDomain?: string;
  publicIp?: string;
  closedLedger?: Buffer;
  previousLedger?: Buffer;
}

export interface HandshakeTimeouts {
  /** Whole outbound attempt (rippled: 25 s). */
  connectMs: number;
  tcpMs: number;
  tlsMs: number;
  httpWriteMs: number;
  httpReadMs: number;
}

export const DEFAULT_HANDSHAKE_TIMEOUTS: HandshakeTimeouts = {
  connectMs: 25_000,
  tcpMs: 8_000,
  tlsMs: 8_000,
  httpWriteMs: 3_000,
  httpReadMs: 3_000,
};

export type { ConnectFailure } from '../peer/reasons.js';

export class ConnectError extends Error {
  constructor(
    readonly kind: ConnectFailure,
    message: string,
    readonly status?: number,
    /** 503 redirect addresses, from the body's "peer-ips". */
    readonly peerIps: IpEndpoint[] = [],
  ) {
    super(message);
    this.name = 'ConnectError';
  }

  /** With kind 'handshake': which check of their response headers failed, when it was one of those. */
  refusal?: HandshakeRefusal;
}

export interface Established {
  socket: tls.TLSSocket;
  info: PeerInfo;
  /** Bytes read after the HTTP head: already peer frames. */
  rest: Buffer;
}

function sharedValueOf(socket: tls.TLSSocket): Buffer {
  const value = computeSharedValue(socket.getFinished(), socket.getPeerFinished());
  if (!value) throw new HandshakeError('Incorrect security cookie', 'bad-shared-value');
  return value;
}

/**
 * A header value to keep for the life of a peer, as a string of its own: values cut from the head's
 * text are views of it (V8 sliced strings) and would keep the whole head in memory.
 */
function own(value: string): string;
function own(value: string | undefined): string | undefined;
function own(value: string | undefined): string | undefined {
  return value === undefined || value.length < 13 ? value : Buffer.from(value, 'latin1').toString('latin1');
}

/** Peers share one Features object per combination and one object per protocol version. */
const FEATURE_SETS = new Map<string, Features>();
const FEATURE_NAMES = Object.keys(NO_FEATURES) as (keyof Features)[];
function sharedFeatures(f: Features): Features {
  let key = '';
  for (const name of FEATURE_NAMES) key += f[name] ? '1' : '0';
  let shared = FEATURE_SETS.get(key);
  if (!shared) FEATURE_SETS.set(key, (shared = { ...f }));
  return shared;
}
const VERSIONS = new Map<string, ProtocolVersion>();
function sharedVersion(v: ProtocolVersion): ProtocolVersion {
  const key = `${v.major}.${v.minor}`;
  let shared = VERSIONS.get(key);
  if (!shared) VERSIONS.set(key, (shared = { major: v.major, minor: v.minor }));
  return shared;
}

function infoFromHeaders(
  head: HttpHead,
  publicKey: Buffer,
  direction: Direction,
  remote: { ip: string; port: number },
  protocol: ProtocolVersion,
  features: Features,
): PeerInfo {
  const nid = header(head, 'Network-ID');
  const closed = header(head, 'Closed-Ledger');
  const previous = header(head, 'Previous-Ledger');
  const info: PeerInfo = {
    publicKey,
    // The Public-Key header decoded to publicKey (verifyHandshakeHeaders): base58check has one
    // spelling per key, so the header is its n9 as encodeNodePublic would write it, without the
    // second base58 and checksum round.
    n9: own(header(head, 'Public-Key')!),
    direction,
    remoteIp: normalizeIp(remote.ip),
    remotePort: remote.port,
    version: own(header(head, direction === 'in' ? 'User-Agent' : 'Server') ?? ''),
    protocol: sharedVersion(protocol),
    features: sharedFeatures(features),
    crawl: own((header(head, 'Crawl') ?? '').trim()),
    serverDomain: own(header(head, 'Server-Domain')),
    instanceCookie: own(header(head, 'Instance-Cookie')),
  };
  if (nid !== undefined) info.networkId = Number(nid);
  if (direction === 'out') info.listeningPort = remote.port;
  if (closed !== undefined || previous !== undefined) {
    const c = closed === undefined ? undefined : parseLedgerHash(closed);
    const p = previous === undefined ? undefined : parseLedgerHash(previous);
    // rippled closes without a 101 when either is malformed, or Previous-Ledger comes without Closed-Ledger.
    if ((closed !== undefined && !c) || (previous !== undefined && !p)) {
      throw new HandshakeError('Malformed ledger hash in handshake', 'bad-ledger-hash');
    }
    if (p && !c) throw new HandshakeError('Previous-Ledger without Closed-Ledger in handshake', 'bad-ledger-hash');
    info.closedLedger = c;
    info.previousLedger = p;
  }
  return info;
}

/** Run `step` with a deadline; on expiry destroy the socket and fail with `what`. */
function withTimeout<T>(ms: number, what: string, socket: net.Socket | undefined, step: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket?.destroy();
      reject(new ConnectError('timeout', `${what} timed out after ${ms} ms`));
    }, ms);
    step.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Read one HTTP head (and, for a 503, its small body) from a socket. */
export function readHead(socket: net.Socket, limits: HeadLimits = DEFAULT_HEAD_LIMITS): Promise<{ head: HttpHead; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const reader = new HttpHeadReader(limits);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      try {
        const done = reader.push(chunk);
        if (!done) return;
        cleanup();
        socket.pause();
        resolve(done);
      } catch (err) {
        cleanup();
        reject(err);
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new ConnectError('network', err.message));
    };
    const onClose = () => {
      cleanup();
      reject(new ConnectError('network', 'connection closed before the HTTP head was complete'));
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.resume();
  });
}

function readBody(socket: net.Socket, already: Buffer, length: number): Promise<Buffer> {
  if (already.length >= length) return Promise.resolve(already.subarray(0, length));
  return new Promise((resolve) => {
    const parts = [already];
    let have = already.length;
    const done = () => {
      socket.off('data', onData);
      socket.off('close', done);
      resolve(Buffer.concat(parts).subarray(0, length));
    };
    const onData = (c: Buffer) => {
      parts.push(c);
      have += c.length;
      if (have >= length) done();
    };
    socket.on('data', onData);
    socket.on('close', done);
    socket.resume();
  });
}

const MAX_REDIRECT_BODY = 64 * 1024;

/** Parse a 503 body's {"peer-ips": [...]}; bad entries are dropped. */
export function parseRedirectBody(body: Buffer): IpEndpoint[] {
  try {
    const json = JSON.parse(body.toString('utf8')) as { 'peer-ips'?: unknown };
    const list = Array.isArray(json['peer-ips']) ? json['peer-ips'] : [];
    return list.flatMap((e) => (typeof e === 'string' ? (parseEndpoint(e) ?? []) : []));
  } catch {
    return [];
  }
}

export interface DialOptions {
  host: string;
  port: number;
  /** Source address to bind, so that each node on a shared machine dials from its own IP. */
  localAddress?: string;
  local: LocalNode;
  timeouts?: Partial<HandshakeTimeouts>;
  headLimits?: HeadLimits;
  /** Narrow the TLS versions offered (tests pin 1.2 or 1.3); default: 1.2 and 1.3 as rippled. */
  tlsMaxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** Dial a peer and complete the handshake as the client. */
export async function dialPeer(opts: DialOptions): Promise<Established> {
  const t = { ...DEFAULT_HANDSHAKE_TIMEOUTS, ...opts.timeouts };
  let raw: net.Socket | undefined;
  const attempt = (async () => {
    raw = net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
    const tcp = raw;
    await withTimeout(
      t.tcpMs,
      'TCP connect',
      tcp,
      new Promise<void>((resolve, reject) => {
        tcp.once('connect', resolve);
        tcp.once('error', (e) => reject(new ConnectError('network', e.message)));
      }),
    );
    const tlsOptions = tlsClientOptions(opts.local.tls);
    if (opts.tlsMaxVersion) tlsOptions.maxVersion = opts.tlsMaxVersion;
    const socket = tls.connect({ socket: tcp, ...tlsOptions });
    await withTimeout(
      t.tlsMs,
      'TLS handshake',
      tcp,
      new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', (e) => reject(new ConnectError('tls', e.message)));
      }),
    );
    socket.on('error', () => {}); // errors after this point surface through reads and the Peer
    const remoteIp = socket.remoteAddress ?? opts.host;
    let sharedValue: Buffer;
    try {
      sharedValue = sharedValueOf(socket);
    } catch (err) {
      socket.destroy();
      throw new ConnectError('handshake', (err as Error).message);
    }
    const request = formatHead(
      'GET / HTTP/1.1',
      buildRequestHeaders({ ...opts.local, sharedValue, remoteIp: normalizeIp(remoteIp) }),
    );
    await withTimeout(
      t.httpWriteMs,
      'HTTP write',
      tcp,
      new Promise<void>((resolve, reject) => socket.write(request, (e) => (e ? reject(new ConnectError('network', e.message)) : resolve()))),
    );
    const { head, rest } = await withTimeout(t.httpReadMs, 'HTTP read', tcp, readHead(socket, opts.headLimits));
    return finishOutbound(socket, head, rest, sharedValue, opts, t.httpReadMs);
  })();
  try {
    return await withTimeout(t.connectMs, 'connect attempt', undefined, attempt);
  } catch (err) {
    raw?.destroy();
    if (err instanceof ConnectError) throw err;
    throw new ConnectError('handshake', (err as Error).message);
  }
}

async function finishOutbound(
  socket: tls.TLSSocket,
  head: HttpHead,
  rest: Buffer,
  sharedValue: Buffer,
  opts: DialOptions,
  readMs: number,
): Promise<Established> {
  if (head.status === 503) {
    const length = Math.min(Number(header(head, 'Content-Length') ?? 0) || 0, MAX_REDIRECT_BODY);
    const body = await withTimeout(readMs, 'HTTP body read', socket, readBody(socket, rest, length)).catch(() => Buffer.alloc(0));
    socket.destroy();
    const ips = parseRedirectBody(body);
    throw new ConnectError('redirect', `503 ${head.reason ?? ''} (${ips.length} redirect addresses)`.trim(), 503, ips);
  }
  if (head.status !== 101) {
    socket.destroy();
    throw new ConnectError('refused', `${head.status} ${head.reason ?? ''}`.trim(), head.status);
  }
  const fail = (msg: string, refusal?: HandshakeRefusal): never => {
    socket.destroy();
    const e = new ConnectError('handshake', msg);
    e.refusal = refusal;
    throw e;
  };
  // rippled's isPeerUpgrade(response): HTTP/1.1 or later, Connection lists "upgrade", status 101.
  if (!isHttp11OrLater(head.version)) fail(`101 on ${head.version} is not a peer protocol upgrade`);
  if (!headerHasToken(head, 'Connection', 'upgrade')) fail('101 without Connection: Upgrade is not a peer protocol upgrade');
  const version = acceptedVersion(header(head, 'Upgrade'));
  if (!version) fail(`unacceptable protocol version '${header(head, 'Upgrade') ?? ''}'`);
  if ((header(head, 'Connect-As') ?? '').toLowerCase() !== 'peer') fail('response is not Connect-As: Peer');
  const remoteIp = normalizeIp(socket.remoteAddress ?? opts.host);
  let info: PeerInfo;
  try {
    const publicKey = verifyHandshakeHeaders(head, {
      sharedValue,
      ourPublicKey: opts.local.identity.publicKey,
      networkId: opts.local.networkId,
      publicIp: opts.local.publicIp,
      remoteIp,
    });
    const features = negotiateFeatures(opts.local.features, header(head, 'X-Protocol-Ctl'));
    info = infoFromHeaders(head, publicKey, 'out', { ip: remoteIp, port: opts.port }, version!, features);
  } catch (err) {
    return fail((err as Error).message, err instanceof HandshakeError ? err.reason : undefined);
  }
  return { socket, info, rest };
}

// ---------------------------------------------------------------- inbound

/** Whether a request asks for the peer protocol (Connection: Upgrade with an XRPL/x.y). */
export function isPeerUpgrade(head: HttpHead): boolean {
  // rippled's is_upgrade: GET, HTTP/1.1 or later.
  if (head.method !== 'GET' || !isHttp11OrLater(head.version)) return false;
  return headerHasToken(head, 'Connection', 'upgrade') && parseProtocolVersions(header(head, 'Upgrade') ?? '').length > 0;
}

/** rippled's Connect-As test: any comma-separated element equal to "peer", case-insensitively. */
export function isConnectAsPeer(head: HttpHead): boolean {
  return splitCommaList(header(head, 'Connect-As') ?? '').some((t) => t.toLowerCase() === 'peer');
}

export interface InboundCheck {
  info: PeerInfo;
  version: ProtocolVersion;
  sharedValue: Buffer;
}

/**
 * Check an inbound upgrade request; throws HandshakeError (→ 400 with its text) when refused.
 * Reason 'not-peer' (Connect-As without "peer", checked first as rippled does) is the caller's 503,
 * 'bad-ledger-hash' a close without a response.
 */
export function checkInbound(socket: tls.TLSSocket, head: HttpHead, local: LocalNode): InboundCheck {
  if (!isConnectAsPeer(head)) throw new HandshakeError('Connect-As is not Peer', 'not-peer');
  const version = negotiateVersion(parseProtocolVersions(header(head, 'Upgrade') ?? ''));
  if (!version) throw new HandshakeError('Unable to agree on a protocol version', 'no-common-version');
  const sharedValue = sharedValueOf(socket);
  const remoteIp = normalizeIp(socket.remoteAddress ?? '');
  const publicKey = verifyHandshakeHeaders(head, {
    sharedValue,
    ourPublicKey: local.identity.publicKey,
    networkId: local.networkId,
    publicIp: local.publicIp,
    remoteIp,
  });
  const features = negotiateFeatures(local.features, header(head, 'X-Protocol-Ctl'));
  const info = infoFromHeaders(head, publicKey, 'in', { ip: remoteIp, port: socket.remotePort ?? 0 }, version, features);
  return { info, version, sharedValue };
}

/** The 101 for an accepted inbound peer. */
export function upgradeResponse(check: InboundCheck, local: LocalNode): string {
  return formatHead(
    'HTTP/1.1 101 Switching Protocols',
    buildResponseHeaders(
      { ...local, features: check.info.features, sharedValue: check.sharedValue, remoteIp: check.info.remoteIp },
      check.version,
    ),
  );
}

/** `400 Bad Request (<text>)` as rippled sends it. */
export function badRequestResponse(text: string, local: { userAgent: string }, remoteIp: string): string {
  return formatHead(`HTTP/1.1 400 Bad Request (${text})`, [
    ['Server', local.userAgent],
    ['Remote-Address', remoteIp],
    ['Connection', 'close'],
    ['Content-Length', '0'],
  ]);
}

/** `503 Service Unavailable` with up to 10 redirect addresses. */
export function serviceUnavailableResponse(peerIps: string[], local: { userAgent: string }, remoteIp: string): string {
  const body = JSON.stringify({ 'peer-ips': peerIps });
  return (
    formatHead('HTTP/1.1 503 Service Unavailable', [
      ['Server', local.userAgent],
      ['Remote-Address', remoteIp],
      ['Content-Type', 'application/json'],
      ['Connection', 'close'],
      ['Content-Length', String(Buffer.byteLength(body))],
    ]) + body
  );
}

export { formatVersion };
