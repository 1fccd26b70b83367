/**
 * One validator's record against the network's validated ledgers: the outcome for each settled
 * ledger (agreed, disagreed, missed) over the last 256 ledgers, and agreement counts over the last
 * hour and day in fixed buckets, so memory stays the same however long the node runs.
 */

export type Outcome = 'agreed' | 'disagreed' | 'missed';

export interface Counts {
  agreed: number;
  total: number;
}

interface Bucket {
  slot: number;
  agreed: number;
  total: number;
}

/** Fixed time buckets: `count` buckets of `widthMs` each. */
export class BucketWindow {
  readonly buckets: Bucket[];

  constructor(
    readonly widthMs: number,
    readonly count: number,
    buckets?: Bucket[],
  ) {
    this.buckets = buckets && buckets.length === count ? buckets : Array.from({ length: count }, () => ({ slot: -1, agreed: 0, total: 0 }));
  }

  add(now: number, agreed: boolean): void {
    const slot = Math.floor(now / this.widthMs);
    const b = this.buckets[slot % this.count]!;
    if (b.slot !== slot) Object.assign(b, { slot, agreed: 0, total: 0 });
    b.total++;
    if (agreed) b.agreed++;
  }

  counts(now: number): Counts {
    const slot = Math.floor(now / this.widthMs);
    const out = { agreed: 0, total: 0 };
    for (const b of this.buckets) {
      if (b.slot <= slot - this.count || b.slot > slot) continue;
      out.agreed += b.agreed;
      out.total += b.total;
    }
    return out;
  }
}

/** How many settled ledgers the per-ledger record keeps (the "last 256 ledgers" window). */
export const LEDGER_WINDOW = 256;

export interface LedgerOutcome {
  seq: number;
  outcome: Outcome;
}

export class AgreementRecord {
  /** Oldest first, at most LEDGER_WINDOW. */
  readonly ledgers: LedgerOutcome[];
  readonly hour: BucketWindow;
  readonly day: BucketWindow;
  totals = { agreed: 0, disagreed: 0, missed: 0 };

  constructor(saved?: { ledgers: LedgerOutcome[]; hour: Bucket[]; day: Bucket[]; totals: { agreed: number; disagreed: number; missed: number } }) {
    this.ledgers = saved?.ledgers.slice(-LEDGER_WINDOW) ?? [];
    this.hour = new BucketWindow(60_000, 60, saved?.hour);
    this.day = new BucketWindow(3_600_000, 24, saved?.day);
    if (saved) this.totals = { ...saved.totals };
  }

  record(seq: number, outcome: Outcome, now: number): void {
    this.ledgers.push({ seq, outcome });
    if (this.ledgers.length > LEDGER_WINDOW) this.ledgers.shift();
    this.totals[outcome]++;
    this.hour.add(now, outcome === 'agreed');
    this.day.add(now, outcome === 'agreed');
  }

  /** Agreement over the last 256 settled ledgers. */
  recent(): Counts {
    return { agreed: this.ledgers.filter((l) => l.outcome === 'agreed').length, total: this.ledgers.length };
  }

  /** Sequences within the last 256 settled ledgers with this outcome. */
  seqs(outcome: Outcome): number[] {
    return this.ledgers.filter((l) => l.outcome === outcome).map((l) => l.seq);
  }

  toJSON(): object {
    return { ledgers: this.ledgers, hour: this.hour.buckets, day: this.day.buckets, totals: this.totals };
  }
}

/** A fraction as rippled-style text with five decimals ("0.99609"), or undefined when nothing was counted. */
export function ratio(c: Counts): number | undefined {
  return c.total === 0 ? undefined : Math.round((c.agreed / c.total) * 100_000) / 100_000;
}
