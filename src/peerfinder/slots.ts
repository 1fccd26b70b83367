/**
 * Slot accounting (rippled PeerFinder Logic/Counts), as pure functions over what the overlay
 * already knows about its connections.
 *
 * Two checks happen when a connection appears, before any handshake:
 *   - inbound from a public IP: refused when that IP already has ipLimit connections (counting
 *     every connection and attempt, either direction); non-public IPs are never limited;
 *   - either direction: refused when the exact ip:port already has a connection.
 * One more happens at activation, after the handshake:
 *   - the node's public key is already active: duplicate;
 *   - fixed peers and reserved peers (cluster members count as reserved) always get in;
 *   - others need a free slot of their direction. A node that does not want inbound
 *     ([peer_private], or no peer port) has no inbound slots: "inbound disabled".
 * Activation failures are answered with a 503 carrying redirect addresses.
 */
import { isPublicIp, sameIp, type IpEndpoint } from '../address/address.js';

export interface SlotView {
  /** Remote address of the connection (the socket's). */
  ip: string;
  port: number;
  inbound: boolean;
}

export type NewSlotResult = 'success' | 'ip-limit' | 'duplicate';

/** A connection accepted on the peer port: may it proceed to the handshake? */
export function checkNewInbound(remote: IpEndpoint, slots: SlotView[], ipLimit: number): NewSlotResult {
  if (isPublicIp(remote.ip)) {
    const count = slots.filter((s) => sameIp(s.ip, remote.ip)).length;
    if (count + 1 > ipLimit) return 'ip-limit';
  }
  if (slots.some((s) => s.port === remote.port && sameIp(s.ip, remote.ip))) return 'duplicate';
  return 'success';
}

/** An address about to be dialled: refused if a connection to that exact ip:port exists. */
export function checkNewOutbound(remote: IpEndpoint, slots: SlotView[]): NewSlotResult {
  return slots.some((s) => s.port === remote.port && sameIp(s.ip, remote.ip)) ? 'duplicate' : 'success';
}

/** Inbound connections are fixed when their IP matches any fixed peer (the port is ignored). */
export function isFixedInbound(remoteIp: string, fixed: IpEndpoint[]): boolean {
  return fixed.some((f) => sameIp(f.ip, remoteIp));
}

/** Outbound connections are fixed when the exact ip:port is a fixed peer. */
export function isFixedOutbound(remote: IpEndpoint, fixed: IpEndpoint[]): boolean {
  return fixed.some((f) => f.port === remote.port && sameIp(f.ip, remote.ip));
}

export interface ActivePeerView {
  inbound: boolean;
  fixed: boolean;
  /** Reserved ([peer_reservations]) or a cluster member. */
  reserved: boolean;
}

export interface SlotCounts {
  /** Active inbound peers holding a slot. */
  inActive: number;
  /** Active outbound peers holding a slot. */
  outActive: number;
  /** Active fixed peers, either direction. */
  fixedActive: number;
  /** Every active peer. */
  total: number;
}

/** Fixed and reserved peers take no slot. */
export function countSlots(peers: ActivePeerView[]): SlotCounts {
  const c: SlotCounts = { inActive: 0, outActive: 0, fixedActive: 0, total: 0 };
  for (const p of peers) {
    c.total++;
    if (p.fixed) c.fixedActive++;
    if (p.fixed || p.reserved) continue;
    if (p.inbound) c.inActive++;
    else c.outActive++;
  }
  return c;
}

/**
 * Inbound slots actually offered: none unless we want inbound (not [peer_private] and
 * listening), whatever [peers_in_max] says.
 */
export function effectiveInMax(o: { peerPrivate: boolean; listening: boolean; inMax: number }): number {
  return !o.peerPrivate && o.listening ? o.inMax : 0;
}

export type ActivateResult = 'success' | 'duplicate' | 'full' | 'inbound-disabled';

export interface ActivateInput {
  candidate: ActivePeerView;
  /** The candidate's public key already belongs to an active peer. */
  keyActive: boolean;
  counts: SlotCounts;
  limits: { inMax: number; outMax: number };
}

/**
 * May a handshaked connection become an active peer? On 'success' it takes a slot (unless
 * fixed/reserved). Anything else: refuse it (inbound: 503 with redirects; outbound: close).
 * rippled counts an outbound 'full' as a Bootcache success (the address works), but not
 * 'duplicate'.
 */
export function activate(i: ActivateInput): ActivateResult {
  if (i.keyActive) return 'duplicate';
  const c = i.candidate;
  if (c.fixed || c.reserved) return 'success';
  if (c.inbound) {
    if (i.counts.inActive < i.limits.inMax) return 'success';
    return i.limits.inMax === 0 ? 'inbound-disabled' : 'full';
  }
  return i.counts.outActive < i.limits.outMax ? 'success' : 'full';
}
