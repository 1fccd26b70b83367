/** What an Overlay is built from (config, identity, timers) and the events it emits. */
import type tls from 'node:tls';
import type { Logger } from 'pino';
import type { TlsMaterial } from '../identity/certificate.js';
import type { NodeIdentity } from '../identity/node-key.js';
import type { PeerMessage } from '../protocol/codec.js';
import type { RawFrame } from '../protocol/framing.js';
import type { Features } from '../protocol/handshake.js';
import type { MessageTypeName } from '../protocol/message-types.js';
import type { HandshakeTimeouts, LocalNode } from '../connect/handshake-io.js';
import type { Peer, PeerInfo, PeerLedgerStatus } from '../peer/peer.js';
import type { HandshakeFailure, PeerClose } from '../peer/reasons.js';
import type { ResourceConsumer, ResourceTable, ResourceTableOptions } from '../resource/resource-table.js';
import type { LedgerRequestLimits } from '../relay/ledger-requests.js';
import type { RelayOutcome } from '../relay/fanout.js';
import type { ValidatorsHub } from '../validators/hub.js';
import type { ValidatorMonitor } from '../monitor/validator-monitor.js';
import type { TxRelayOptions } from '../reduce-relay/tx-relay.js';
import type { DiscoveryTimers, HostPort, PeerFinder, Slot } from '../peerfinder/manager.js';
import type { CrawlOptions, ServerPort } from './crawl.js';
import type { Listener } from './listener.js';
import type { Reservations } from './reservations.js';

export interface OverlayTimers {
  pingIntervalMs: number;
  autoconnectIntervalMs: number;
  fixedBackoffMinMs: number;
  fixedBackoffMaxMs: number;
  headTimeoutMs: number;
  /** [overlay] loopback_http_timeout: headTimeoutMs for clients on a loopback address. */
  loopbackHeadTimeoutMs: number;
  /** [overlay] shutdown_timeout: a closing peer's socket is cut after this. */
  shutdownTimeoutMs: number;
  tlsTimeoutMs: number;
  handshake: HandshakeTimeouts;
  maxConnectAttempts: number;
  hashRouterHoldMs: number;
  hashRouterRelayMs: number;
  /** [hashrouter] sweep_interval: forget items unseen for the hold time this often. */
  hashRouterSweepMs: number;
  /** [overlay] resource_sweep_interval: forget expired resource balances this often. */
  resourceSweepMs: number;
  maxHeaderBytes: number;
  maxHeaderCount: number;
  sendQueueTarget: number;
  sendQueueIntervals: number;
  /** [overlay] relay_backlog_bytes: no relaying to a peer with this much still unwritten. */
  relayBacklogBytes: number;
  /** [overlay] verify_threads and verify_queue (src/relay/verify-pool.ts); none: the table's defaults. */
  verify?: { threads: number; queue: number };
  /** [overlay] decompress_bytes_per_second: what one peer may make us decompress per second. */
  decompressBytesPerSecond?: number;
  /** Thresholds, decay window, entry expiration and drop fee of the resource table. */
  resource: ResourceTableOptions;
  /** Routed ledger requests, and max_unknown_time / max_diverged_time. */
  ledgerRequests: LedgerRequestLimits;
  discovery: DiscoveryTimers;
  /** [overlay] health_min_peers: /health says 503 below this many peers (rippled: 8). */
  healthMinPeers?: number;
}

export interface OverlayOptions {
  identity: NodeIdentity;
  tls: TlsMaterial;
  /** Where the peer port listens; undefined for a node that only dials. */
  listen?: { host: string; port: number };
  userAgent: string;
  buildVersion: string;
  networkId?: number;
  serverDomain?: string;
  publicIp?: string;
  peerPrivate: boolean;
  features: Features;
  slots: { outMax: number; inMax: number; ipLimit: number };
  /** [overlay] verify_endpoints: test an inbound peer's advertised port before believing it. */
  verifyEndpoints: boolean;
  ips: HostPort[];
  ipsFixed: HostPort[];
  cluster: { n9: string; name?: string }[];
  crawl: CrawlOptions;
  /** Every port the node serves, for server_info and /crawl; default: the peer port alone. */
  servedPorts?: readonly ServerPort[];
  /** [vl] enabled: answer GET /vl/<key> (rippled's default: on). */
  vlEnabled?: boolean;
  /** Manifests, validator lists and the untrusted relay policy (src/validators); none: relay all. */
  validators?: ValidatorsHub;
  /** The validator monitor (src/monitor): fed every verified validation; its validated ledger is what we announce. */
  monitor?: ValidatorMonitor;
  /** [reduce_relay] vp_base_squelch_*: squelching; none: off (TMSquelch ignored, as vprr is not offered). */
  vpReduceRelay?: { enabled: boolean; maxSelectedPeers: number; waitOnBootupMs: number };
  /** [reduce_relay] tx_*: transaction reduce-relay; none: off (txrr not offered, every tx to every peer). */
  txReduceRelay?: Omit<TxRelayOptions, 'now' | 'shuffle'> & { queueIntervalMs: number };
  /** [overlay] cluster_interval: how often we send TMCluster to cluster members (rippled: 10 s). */
  clusterIntervalMs?: number;
  /** [network_quorum]: peers needed to count as connected (rippled's default 1). */
  networkQuorum?: number;
  timers: OverlayTimers;
  /** Data directory for persisted state (reservations, bootcache); none: memory only. */
  dataDir?: string;
  log: Logger;
}

export interface OverlayEvents {
  peerConnected: [peer: Peer];
  peerDisconnected: [peer: Peer, close: PeerClose];
  peerStatus: [peer: Peer, status: PeerLedgerStatus];
  message: [peer: Peer, msg: PeerMessage, frame: RawFrame];
  handshakeFailed: [direction: 'in' | 'out', reason: HandshakeFailure];
  /** A relayable item seen for the first time whose signature checks passed (before the relay policy). */
  verifiedItem: [peer: Peer, msg: PeerMessage, payload: Buffer];
  fixedReconnect: [endpoint: string];
  /** A handshake ended in an active peer after this long (see OverlayMetrics for where it starts). */
  handshakeCompleted: [direction: 'in' | 'out', seconds: number];
  /** What became of one relayable item received from a peer. */
  relayItem: [type: MessageTypeName, outcome: RelayOutcome];
}

/** The parts of an Overlay that its inbound admission and outbound dialling work with. */
export interface OverlayCore {
  readonly opts: OverlayOptions;
  readonly log: Logger;
  readonly resources: ResourceTable;
  readonly peerFinder: PeerFinder;
  readonly reservations: Reservations;
  listener(): Listener | undefined;
  isStopping(): boolean;
  peers(): Peer[];
  localNode(): LocalNode;
  isClusterKey(n9: string): boolean;
  redirectAddresses(requesterIp: string): string[];
  /** Registers a handshaken connection as an active peer. */
  activate(info: PeerInfo, slot: Slot, socket: tls.TLSSocket, rest: Buffer, consumer: ResourceConsumer): Peer;
  emit<K extends keyof OverlayEvents>(event: K, ...args: OverlayEvents[K]): boolean;
}
