/**
 * One shared timer for every peer's periodic tick (ping, send-queue check) instead of a setInterval
 * per peer: a timer costs a Timeout object, a closure and a place in the timer lists, per peer. The
 * period is cut into `slots` steps; a member joins the bucket that was just ticked, so it is ticked
 * between period − period/slots and period after it joined, then exactly every period. The timer
 * runs only while the wheel has members (and never holds the process open).
 */
export interface Ticking {
  tick(): void;
}

export class TickWheel {
  private readonly buckets: Set<Ticking>[];
  private readonly where = new Map<Ticking, number>();
  /** The bucket ticked last. */
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly periodMs: number,
    readonly slots = 16,
  ) {
    this.buckets = Array.from({ length: slots }, () => new Set<Ticking>());
  }

  get size(): number {
    return this.where.size;
  }

  add(member: Ticking): void {
    if (this.where.has(member)) return;
    this.buckets[this.cursor]!.add(member);
    this.where.set(member, this.cursor);
    if (!this.timer) {
      this.timer = setInterval(() => this.step(), this.periodMs / this.slots);
      this.timer.unref();
    }
  }

  remove(member: Ticking): void {
    const at = this.where.get(member);
    if (at === undefined) return;
    this.where.delete(member);
    this.buckets[at]!.delete(member);
    if (this.where.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private step(): void {
    this.cursor = (this.cursor + 1) % this.slots;
    const bucket = this.buckets[this.cursor]!;
    if (bucket.size === 0) return;
    // A copy: a member's tick may close it (removing it) or add another peer to this bucket.
    for (const member of [...bucket]) {
      if (this.where.get(member) === this.cursor) member.tick();
    }
  }
}

/** One wheel per period, shared by every peer ticking at that period. */
const wheels = new Map<number, TickWheel>();

export function wheelFor(periodMs: number): TickWheel {
  let w = wheels.get(periodMs);
  if (!w) wheels.set(periodMs, (w = new TickWheel(periodMs)));
  return w;
}
