/**
 * The validator monitor: every verified validation off the wire goes in; out come the network's
 * validated ledger (quorum of trusted validators, as rippled's LedgerMaster decides it), a view of
 * each validator by master key (last ledger, agreement, missed ledgers, version, votes, domain) and
 * the amendment shares across the trusted set. State over time uses an injected clock; memory is
 * bounded (validators, recent sequences, settled ledgers).
 */
import { EventEmitter } from 'node:events';
import { encodeNodePublic } from 'ripple-address-codec';
import { AgreementRecord, type LedgerOutcome, type Outcome } from './agreement.js';
import { isCurrentValidation, type ValidatedLedger, ValidatedLedgerTally } from './validated-ledger.js';
import { decodeValidation, type FeeVote, isVotingLedger, type Validation } from './validation.js';

/** What the monitor needs to know of the validators (the validators hub provides it). */
export interface ValidatorDirectory {
  /** The master key (hex, upper case) of a signing key, else the key itself. */
  masterOf(signingKeyHex: string): string;
  /** Trusted master keys (hex, upper case). */
  trusted(): string[];
  quorum(): number;
  domain(masterHex: string): string | undefined;
}

export interface MonitoredValidation extends Validation {
  /** Master key, n9 and hex. */
  masterKey: string;
  masterKeyHex: string;
  trusted: boolean;
  /** Seen within rippled's current window (isCurrent). */
  current: boolean;
}

/** A validated ledger once settled: who validated it, who validated another ledger, who missed it. */
export interface LedgerVerdict {
  seq: number;
  hash: string;
  /** Unix ms when the quorum was reached. */
  at: number;
  quorum: number;
  /** Master keys (n9). */
  validators: string[];
  disagreed: string[];
  missed: string[];
}

export interface AmendmentShare {
  amendment: string;
  votes: number;
  /** Trusted validators whose voting-ledger validation we hold. */
  of: number;
  share: number;
  /** Votes reach rippled's 80 % threshold (max(1, floor(of × 80 / 100))). */
  majority: boolean;
}

export interface Votes {
  ledgerSeq: number;
  amendments: string[];
  fees?: FeeVote;
}

interface ValidatorState {
  masterHex: string;
  signingKey?: string;
  lastSeq?: number;
  lastHash?: string;
  lastFull?: boolean;
  lastSeenAt?: number;
  serverVersion?: string;
  full: number;
  partial: number;
  /** seq → hash of its recent validations (the first per sequence). */
  recent: Map<number, string>;
  record: AgreementRecord;
  votes?: Votes;
}

export interface MonitorEvents {
  validation: [v: MonitoredValidation];
  /** The tally reached a quorum for a newer ledger (what server_info and our status report). */
  quorum: [v: ValidatedLedger];
  /** A validated ledger's verdict, once the next one is validated or `settleMs` has passed. */
  validatedLedger: [v: LedgerVerdict];
  amendmentMajority: [a: AmendmentShare];
}

export interface MonitorOptions {
  directory: ValidatorDirectory;
  /** Unix ms. */
  now?: () => number;
  /** A validated ledger is settled this long after its quorum at the latest (default 10 s). */
  settleMs?: number;
  /** At most this many validators are followed; the longest silent untrusted one goes first (1000). */
  maxValidators?: number;
  /** An untrusted validator is judged on each ledger while seen this recently (default 300 s). */
  untrustedActiveMs?: number;
}

const RECENT_SEQS = 512;
const RIPPLE_EPOCH_MS = 946_684_800_000;
const n9 = (hex: string) => encodeNodePublic(Buffer.from(hex, 'hex'));

export class ValidatorMonitor extends EventEmitter<MonitorEvents> {
  readonly tally: ValidatedLedgerTally;
  readonly now: () => number;
  private readonly validators = new Map<string, ValidatorState>();
  /** Validated ledgers not yet settled, oldest first. */
  private pending: ValidatedLedger[] = [];
  private majorities = new Map<string, boolean>();
  private shares: AmendmentShare[] = [];
  private readonly settleMs: number;
  private readonly maxValidators: number;
  private readonly activeMs: number;
  /** Changed since the history was last written. */
  dirty = false;

