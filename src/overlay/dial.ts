/**
 * Outbound dialling (admin `connect`, autoconnect, fixed peers): rippled's OverlayImpl::connect order —
 * resource entry, outbound slot, TLS and handshake, activation — and what PeerFinder learns of the outcome.
 */
import { isIP } from 'node:net';
import { formatEndpoint, normalizeIp, sameIp } from '../address/address.js';
import { ConnectError, dialPeer } from '../connect/handshake-io.js';
import type { Peer } from '../peer/peer.js';
import type { OverlayCore } from './options.js';

/** Dial an address. Resolves when the attempt ends: the new peer, or undefined when not attempted. */
export async function dial(core: OverlayCore, localAddressFor: (host: string) => string | undefined, host: string, port: number, why: string): Promise<Peer | undefined> {
  const { log, peerFinder, opts } = core;
  if (core.isStopping()) return undefined;
  const ip = isIP(host) ? normalizeIp(host) : undefined;
  if (ip && core.peers().some((p) => p.info.remotePort === port && sameIp(p.info.remoteIp, ip))) {
    throw new ConnectError('duplicate', `already connected to ${formatEndpoint(ip, port)}`);
  }
  // As rippled's OverlayImpl::connect: the endpoint's resource entry first, and no dial while it is
  // at or over the drop threshold (which adds the drop fee again). A name is checked once resolved.
  let consumer = ip ? core.resources.newOutboundEndpoint(ip, port) : undefined;
  if (consumer?.disconnect()) {
    const balance = consumer.balance;
    consumer.release();
    log.info({ address: formatEndpoint(ip!, port), why, balance }, 'outbound connection not attempted: over resource limit');
    throw new ConnectError('resource-limit', `${formatEndpoint(ip!, port)} is over its resource limit`);
  }
  if (!peerFinder.newOutboundSlot(ip ?? host, port)) {
    consumer?.release();
    return undefined;
  }
  const dialledAt = performance.now();
  try {
    const est = await dialPeer({
      host,
      port,
      localAddress: localAddressFor(host),
      local: core.localNode(),
      timeouts: opts.timers.handshake,
      headLimits: { maxBytes: opts.timers.maxHeaderBytes, maxHeaders: opts.timers.maxHeaderCount },
    });
    if (core.isStopping()) {
      est.socket.destroy();
      return undefined;
    }
    const info = est.info;
    if (!consumer) {
      consumer = core.resources.newOutboundEndpoint(info.remoteIp, port);
      if (consumer.disconnect()) {
        est.socket.destroy();
        throw new ConnectError('resource-limit', `${formatEndpoint(info.remoteIp, port)} is over its resource limit`);
      }
    }
    info.cluster = core.isClusterKey(info.n9);
    info.reserved = core.reservations.has(info.n9);
    // The address works even when we have no room for it (PeerFinder counts 'full' as a Bootcache
    // success); a duplicate says nothing either way.
    const { result: verdict, slot } = peerFinder.activate({
      ip: info.remoteIp,
      port,
      inbound: false,
      publicKey: info.publicKey.toString('hex'),
      reserved: info.cluster || info.reserved,
    });
    if (verdict !== 'success') {
      est.socket.destroy();
      throw new ConnectError(verdict === 'duplicate' ? 'duplicate' : 'slots-full', verdict === 'duplicate' ? 'already connected to this node' : 'outbound slots full');
    }
    info.fixed = slot.fixed;
    // The 'peer connected' line (activate) is the one info line for this event.
    log.debug({ peer: info.n9, address: formatEndpoint(info.remoteIp, port), why }, 'outbound handshake done');
    const peer = core.activate(info, slot, est.socket, est.rest, consumer);
    core.emit('handshakeCompleted', 'out', (performance.now() - dialledAt) / 1000);
    consumer = undefined; // the peer holds it now
    return peer;
  } catch (err) {
    const kind = err instanceof ConnectError ? err.kind : 'error';
    core.emit('handshakeFailed', 'out', (err instanceof ConnectError && err.refusal) || kind);
    // Only an address that did not answer as a peer loses valence: not one we had no room for or skipped.
    const answered = kind === 'handshake' || kind === 'resource-limit' || kind === 'duplicate' || kind === 'slots-full';
    if (ip && !answered) peerFinder.onFailure({ ip, port });
    if (err instanceof ConnectError && kind === 'redirect') peerFinder.onRedirects(err.peerIps);
    // A fixed peer's failure gets its own line with the backoff (peerfinder-io): one line per event.
    log[why === 'fixed' ? 'debug' : 'info']({ address: `${host}:${port}`, why, reason: kind, err: (err as Error).message }, 'outbound connection failed');
    throw err;
  } finally {
    consumer?.release();
    peerFinder.outboundSlotDone(ip ?? host, port);
  }
}
