/**
 * What the admin layer may see of the overlay: peers, reports, events, and the few actions the admin API takes
 * (dial, reservations). It does not reach into the overlay's options, PeerFinder, Livecache or Bootcache.
 */
import type { EventEmitter } from 'node:events';
import type { Peer } from '../peer/peer.js';
import type { LedgerRequests } from '../relay/ledger-requests.js';
import type { ValidatorsHub } from '../validators/hub.js';
import type { OverlayServerFacts } from './crawl.js';
import type { OverlayEvents } from './options.js';
import type { Reservations } from './reservations.js';
import type { ClusterState } from '../cluster/cluster.js';
import type { ValidatorMonitor } from '../monitor/validator-monitor.js';
import type { TxReduceRelay } from '../reduce-relay/tx-relay.js';
import type { TrafficCount } from '../traffic/traffic-count.js';

export interface OverlayView extends Pick<EventEmitter<OverlayEvents>, 'on' | 'off'> {
  peers(): Peer[];
  serverInfo(): OverlayServerFacts;
  crawl(): object;
  uptimeSeconds(): number;
  /** Dial an address (admin `connect`). */
  connect(host: string, port: number, why?: string): Promise<Peer | undefined>;
  /** [cluster_nodes]: keys and names. */
  readonly clusterNodes: readonly { n9: string; name?: string }[];
  /** The cluster members' reported status and the cluster fee. */
  readonly cluster: ClusterState;
  /** Traffic by rippled's categories. */
  readonly traffic: TrafficCount;
  /** Transaction reduce-relay, for its metrics. */
  readonly txRelay: Pick<TxReduceRelay, 'metrics'>;
  /** The validator monitor, when the node runs one. */
  readonly monitor: ValidatorMonitor | undefined;
  /** [network_id], when set. */
  readonly networkId: number | undefined;
  /** Our node public key (n9…). */
  readonly nodeKey: string;
  readonly validators: ValidatorsHub | undefined;
  readonly reservations: Reservations;
  readonly ledgerRequests: Pick<LedgerRequests, 'counters' | 'trackingOf'>;
}
