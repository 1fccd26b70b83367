/**
 * Resource accounting for one peer, after rippled's Resource::Consumer: every message costs
 * something, bad behaviour costs more; the balance decays away over a window, and a peer whose
 * balance passes the drop threshold is disconnected.
 */

export const Charge = {
  trivial: { cost: 1, label: 'trivial' },
  useless: { cost: 150, label: 'useless' },
  malformed: { cost: 200, label: 'malformed' },
  moderate: { cost: 250, label: 'moderate' },
  invalidData: { cost: 400, label: 'invalid data' },
  heavy: { cost: 2000, label: 'heavy' },
  invalidSignature: { cost: 2000, label: 'invalid signature' },
} as const;

export type ChargeKind = (typeof Charge)[keyof typeof Charge];

export interface ResourceLimits {
  /** Balance above which a warning is logged (rippled: 5000). */
  warnThreshold: number;
  /** Balance above which the peer is dropped (rippled: 25000). */
  dropThreshold: number;
  /** Decay window in ms (rippled: 32 s). */
  decayWindowMs: number;
}

export const DEFAULT_RESOURCE_LIMITS: ResourceLimits = { warnThreshold: 5000, dropThreshold: 25000, decayWindowMs: 32_000 };

export type ChargeOutcome = 'ok' | 'warn' | 'drop';

/** A decaying balance: each charge adds, and the total shrinks linearly-in-proportion over the window. */
export class ResourceBalance {
  private value = 0;
  private updatedAt: number;

  constructor(
    private readonly limits: ResourceLimits = DEFAULT_RESOURCE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.updatedAt = now();
  }

  get balance(): number {
    this.decay();
    return Math.round(this.value);
  }

  charge(cost: number): ChargeOutcome {
    this.decay();
    this.value += cost;
    if (this.value >= this.limits.dropThreshold) return 'drop';
    if (this.value >= this.limits.warnThreshold) return 'warn';
    return 'ok';
  }

  private decay(): void {
    const t = this.now();
    const elapsed = t - this.updatedAt;
    if (elapsed <= 0) return;
    this.updatedAt = t;
    // Exponential decay with the window as its time constant: one window removes ~63%.
    this.value *= Math.exp(-elapsed / this.limits.decayWindowMs);
    if (this.value < 0.5) this.value = 0;
  }
}
