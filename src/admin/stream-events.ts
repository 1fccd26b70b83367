/** The messages of the peer_status stream: rippled's peerStatusChange, and our connection events. */
import { formatEndpoint } from '../address/address.js';
import type { Peer, PeerLedgerStatus } from '../peer/peer.js';
import { NodeEvent, NodeStatus } from '../protocol/messages.js';
import type { Result } from './handlers.js';

const STATUS_UPPER = new Map<number, string>(Object.entries(NodeStatus).map(([k, v]) => [v, k]));
const EVENT_UPPER = new Map<number, string>(Object.entries(NodeEvent).map(([k, v]) => [v, k]));

function peerIdentity(peer: Peer): Result {
  return { public_key: peer.info.n9, address: formatEndpoint(peer.info.remoteIp, peer.info.remotePort) };
}

/** Ours: rippled's peer_status stream has no connection events; `action` says which. */
export function connectionEvent(peer: Peer, action: 'PEER_CONNECTED' | 'PEER_DISCONNECTED'): Result {
  const e: Result = { type: 'peerStatusChange', action, ...peerIdentity(peer) };
  if (peer.info.direction === 'in') e.inbound = true;
  if (action === 'PEER_CONNECTED') {
    e.version = peer.info.version;
    e.protocol = peer.protocolName;
  } else {
    e.uptime = peer.uptimeSeconds;
  }
  return e;
}

/** rippled's peerStatusChange message (PeerImp, TMStatusChange), plus the peer's key and address. */
export function statusEvent(peer: Peer, s: PeerLedgerStatus): Result {
  const e: Result = { type: 'peerStatusChange', ...peerIdentity(peer) };
  const status = s.status === undefined ? undefined : STATUS_UPPER.get(s.status);
  if (status) e.status = status;
  const action = s.event === undefined ? undefined : EVENT_UPPER.get(s.event);
  if (action) e.action = action;
  if (s.ledgerSeq !== undefined) e.ledger_index = s.ledgerSeq;
  if (s.ledgerHash) e.ledger_hash = s.ledgerHash.toString('hex').toUpperCase();
  if (s.networkTime !== undefined) e.date = s.networkTime;
  if (s.firstSeq !== undefined && s.lastSeq !== undefined) {
    e.ledger_index_min = s.firstSeq;
    e.ledger_index_max = s.lastSeq;
  }
  return e;
}
