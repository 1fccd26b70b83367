/**
 * The network's validated ledger from trusted validations, without holding ledgers: the newest
 * ledger for which at least a quorum of trusted validators sent current, full validations of the
 * same sequence and hash. This is what rippled's LedgerMaster::checkAccept decides on each trusted
 * validation (numTrustedForLedger ≥ quorum, never going back to an older sequence), with
 * Validations.h's isCurrent deciding which validations still count.
 */

/** rippled's ValidationParms defaults (seconds). */
export const VALIDATION_CURRENT_WALL = 5 * 60;
export const VALIDATION_CURRENT_EARLY = 3 * 60;

/** isCurrent without a seen time: signed no more than EARLY ago and no more than WALL ahead. */
export function isCurrentValidation(signingTime: number, netNow: number): boolean {
  return signingTime > netNow - VALIDATION_CURRENT_EARLY && signingTime < netNow + VALIDATION_CURRENT_WALL;
}

export interface ValidatedLedger {
  seq: number;
  hash: string;
  /** Unix ms when the quorum was reached. */
  at: number;
  /** Master keys (hex) of the trusted validators that validated it when the quorum was reached. */
  validators: string[];
  quorum: number;
}

export interface TallyOptions {
  /** The current quorum (4294967295 / MAX_SAFE_INTEGER while there is none). */
  quorum: () => number;
  /** Unix ms. */
  now: () => number;
  /** Sequences kept ahead of the validated one (bounds memory against far-future sequences). */
  window?: number;
}

/** Trusted full validations per (sequence, hash), and the validated ledger they make. */
export class ValidatedLedgerTally {
  private readonly bySeq = new Map<number, Map<string, Set<string>>>();
  private current: ValidatedLedger | undefined;
  private readonly window: number;

  constructor(private readonly opts: TallyOptions) {
    this.window = opts.window ?? 256;
  }

  get validated(): ValidatedLedger | undefined {
    return this.current;
  }

  /** Restores a validated ledger (from the history file); tallies start empty. */
  restore(v: ValidatedLedger): void {
    if (!this.current || v.seq > this.current.seq) this.current = v;
  }

  /**
   * A current, full validation from the trusted validator `master`: the new validated ledger when
   * this one makes a quorum for a ledger newer than ours, else undefined.
   */
  add(master: string, seq: number, hash: string): ValidatedLedger | undefined {
    // A validated ledger older than rippled's validation wall (5 min) no longer holds lower sequences
    // back: after a long outage, a restart from an old history file or a network reset, the quorum decides.
    const fresh = this.current && this.opts.now() - this.current.at < VALIDATION_CURRENT_WALL * 1000;
    const base = fresh ? this.current!.seq : 0;
    if (seq <= base) return undefined;
    // Far ahead of a fresh validated ledger: not a ledger the network is about to validate; not counted,
    // so the tallies stay within `window` sequences.
    if (fresh && seq > base + this.window) return undefined;
    let hashes = this.bySeq.get(seq);
    if (!hashes) this.bySeq.set(seq, (hashes = new Map()));
    // One validation per validator per sequence: a second, different hash for the same sequence
    // replaces nothing (rippled keeps the first and reports the conflict).
    for (const [h, set] of hashes) if (h !== hash && set.has(master)) return undefined;
    let set = hashes.get(hash);
    if (!set) hashes.set(hash, (set = new Set()));
    set.add(master);
    if (this.bySeq.size > this.window) this.prune(0);
    const quorum = this.opts.quorum();
    if (set.size < quorum) return undefined;
    this.current = { seq, hash, at: this.opts.now(), validators: [...set].sort(), quorum };
    this.prune(seq + 1);
    return this.current;
  }

  /** Drops tallies below `minSeq`, and keeps at most `window` sequences. */
  private prune(minSeq: number): void {
    for (const s of this.bySeq.keys()) if (s < minSeq) this.bySeq.delete(s);
    if (this.bySeq.size > this.window) {
      const seqs = [...this.bySeq.keys()].sort((a, b) => a - b);
      for (const s of seqs.slice(0, seqs.length - this.window)) this.bySeq.delete(s);
    }
  }

  /** How many sequences are tallied (for tests of the bound). */
  get size(): number {
    return this.bySeq.size;
  }
}
