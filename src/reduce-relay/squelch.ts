/**
 * The squelched side of validator reduce-relay (rippled's reduce_relay::Squelch): the validators a
 * peer asked us, by TMSquelch, not to relay to it, each until its squelch ends.
 */
import { REDUCE_RELAY } from './slots.js';

export type SquelchOutcome = 'squelched' | 'unsquelched' | 'bad-duration' | 'too-many';

/** Squelches one peer may hold at once: far more validators than any network has, and memory bounded. */
export const MAX_SQUELCHES_PER_PEER = 2048;

export class PeerSquelches {
  /** Validator key (hex) → when its squelch ends. */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly max = MAX_SQUELCHES_PER_PEER,
  ) {}

  /**
   * Apply a TMSquelch. A duration outside rippled's bounds [300 s, 3600 s] is refused and lifts any
   * squelch of that validator, as rippled's addSquelch does.
   */
  apply(validator: string, squelch: boolean, durationSeconds: number): SquelchOutcome {
    if (!squelch) {
      this.until.delete(validator);
      return 'unsquelched';
    }
    const ms = durationSeconds * 1000;
    if (ms < REDUCE_RELAY.minUnsquelchExpireMs || ms > REDUCE_RELAY.maxUnsquelchExpirePeersMs) {
      this.until.delete(validator);
      return 'bad-duration';
    }
    if (!this.until.has(validator) && this.until.size >= this.max) {
      this.dropEnded();
      if (this.until.size >= this.max) return 'too-many';
    }
    this.until.set(validator, this.now() + ms);
    return 'squelched';
  }

  /** True while the validator is squelched for this peer; an ended squelch is forgotten. */
  isSquelched(validator: string): boolean {
    const end = this.until.get(validator);
    if (end === undefined) return false;
    if (end > this.now()) return true;
    this.until.delete(validator);
    return false;
  }

  private dropEnded(): void {
    const now = this.now();
    for (const [k, end] of this.until) if (end <= now) this.until.delete(k);
  }

  get size(): number {
    return this.until.size;
  }
}
