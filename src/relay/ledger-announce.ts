/**
 * Which ledger this node announces. It holds no ledgers, so it repeats the newest accepted ledger
 * that most of its peers have reached: rippled peers then count it as tracking the network, and no
 * single peer can make it announce a ledger far ahead (and look diverged to every other peer).
 */
import { networkTimeNow } from '../protocol/handshake.js';
import { NodeEvent, type TMStatusChange } from '../protocol/messages.js';
import type { Peer, PeerLedgerStatus } from '../peer/peer.js';
import type { ValidatedLedger } from '../monitor/validated-ledger.js';
import { REFERENCE_MAX_AGE_MS } from './ledger-tracking.js';

/**
 * Whether a peer's status makes a new ledger to announce: an accepted ledger no newer than the
 * lower median of the peers' ledgers, and newer than the one we announce (or than the median,
 * should ours be ahead of it). Each sequence is announced once.
 */
export function isNewAnnouncement(s: PeerLedgerStatus, announced: number | undefined, peerSeqs: number[]): boolean {
  if (s.event !== NodeEvent.ACCEPTED_LEDGER || s.ledgerSeq === undefined || !s.ledgerHash) return false;
  const majority = lowerMedian(peerSeqs);
  if (majority === undefined || s.ledgerSeq > majority) return false;
  return !(announced !== undefined && announced >= s.ledgerSeq && announced <= majority);
}

/** What we repeat of a peer's accepted ledger: no ledger range, since we hold no ledgers. */
export function statusMessage(s: PeerLedgerStatus): TMStatusChange {
  return {
    newEvent: NodeEvent.ACCEPTED_LEDGER,
    ledgerSeq: s.ledgerSeq,
    ledgerHash: s.ledgerHash,
    ledgerHashPrevious: s.previousHash,
    networkTime: s.networkTime ?? networkTimeNow(),
  };
}

/** The lower median: with an even count, the smaller middle value (a lone outlier cannot lift it). */
export function lowerMedian(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** The newest accepted ledger any peer told us of that we announce, and how far a peer is from it. */
export class LedgerAnnouncer {
  latest: PeerLedgerStatus | undefined;
  /** Whether `latest` came from a quorum of trusted validations (then preferred to peers' statuses). */
  fromQuorum = false;

  /** Takes a peer's status; true when it is a new ledger to announce (it is then `latest`). */
  onStatus(s: PeerLedgerStatus, peers: Iterable<Peer>, now = Date.now()): boolean {
    // A ledger validated by a quorum of trusted validators is preferred while fresh (rippled's 2 min).
    if (this.fromQuorum && this.latest && now - this.latest.updatedAt < REFERENCE_MAX_AGE_MS) return false;
    const seqs = [...peers].flatMap((p) => (p.ledger.ledgerSeq === undefined ? [] : [p.ledger.ledgerSeq]));
    if (!isNewAnnouncement(s, this.latest?.ledgerSeq, seqs)) return false;
    this.fromQuorum = false;
    this.latest = s;
    return true;
  }

  /** The network's validated ledger (a quorum of trusted validations); true when it is new to announce. */
  onValidated(l: ValidatedLedger, now = Date.now()): boolean {
    if (this.latest?.ledgerSeq !== undefined && this.fromQuorum && this.latest.ledgerSeq >= l.seq) return false;
    this.latest = { event: NodeEvent.ACCEPTED_LEDGER, ledgerSeq: l.seq, ledgerHash: Buffer.from(l.hash, 'hex'), updatedAt: now };
    this.fromQuorum = true;
    return true;
  }

  /** A peer whose ledger is far from the network's is not trusted with addresses (rippled: unless converged). */
  isDiverged(peer: Peer): boolean {
    const ours = this.latest?.ledgerSeq;
    const theirs = peer.ledger.ledgerSeq;
    return ours !== undefined && theirs !== undefined && Math.abs(ours - theirs) > 24;
  }
}
