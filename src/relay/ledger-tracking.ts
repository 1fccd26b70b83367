/**
 * Whether a peer follows the same ledger chain as the one we announce: rippled's per-peer
 * `tracking_` (PeerImp::checkTracking) and the "Not useful" rule of PeerImp::onTimer. Pure state
 * and rules with the time passed in, so the timing is unit-tested without sockets.
 */

export type Tracking = 'unknown' | 'converged' | 'diverged';

/** rippled's Tuning::convergedLedgerLimit: closer than this is converged. */
export const CONVERGED_LEDGER_LIMIT = 24;
/** rippled's Tuning::divergedLedgerLimit: farther than this is diverged. */
export const DIVERGED_LEDGER_LIMIT = 128;
/** rippled judges a peer's status only while its own validated ledger is younger than this (2 min). */
export const REFERENCE_MAX_AGE_MS = 120_000;

export interface UsefulnessLimits {
  /** [overlay] max_unknown_time (rippled: 600 s). */
  maxUnknownTimeMs: number;
  /** [overlay] max_diverged_time (rippled: 300 s). */
  maxDivergedTimeMs: number;
}

export class PeerTracking {
  state: Tracking = 'unknown';
  /** When the state last became unknown (connection) or diverged; converging leaves it alone, as rippled. */
  since: number;

  constructor(now: number) {
    this.since = now;
  }

  /** Compare a ledger sequence of the peer with our reference sequence (checkTracking(seq1, seq2)). */
  check(peerSeq: number, ourSeq: number, now: number): void {
    const diff = Math.abs(peerSeq - ourSeq);
    if (diff < CONVERGED_LEDGER_LIMIT) this.state = 'converged';
    if (diff > DIVERGED_LEDGER_LIMIT && this.state !== 'diverged') {
      this.state = 'diverged';
      this.since = now;
    }
  }

  /** PeerImp::onTimer: an outbound peer unknown or diverged past its limit is dropped as "Not useful". */
  notUseful(outbound: boolean, now: number, limits: UsefulnessLimits): boolean {
    if (!outbound || this.state === 'converged') return false;
    const limit = this.state === 'diverged' ? limits.maxDivergedTimeMs : limits.maxUnknownTimeMs;
    return now - this.since > limit;
  }
}

/** A bounded list of recent hashes, oldest dropped first (rippled's boost::circular_buffer of 128). */
export class RecentHashes {
  private readonly list: string[] = [];

  constructor(private readonly capacity = 128) {}

  /** Adds a hash; false when it was there already. */
  add(hash: Buffer): boolean {
    const hex = hash.toString('hex');
    if (this.list.includes(hex)) return false;
    this.list.push(hex);
    if (this.list.length > this.capacity) this.list.shift();
    return true;
  }

  has(hash: Buffer): boolean {
    return this.list.includes(hash.toString('hex'));
  }
}