  constructor(readonly opts: MonitorOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.settleMs = opts.settleMs ?? 10_000;
    this.maxValidators = opts.maxValidators ?? 1000;
    this.activeMs = opts.untrustedActiveMs ?? 300_000;
    this.tally = new ValidatedLedgerTally({ quorum: () => opts.directory.quorum(), now: this.now });
  }

  get validated(): ValidatedLedger | undefined {
    return this.tally.validated;
  }

  /** A verified validation (raw STValidation or already decoded). */
  onValidation(input: Uint8Array | Validation): MonitoredValidation | undefined {
    const v = input instanceof Uint8Array ? decodeValidation(input) : input;
    if (!v) return undefined;
    const dir = this.opts.directory;
    const masterHex = dir.masterOf(v.signingKeyHex).toUpperCase();
    const trusted = dir.trusted().includes(masterHex);
    const now = this.now();
    const current = isCurrentValidation(v.signingTime, Math.floor((now - RIPPLE_EPOCH_MS) / 1000));
    const mv: MonitoredValidation = { ...v, masterKey: n9(masterHex), masterKeyHex: masterHex, trusted, current };
    const s = this.state(masterHex, trusted);
    s.signingKey = v.signingKey;
    s.lastSeenAt = now;
    if (v.full) s.full++;
    else s.partial++;
    if (v.serverVersion) s.serverVersion = v.serverVersion;
    if (v.ledgerSeq !== undefined) {
      if (!s.recent.has(v.ledgerSeq)) {
        s.recent.set(v.ledgerSeq, v.ledgerHash);
        if (s.recent.size > RECENT_SEQS) s.recent.delete(s.recent.keys().next().value!);
      }
      if (s.lastSeq === undefined || v.ledgerSeq >= s.lastSeq) {
        s.lastSeq = v.ledgerSeq;
        s.lastHash = v.ledgerHash;
        s.lastFull = v.full;
      }
      if (v.full && isVotingLedger(v.ledgerSeq)) {
        s.votes = { ledgerSeq: v.ledgerSeq, amendments: v.amendments ?? [], ...(v.fees ? { fees: v.fees } : {}) };
      }
    }
    this.dirty = true;
    this.emit('validation', mv);
    if (trusted && current && v.full && v.ledgerSeq !== undefined) {
      const reached = this.tally.add(masterHex, v.ledgerSeq, v.ledgerHash);
      if (reached) {
        // A newer validated ledger settles every earlier one.
        this.settle(reached.seq);
        this.pending.push(reached);
        this.emit('quorum', reached);
      }
    }
    return mv;
  }

  /** Settles validated ledgers past `settleMs` (call about once a second). */
  tick(): void {
    const cutoff = this.now() - this.settleMs;
    while (this.pending.length && this.pending[0]!.at <= cutoff) this.settleOne(this.pending.shift()!);
  }

  private settle(beforeSeq: number): void {
    while (this.pending.length && this.pending[0]!.seq < beforeSeq) this.settleOne(this.pending.shift()!);
  }

  private settleOne(l: ValidatedLedger): void {
    const now = this.now();
    const trusted = new Set(this.opts.directory.trusted());
    const verdict: LedgerVerdict = { seq: l.seq, hash: l.hash, at: l.at, quorum: l.quorum, validators: [], disagreed: [], missed: [] };
    for (const s of this.validators.values()) {
      const judged = trusted.has(s.masterHex) || (s.lastSeenAt !== undefined && now - s.lastSeenAt <= this.activeMs);
      if (!judged) continue;
      const theirs = s.recent.get(l.seq);
      const outcome: Outcome = theirs === undefined ? 'missed' : theirs === l.hash ? 'agreed' : 'disagreed';
      s.record.record(l.seq, outcome, now);
      const key = n9(s.masterHex);
      (outcome === 'agreed' ? verdict.validators : outcome === 'disagreed' ? verdict.disagreed : verdict.missed).push(key);
    }
    // Trusted validators never heard from missed it too.
    for (const m of trusted) {
      if (this.validators.has(m)) continue;
      this.state(m, true).record.record(l.seq, 'missed', now);
      verdict.missed.push(n9(m));
    }
    for (const list of [verdict.validators, verdict.disagreed, verdict.missed]) list.sort();
    this.dirty = true;
    if (isVotingLedger(l.seq)) this.updateAmendments(l.seq);
    this.emit('validatedLedger', verdict);
  }

