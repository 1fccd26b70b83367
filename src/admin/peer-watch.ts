/**
 * What the admin API reports about peers beyond what a Peer keeps itself: whether each peer is
 * tracking the network (rippled's converged / unknown / diverged, as the overlay judges it for
 * routing and for max_unknown_time) and its recent transfer rates, from a one-second sampler.
 */
import type { Tracking } from '../relay/ledger-tracking.js';
import type { OverlayView } from '../overlay/view.js';
import type { Peer } from '../peer/peer.js';

export type { Tracking };

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
  private readonly samples = new WeakMap<Peer, Sample[]>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly overlay: OverlayView,
    private readonly opts: PeerWatchOptions,
  ) {
    this.timer = setInterval(() => this.sample(), opts.sampleIntervalMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  trackingOf(peer: Peer): Tracking {
    return this.overlay.ledgerRequests.trackingOf(peer);
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
}
