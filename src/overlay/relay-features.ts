/**
 * The features rippled negotiates or configures to carry less traffic, as the overlay runs them: squelching
 * (vprr), transaction reduce-relay (txrr), the cluster's status exchange, and traffic counted by rippled's
 * categories. The logic lives in src/reduce-relay, src/cluster and src/traffic; this is their message handlers
 * and timers.
 */
import type { Logger } from 'pino';
import { encodeMessage, type PeerMessage } from '../protocol/codec.js';
import type { RawFrame } from '../protocol/framing.js';
import { networkTimeNow } from '../protocol/handshake.js';
import { MessageType } from '../protocol/message-types.js';
import type { TMSquelch } from '../protocol/messages.js';
import type { Peer } from '../peer/peer.js';
import { Charge } from '../resource/resource.js';
import { ClusterState, LOAD_BASE } from '../cluster/cluster.js';
import { txMetricOf } from '../reduce-relay/tx-messages.js';
import { OT_TRANSACTIONS, TxReduceRelay, type TxReceipt } from '../reduce-relay/tx-relay.js';
import { ValidatorReduceRelay } from '../reduce-relay/vp-relay.js';
import { TrafficCount } from '../traffic/traffic-count.js';
import type { OverlayOptions } from './options.js';

export interface RelayFeaturesDeps {
  peer: (id: number) => Peer | undefined;
  peers: () => Iterable<Peer>;
  /** Passes a transaction a peer sent us (in TMTransactions) through the relay, as if sent on its own. */
  relay: (from: Peer, msg: PeerMessage, frame: RawFrame) => void;
  log: Logger;
}

export class RelayFeatures {
  /** Validator/proposal squelching (src/reduce-relay). */
  readonly vpRelay: ValidatorReduceRelay;
  /** Transaction reduce-relay (src/reduce-relay). */
  readonly txRelay: TxReduceRelay;
  /** [cluster_nodes] members' reported status and the cluster fee (src/cluster). */
  readonly cluster: ClusterState;
  /** Traffic by rippled's categories (src/traffic). */
  readonly traffic = new TrafficCount();
  private txQueueTimer: NodeJS.Timeout | undefined;
  private clusterTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: OverlayOptions,
    private readonly deps: RelayFeaturesDeps,
  ) {
    this.vpRelay = new ValidatorReduceRelay({
      enabled: opts.vpReduceRelay?.enabled ?? false,
      maxSelectedPeers: opts.vpReduceRelay?.maxSelectedPeers ?? 5,
      waitOnBootupMs: opts.vpReduceRelay?.waitOnBootupMs,
      peer: deps.peer,
      onIgnored: () => this.traffic.add('squelch_ignored', true, 0),
    });
    this.txRelay = new TxReduceRelay(
      opts.txReduceRelay ?? { enabled: false, metrics: false, minPeers: 20, relayPercentage: 25, cache: { size: 65_536, ageMs: 1_800_000, bytes: 64 << 20 } },
    );
    this.cluster = new ClusterState(opts.identity.n9, opts.cluster, networkTimeNow);
  }

  start(): void {
    this.vpRelay.start();
    if (this.opts.cluster.length) {
      this.clusterTimer = setInterval(() => this.sendCluster(), this.opts.clusterIntervalMs ?? 10_000);
      this.clusterTimer.unref();
    }
    if (this.txRelay.enabled) {
      this.txQueueTimer = setInterval(() => this.sendTxQueues(), this.opts.txReduceRelay!.queueIntervalMs);
      this.txQueueTimer.unref();
    }
  }

  stop(): void {
    this.vpRelay.stop();
    clearInterval(this.txQueueTimer);
    clearInterval(this.clusterTimer);
  }

  onPeerClosed(id: number): void {
    this.vpRelay.onPeerClosed(id);
    this.txRelay.onPeerClosed(id);
  }

  /** Counts a message we sent (Peer's onSent). */
  onSent(type: number, bytes: number, msg: PeerMessage | undefined): void {
    this.traffic.addMessage(type, msg, false, bytes);
  }

  /** Counts a message received; true when it was one of these features' own and has been handled. */
  onMessage(peer: Peer, msg: PeerMessage, frame: RawFrame): boolean {
    this.traffic.addMessage(frame.type, msg, true, frame.wireBytes);
    if (this.txRelay.metricsOn) {
      const followed = txMetricOf(msg);
      if (followed) this.txRelay.metrics.addMessage(followed, frame.wireBytes);
    }
    if (msg.name === 'SQUELCH') this.onSquelch(peer, msg.message);
    else if (msg.name === 'CLUSTER') {
      if (peer.info.cluster) this.cluster.onCluster(msg.message);
      else peer.charge(Charge.useless, 'unknown cluster'); // rippled: feeUnwantedData
    } else if (msg.name === 'HAVE_TRANSACTIONS' || msg.name === 'TRANSACTIONS' || (msg.name === 'GET_OBJECTS' && msg.message.type === OT_TRANSACTIONS && msg.message.query)) {
      this.onTxReduceRelay(peer, msg);
    } else return false;
    return true;
  }

  private onSquelch(peer: Peer, m: TMSquelch): void {
    const r = this.vpRelay.onSquelch(peer, m);
    if (r.charge) peer.charge(r.charge, r.reason ?? 'squelch');
    else this.deps.log.debug({ peer: peer.info.n9, outcome: r.outcome, reason: r.reason }, 'squelch');
  }

  /** TMHaveTransactions, TMTransactions and requests for transactions by hash (tx reduce-relay). */
  private onTxReduceRelay(peer: Peer, msg: PeerMessage): void {
    if (msg.name === 'HAVE_TRANSACTIONS') {
      const r = this.txRelay.onHaveTransactions(peer, msg.message);
      if (!charged(peer, r) && r.request) peer.send('GET_OBJECTS', r.request);
    } else if (msg.name === 'GET_OBJECTS') {
      const r = this.txRelay.onGetTransactions(peer, msg.message);
      if (!charged(peer, r) && r.reply) peer.send('TRANSACTIONS', r.reply);
    } else if (msg.name === 'TRANSACTIONS') {
      const r = this.txRelay.onTransactions(peer, msg.message);
      if (charged(peer, r)) return;
      for (const tx of r.transactions ?? []) {
        if (peer.closed) return;
        const payload = encodeMessage('TRANSACTION', tx);
        this.deps.relay(peer, { name: 'TRANSACTION', type: MessageType.TRANSACTION, message: tx }, { type: MessageType.TRANSACTION, payload, compressed: false, wireBytes: payload.length });
      }
    }
  }

  /** Our status (load fee: always normal, we run no transactions) and the members', to every member connected. */
  private sendCluster(): void {
    const m = this.cluster.report(LOAD_BASE);
    if (!m) return;
    for (const p of this.deps.peers()) if (p.info.cluster) p.send('CLUSTER', m);
  }

  /** Each peer's queued transaction hashes, in one TMHaveTransactions (rippled's sendTxQueue). */
  private sendTxQueues(): void {
    for (const { peerId, message } of this.txRelay.drainQueues()) this.deps.peer(peerId)?.send('HAVE_TRANSACTIONS', message);
  }
}

/** Charges the peer what a tx reduce-relay message cost it, if anything; true when it was charged. */
function charged(peer: Peer, r: TxReceipt): boolean {
  if (r.charge === undefined) return false;
  peer.charge(r.charge, (r as { reason: string }).reason);
  return true;
}
