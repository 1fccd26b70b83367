/**
 * Inbound admission on the peer port: an HTTP request routed (peer upgrade, /crawl, /health, /vl), and a peer
 * upgrade taken through rippled's checks in its order — resource entry, slot, handshake, activation — or refused.
 */
import type tls from 'node:tls';
import { HandshakeError } from '../protocol/handshake.js';
import { header, type HttpHead } from '../protocol/http-head.js';
import { normalizeIp } from '../address/address.js';
import { badRequestResponse, checkInbound, isPeerUpgrade, serviceUnavailableResponse, upgradeResponse } from '../connect/handshake-io.js';
import type { Peer } from '../peer/peer.js';
import type { HandshakeFailure } from '../peer/reasons.js';
import type { ResourceConsumer } from '../resource/resource-table.js';
import { sendHttp } from './listener.js';
import type { OverlayCore } from './options.js';

/** Answers for the HTTP paths the peer port serves besides the upgrade. */
export interface PeerPortPages {
  /** The /crawl body (a snapshot: see crawl-snapshot.ts). */
  crawlBytes(): Buffer;
  health(): { status: number; reason: string; body: object };
}

export function onRequest(core: OverlayCore, pages: PeerPortPages, socket: tls.TLSSocket, head: HttpHead, rest: Buffer): void {
  const { opts } = core;
  const path = (head.target ?? '').split('?')[0];
  const remoteIp = normalizeIp(socket.remoteAddress ?? '');
  if (isPeerUpgrade(head)) return onPeerUpgrade(core, socket, head, rest, remoteIp);
  if (head.method === 'GET' && path === '/crawl') {
    if (!opts.crawl.enabled) return sendHttp(socket, 403, 'Forbidden', '', opts.userAgent, 'text/plain');
    return sendHttp(socket, 200, 'OK', pages.crawlBytes(), opts.userAgent);
  }
  if (head.method === 'GET' && path === '/health') {
    const h = pages.health();
    return sendHttp(socket, h.status, h.reason, JSON.stringify(h.body), opts.userAgent);
  }
  if (head.method === 'GET' && path.startsWith('/vl/') && path.length > 4 && opts.vlEnabled !== false) {
    const file = opts.validators?.vlFile(path.slice(4));
    if (file) return sendHttp(socket, 200, 'OK', JSON.stringify(file), opts.userAgent);
    // rippled's answer for a publisher key it holds no list for.
    return sendHttp(socket, 404, 'Not Found', '', opts.userAgent);
  }
  sendHttp(socket, 403, 'Forbidden', '', opts.userAgent, 'text/plain');
}

function refuse(core: OverlayCore, socket: tls.TLSSocket, remoteIp: string, why: HandshakeFailure): void {
  core.log.info({ remote: remoteIp, reason: why }, 'inbound peer refused (503)');
  core.emit('handshakeFailed', 'in', why);
  socket.end(serviceUnavailableResponse(core.redirectAddresses(remoteIp), core.opts, remoteIp));
}

function onPeerUpgrade(core: OverlayCore, socket: tls.TLSSocket, head: HttpHead, rest: Buffer, remoteIp: string): void {
  // As rippled's OverlayImpl::onHandoff, before anything else (even the slot check): the address's
  // resource entry, refused while still at or over the drop threshold (which adds the drop fee again).
  const consumer = core.resources.newInboundEndpoint(remoteIp);
  if (consumer.disconnect()) {
    consumer.release();
    // rippled has taken the connection over by then (handoff.moved), so it closes it without a response.
    core.log.info({ remote: remoteIp, balance: consumer.balance }, 'inbound connection refused for its resource use');
    core.emit('handshakeFailed', 'in', 'resource-limit');
    socket.destroy();
    return;
  }
  let peer: Peer | undefined;
  try {
    peer = acceptInbound(core, socket, head, rest, remoteIp, consumer);
  } finally {
    // Refused: the entry is let go (and kept for the expiration time), as rippled's Consumer goes out of scope.
    if (!peer) consumer.release();
  }
}

/** The checks of onHandoff after the resource check; the new peer, or undefined when refused. */
function acceptInbound(core: OverlayCore, socket: tls.TLSSocket, head: HttpHead, rest: Buffer, remoteIp: string, consumer: ResourceConsumer): Peer | undefined {
  const { log } = core;
  const admission = core.peerFinder.newInboundSlot({ ip: remoteIp, port: socket.remotePort ?? 0 });
  if (admission !== 'success') {
    // rippled refuses these before the handshake, without redirects: its overlay leaves the request
    // unhandled and the HTTP server answers 403, as for any other request on a peer-only port.
    log.info({ remote: remoteIp, reason: admission }, 'inbound connection refused (403)');
    core.emit('handshakeFailed', 'in', admission);
    sendHttp(socket, 403, 'Forbidden', '', core.opts.userAgent, 'text/plain');
    return;
  }
  const local = core.localNode();
  let check;
  try {
    // Connect-As comes first (a 503), then the checks that answer 400.
    check = checkInbound(socket, head, local);
  } catch (err) {
    if (err instanceof HandshakeError && err.reason === 'not-peer') {
      log.debug({ remote: remoteIp, connectAs: header(head, 'Connect-As') }, 'inbound request not Connect-As: Peer');
      refuse(core, socket, remoteIp, 'not-peer');
    } else if (err instanceof HandshakeError && err.reason === 'bad-ledger-hash') {
      // rippled closes without any response when Closed-Ledger/Previous-Ledger are malformed.
      log.info({ remote: remoteIp, reason: err.reason, detail: err.message }, 'inbound handshake dropped');
      core.emit('handshakeFailed', 'in', err.reason);
      socket.destroy();
    } else if (err instanceof HandshakeError) {
      log.info({ remote: remoteIp, reason: err.reason, detail: err.message }, 'inbound handshake refused (400)');
      core.emit('handshakeFailed', 'in', err.reason);
      socket.end(badRequestResponse(err.message, core.opts, remoteIp));
    } else {
      log.warn({ remote: remoteIp, err: (err as Error).message }, 'inbound handshake failed');
      core.emit('handshakeFailed', 'in', 'error');
      socket.destroy();
    }
    return;
  }
  const info = check.info;
  info.cluster = core.isClusterKey(info.n9);
  info.reserved = core.reservations.has(info.n9);
  const { result: verdict, slot } = core.peerFinder.activate({
    ip: remoteIp,
    port: info.remotePort,
    inbound: true,
    publicKey: info.publicKey.toString('hex'),
    reserved: info.cluster || info.reserved,
  });
  if (verdict !== 'success') {
    refuse(core, socket, remoteIp, verdict === 'full' ? 'slots-full' : verdict);
    return undefined;
  }
  info.fixed = slot.fixed;
  const listener = core.listener();
  const since = listener?.release(socket);
  // The 101 leaves before activation announces the peer (what activation sends the peer is
  // written as one, at the end of the tick, by the Peer).
  socket.write(upgradeResponse(check, local));
  const peer = core.activate(info, slot, socket, rest, consumer);
  if (since !== undefined) core.emit('handshakeCompleted', 'in', (performance.now() - since) / 1000);
  return peer;
}
