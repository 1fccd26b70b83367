/**
 * What the admin API reports about peers beyond what a Peer keeps itself: whether each peer is
 * tracking the network (rippled's converged / unknown / diverged) and its recent transfer rates. Fed by the overlay's events and a one-second sampler.
 */
import type { Overlay } from '../overlay/overlay.js';
import type { Peer, PeerLedgerStatus } from '../peer/peer.js';

export type Tracking = 'converged' | 'unknown' | 'diverged';

/** rippled's Tuning::convergedLedgerLimit and divergedLedgerLimit. */
const CONVERGED_LEDGER_LIMIT = 24;
const DIVERGED_LEDGER_LIMIT = 128;
/** rippled compares with the validated ledger only while it is younger than two minutes. */
const REFERENCE_MAX_AGE_S = 120;
export interface PeerWatchOptions {
  /** [overlay] rate_sample_interval: sample every peer's byte counters this often (rippled: 1 s). */
  sampleIntervalMs: number;
  /** [overlay] rate_samples: samples behind the average rates (rippled: 30). */
  samples: number;
}

interface Sample {
  at: number;
  bytesIn: number;
  bytesOut: number;
}

export class PeerWatch {
  private readonly tracking = new WeakMap<Peer, Tracking>();
  private readonly samples = new WeakMap<Peer, Sample[]>();
  private readonly timer: NodeJS.Timeout;
  private readonly detach: () => void;

  constructor(
    private readonly overlay: Overlay,
    private readonly opts: PeerWatchOptions,
  ) {
    const onStatus = (peer: Peer, s: PeerLedgerStatus) => this.onStatus(peer, s);
    overlay.on('peerStatus', onStatus);
    this.detach = () => {
      overlay.off('peerStatus', onStatus);
    };
    this.timer = setInterval(() => this.sample(), opts.sampleIntervalMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.detach();
  }

  trackingOf(peer: Peer): Tracking {
    return this.tracking.get(peer) ?? 'unknown';
  }

  /** Average bytes per second received and sent over the last `samples` samples. */
  ratesOf(peer: Peer): { recv: number; sent: number } {
    const list = this.samples.get(peer);
    const now = { at: Date.now(), bytesIn: peer.traffic.bytesIn, bytesOut: peer.traffic.bytesOut };
    const first = list?.[0] ?? { at: peer.connectedAt, bytesIn: 0, bytesOut: 0 };
    const seconds = Math.max(1, (now.at - first.at) / 1000);
    return {
      recv: Math.floor((now.bytesIn - first.bytesIn) / seconds),
      sent: Math.floor((now.bytesOut - first.bytesOut) / seconds),
    };
  }

  private sample(): void {
    const at = Date.now();
    for (const peer of this.overlay.peers()) {
      let list = this.samples.get(peer);
      if (!list) this.samples.set(peer, (list = []));
      list.push({ at, bytesIn: peer.traffic.bytesIn, bytesOut: peer.traffic.bytesOut });
      if (list.length > this.opts.samples) list.shift();
    }
  }

  /**
   * rippled's checkTracking: a peer whose ledger is within 24 of the reference converges; one more
   * than 128 away diverges. Our reference is the newest ledger any peer reported as accepted (we
   * validate none ourselves); the overlay updates it after this event, so a peer that is the
   * first to report a ledger compares with itself.
   */
  private onStatus(peer: Peer, s: PeerLedgerStatus): void {
    if (s.ledgerSeq === undefined) return;
    const age = this.overlay.ledgerAgeSeconds();
    let reference = this.overlay.serverInfo().newest_peer_ledger?.seq;
    if (reference === undefined || age === undefined || age >= REFERENCE_MAX_AGE_S) {
      if (reference !== undefined) return;
      reference = s.ledgerSeq;
    }
    const diff = Math.abs(s.ledgerSeq - reference);
    if (diff < CONVERGED_LEDGER_LIMIT) this.tracking.set(peer, 'converged');
    if (diff > DIVERGED_LEDGER_LIMIT) this.tracking.set(peer, 'diverged');
  }
}
