/**
 * Resource accounting for one peer, after rippled's Resource::Consumer: every message costs
 * something, bad behaviour costs more; the balance decays away over a window, and a peer whose
 * normalised balance reaches the drop threshold is disconnected.
 */

export const Charge = {
  trivial: { cost: 1, label: 'trivial' },
  requestNoReply: { cost: 10, label: 'unsatisfiable request' },
  useless: { cost: 150, label: 'useless' },
  malformed: { cost: 200, label: 'malformed' },
  moderate: { cost: 250, label: 'moderate' },
  invalidData: { cost: 400, label: 'invalid data' },
  heavy: { cost: 2000, label: 'heavy' },
  invalidSignature: { cost: 2000, label: 'invalid signature' },
} as const;

export type ChargeKind = (typeof Charge)[keyof typeof Charge];

export interface ResourceLimits {
  /** Normalised balance at which a warning is logged (rippled: 5000). */
  warnThreshold: number;
  /** Normalised balance at which the peer is dropped (rippled: 25000). */
  dropThreshold: number;
  /** Decay window in ms (rippled: 32 s). */
  decayWindowMs: number;
}

export const DEFAULT_RESOURCE_LIMITS: ResourceLimits = { warnThreshold: 5000, dropThreshold: 25000, decayWindowMs: 32_000 };

export type ChargeOutcome = 'ok' | 'warn' | 'drop';

/** rippled ages balances on a clock that ticks once a second (basic_seconds_clock). */
const TICK_MS = 1000;

/**
 * A peer's charge balance, as rippled's Resource::Entry keeps it in a DecayingSample<32 s>:
 *
 * - the raw sum is an integer; each charge adds its cost;
 * - time is counted in whole ticks of the clock; for every tick that has passed, the sum loses
 *   ceil(sum / W), W being the window in ticks (32); after more than 4 W ticks it is simply zeroed;
 * - the balance — what the thresholds are compared with, and what admin `peers` shows as `load` —
 *   is floor(sum / W): a steady charge of c per second settles near c, and a burst of B in one
 *   second counts B / 32.
 *
 * The window stays configurable: it is split into whole one-second ticks (at least one), so any
 * whole-second window behaves exactly like rippled built with that window; a shorter one (tests)
 * is a single tick of that length.
 */
export class ResourceBalance {
  /** Raw sum, in cost units (rippled's m_value). */
  private sum = 0;
  /** Clock reading, in whole ticks, at which `sum` was last aged. */
  private agedAt: number;
  /** Ticks in one window: both the decay divisor and the normaliser. */
  private readonly window: number;
  private readonly tickMs: number;

  constructor(
    private readonly limits: ResourceLimits = DEFAULT_RESOURCE_LIMITS,
    /** Milliseconds on a monotonic clock (rippled ages on steady_clock). */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.window = Math.max(1, Math.round(limits.decayWindowMs / TICK_MS));
    this.tickMs = limits.decayWindowMs / this.window;
    this.agedAt = this.ticks();
  }

  /** The normalised balance (rippled's Consumer::balance, shown as `load` by admin `peers`). */
  get balance(): number {
    this.decay();
    return Math.floor(this.sum / this.window);
  }

  /** Adds a charge; the outcome compares the normalised balance with the thresholds, as rippled's Logic::charge does. */
  charge(cost: number): ChargeOutcome {
    this.decay();
    this.sum += Math.max(0, Math.round(cost));
    const balance = Math.floor(this.sum / this.window);
    if (balance >= this.limits.dropThreshold) return 'drop';
    if (balance >= this.limits.warnThreshold) return 'warn';
    return 'ok';
  }

  private ticks(): number {
    return Math.floor(this.now() / this.tickMs);
  }

  private decay(): void {
    const t = this.ticks();
    const elapsed = t - this.agedAt;
    if (elapsed <= 0) return;
    this.agedAt = t;
    if (this.sum === 0) return;
    if (elapsed > 4 * this.window) {
      this.sum = 0;
      return;
    }
    for (let i = 0; i < elapsed && this.sum > 0; i++) this.sum -= Math.ceil(this.sum / this.window);
  }
}