  private state(masterHex: string, trusted: boolean): ValidatorState {
    let s = this.validators.get(masterHex);
    if (s) return s;
    if (this.validators.size >= this.maxValidators) this.evict(trusted);
    s = { masterHex, full: 0, partial: 0, recent: new Map(), record: new AgreementRecord() };
    this.validators.set(masterHex, s);
    return s;
  }

  /** Makes room: the untrusted validator silent longest goes (a trusted one only for another trusted one). */
  private evict(forTrusted: boolean): void {
    const trusted = new Set(this.opts.directory.trusted());
    let victim: ValidatorState | undefined;
    for (const s of this.validators.values()) {
      if (trusted.has(s.masterHex) && !forTrusted) continue;
      if (!victim || (s.lastSeenAt ?? 0) < (victim.lastSeenAt ?? 0)) victim = s;
    }
    if (victim) this.validators.delete(victim.masterHex);
  }

  /** Shares of each amendment among the trusted validators' votes on the newest voting ledger. */
  private updateAmendments(votingSeq: number): void {
    const trusted = this.opts.directory.trusted();
    const ballots = trusted.flatMap((m) => {
      const v = this.validators.get(m)?.votes;
      return v && v.ledgerSeq === votingSeq ? [v] : [];
    });
    const of = ballots.length;
    const counts = new Map<string, number>();
    for (const b of ballots) for (const a of new Set(b.amendments)) counts.set(a, (counts.get(a) ?? 0) + 1);
    const threshold = Math.max(1, Math.floor((of * 80) / 100));
    this.shares = [...counts.entries()]
      .map(([amendment, votes]) => ({ amendment, votes, of, share: Math.round((votes / of) * 100_000) / 100_000, majority: votes >= threshold }))
      .sort((a, b) => b.votes - a.votes || a.amendment.localeCompare(b.amendment));
    const seen = new Set<string>();
    for (const s of this.shares) {
      seen.add(s.amendment);
      if ((this.majorities.get(s.amendment) ?? false) !== s.majority) this.emit('amendmentMajority', s);
      this.majorities.set(s.amendment, s.majority);
    }
    for (const [a, was] of this.majorities) {
      if (seen.has(a)) continue;
      if (was) this.emit('amendmentMajority', { amendment: a, votes: 0, of, share: 0, majority: false });
      this.majorities.delete(a);
    }
  }

  amendmentShares(): AmendmentShare[] {
    return this.shares;
  }

  /** Every followed validator, for reports and the history file. */
  states(): readonly ValidatorState[] {
    return [...this.validators.values()];
  }

  /** Puts back a validator's record from the history file. */
  restoreState(s: { masterHex: string; signingKey?: string; recent: Map<number, string>; lastSeq?: number; lastHash?: string; lastFull?: boolean; lastSeenAt?: number; serverVersion?: string; full: number; partial: number; record: AgreementRecord; votes?: Votes }): void {
    this.validators.set(s.masterHex, { ...s });
  }

  restoreShares(shares: AmendmentShare[]): void {
    this.shares = shares;
    for (const s of shares) this.majorities.set(s.amendment, s.majority);
  }

  /** Outcomes of a validator over the last 256 settled ledgers (tests, reports). */
  outcomes(masterHex: string): readonly LedgerOutcome[] {
    return this.validators.get(masterHex.toUpperCase())?.record.ledgers ?? [];
  }
}

export type { ValidatorState };
