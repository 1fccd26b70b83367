/** The typed configuration: what parseConfig (config.ts) returns, and its defaults. */
import type { Timers } from './timers.js';
import type { ValidatorsConfig } from './validators.js';
import type { StartupCommand } from './rpc-startup.js';
import type { CrawlNetworkConfig } from './crawl-network.js';
import type { ValidatorMonitorConfig } from './validator-monitor.js';

/** rippled's DEFAULT_PEER_PORT (IANA): used for [ips]/[ips_fixed] entries without a port. */
export const DEFAULT_PEER_PORT = 2459;
/** The port our peer listener uses when the file does not say. */
export const DEFAULT_LISTEN_PORT = 51235;
/** PeerFinder Tuning::defaultMaxPeers. */
export const DEFAULT_PEERS_MAX = 21;

/** host: an IPv4 address, an IPv6 address without brackets, or a DNS name. */
export interface Endpoint {
  host: string;
  port: number;
}

export interface PortConfig {
  /** The stanza name, e.g. `port_peer`. */
  name: string;
  ip: string;
  port: number;
  /** Lower case, as listed: peer, http, https, ws, wss, ws2, wss2. */
  protocols: string[];
  /** Networks allowed admin access, in CIDR form (`127.0.0.1/32`; `0.0.0.0` becomes `0.0.0.0/0` and `::/0`). */
  admin: string[];
  sslKey?: string;
  sslCert?: string;
  sslChain?: string;
}

export interface ClusterNode {
  /** Base58 node public key, `n9...`. */
  publicKey: string;
  name?: string;
}

export type CrawlPrivatePeers = 'hide' | 'hide_address';

export interface CrawlConfig {
  /** False when `[crawl]` is `0`, or when every part below is switched off (rippled then answers no /crawl). */
  enabled: boolean;
  overlay: boolean;
  server: boolean;
  counts: boolean;
  unl: boolean;
  /** Ours: how /crawl shows peers that asked for privacy. `hide` leaves them out, `hide_address` lists them without ip/port. */
  privatePeers: CrawlPrivatePeers;
  /** Ours: `snapshot_ms`, how long one built /crawl body is served (0: built for every request). */
  snapshotMs: number;
}

export interface OverlayConfig {
  /** Inbound connections allowed per public IP; 0 = automatic (see slotLimits). */
  ipLimit: number;
  publicIp?: string;
  /** Milliseconds; the same value as timers.maxUnknownTime. */
  maxUnknownTime: number;
  /** Milliseconds; the same value as timers.maxDivergedTime. */
  maxDivergedTime: number;
  /** Test an address a peer advertises (TCP connect) before passing it on. */
  verifyEndpoints: boolean;
}

export interface ReduceRelayConfig {
  txEnable: boolean;
  txMetrics: boolean;
  txMinPeers: number;
  txRelayPercentage: number;
  /** `vp_base_squelch_enable`, or its older name `vp_enable`. */
  vpBaseSquelchEnable: boolean;
  vpBaseSquelchMaxSelectedPeers: number;
}

/**
 * A stanza (or key) that is in the file but does not affect us.
 * - unused: rippled knows it, we have no use for it (log at debug level)
 * - unknown: rippled does not know it either, probably a typo (log at warn level)
 * - not-in-server: a port stanza that [server] does not list, so it is not opened
 * - overridden: [peers_in_max]/[peers_out_max] next to [peers_max], which wins
 * - outside-stanza: a line before the first [stanza] header
 */
export interface IgnoredStanza {
  stanza: string;
  line: number;
  key?: string;
  reason: 'unused' | 'unknown' | 'not-in-server' | 'overridden' | 'outside-stanza';
}

export interface Config {
  /** The file name used in messages. */
  file: string;
  /** Every listening port in use: those [server] lists, or the short form without [server]. */
  ports: PortConfig[];
  /** The one port whose protocols include `peer`. */
  peerPort: PortConfig;
  /** [port_ws_admin_local], when in use. */
  adminWs?: PortConfig;
  /** [port_rpc_admin_local], when in use. */
  adminRpc?: PortConfig;
  ips: Endpoint[];
  ipsFixed: Endpoint[];
  peerPrivate: boolean;
  /** As written; 0 means the default (21). [peers_max] wins over [peers_in_max]/[peers_out_max]. */
  peersMax: number;
  /** Set together with peersOutMax, only when [peers_max] is absent. */
  peersInMax?: number;
  peersOutMax?: number;
  /** Base58 secp256k1 family seed (`s...`) for the node key. */
  nodeSeed?: string;
  /** Absent: send no Network-ID header and accept any. */
  networkId?: number;
  serverDomain?: string;
  clusterNodes: ClusterNode[];
  crawl: CrawlConfig;
  overlay: OverlayConfig;
  /** `[vl] enabled`: serve validator lists at /vl/ on the peer port. */
  vlEnabled: boolean;
  compression: boolean;
  ledgerReplay: boolean;
  /** As written. rippled makes a relative path absolute against the working directory. */
  databasePath?: string;
  /** As written. rippled takes a relative path as relative to the config file's directory. */
  debugLogfile?: string;
  timers: Timers;
  /** `[crawl_network]` (ours): crawl the network on a schedule; absent: never. */
  crawlNetwork?: CrawlNetworkConfig;
  /** The validator stanzas (config/validators.ts). */
  validators: ValidatorsConfig;
  /** [rpc_startup]: admin commands run once at start. */
  rpcStartup: StartupCommand[];
  /** `[reduce_relay]`: squelching and transaction reduce-relay, as rippled reads them. */
  reduceRelay: ReduceRelayConfig;
  /** `[validator_monitor]` (ours): the monitor's timers and limits. */
  validatorMonitor: ValidatorMonitorConfig;
  ignored: IgnoredStanza[];
}
