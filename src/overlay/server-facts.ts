/** The overlay's part of rippled's server_info (crawl.ts's buildServerInfo makes server_info of it). */
import type { PeerLedgerStatus } from '../peer/peer.js';
import { validatorServerInfo } from '../relay/validator-relay.js';
import type { OverlayServerFacts } from './crawl.js';
import { validatedLedgerJson } from '../monitor/reports.js';
import type { OverlayOptions } from './options.js';

export interface OverlayState {
  serverState: string;
  uptime: number;
  peers: number;
  /** Where the peer port is bound, if it listens. */
  address: { host: string; port: number } | undefined;
  disconnects: { total: number; resources: number };
  latestLedger: PeerLedgerStatus | undefined;
  /** Whether latestLedger is the network's validated ledger (then not reported as a peer ledger). */
  latestFromQuorum: boolean;
}

export function overlayServerFacts(opts: OverlayOptions, s: OverlayState): OverlayServerFacts {
  const info: OverlayServerFacts = {
    build_version: opts.buildVersion,
    pubkey_node: opts.identity.n9,
    server_state: s.serverState,
    uptime: s.uptime,
    peers: s.peers,
    ports: opts.servedPorts ?? (s.address ? [{ port: s.address.port, protocols: ['peer'], admin: [] }] : []),
    peer_disconnects: s.disconnects.total,
    peer_disconnects_resources: s.disconnects.resources,
  };
  if (opts.networkId !== undefined) info.network_id = opts.networkId;
  if (opts.serverDomain) info.server_domain = opts.serverDomain;
  if (opts.validators) Object.assign(info, validatorServerInfo(opts.validators));
  // Ours, not rippled's `network_ledger` (which is only ever the string "waiting").
  const validated = opts.monitor && validatedLedgerJson(opts.monitor);
  if (validated) info.validated_ledger = validated;
  if (s.latestLedger?.ledgerSeq !== undefined && !s.latestFromQuorum) {
    info.newest_peer_ledger = { seq: s.latestLedger.ledgerSeq, hash: s.latestLedger.ledgerHash?.toString('hex').toUpperCase() };
  }
  return info;
}
