/** Bytes and messages in and out, by message type, for one peer or summed over all of them. */
import { messageTypeName } from '../protocol/message-types.js';

export interface Counter {
  messages: number;
  bytes: number;
}

/**
 * The one key every type we do not know is counted under, so that a peer sending made-up type
 * numbers cannot grow the tables (rippled's TrafficCount has a single "unknown" category too).
 */
export const UNKNOWN_TRAFFIC = 'unknown';

/** A known type number, or the unknown bucket. */
export type TrafficKey = number | typeof UNKNOWN_TRAFFIC;

/** Where a frame of this type is counted: its own number when known, otherwise the unknown bucket. */
export function trafficKey(type: number): TrafficKey {
  return messageTypeName(type) === undefined ? UNKNOWN_TRAFFIC : type;
}

/** Report label of a key: the type's name, or "unknown". */
export function trafficLabel(key: TrafficKey): string {
  return key === UNKNOWN_TRAFFIC ? UNKNOWN_TRAFFIC : (messageTypeName(key) ?? UNKNOWN_TRAFFIC);
}

const NONE: ReadonlyMap<TrafficKey, Counter> = new Map();

export class TrafficStats {
  /** Made on the first frame each way: most of an idle peer's life has none. */
  private inTable: Map<TrafficKey, Counter> | undefined;
  private outTable: Map<TrafficKey, Counter> | undefined;
  bytesIn = 0;
  bytesOut = 0;

  /** At most one entry per known type, plus `UNKNOWN_TRAFFIC`. */
  get in(): ReadonlyMap<TrafficKey, Counter> {
    return this.inTable ?? NONE;
  }

  get out(): ReadonlyMap<TrafficKey, Counter> {
    return this.outTable ?? NONE;
  }

  record(direction: 'in' | 'out', type: number, wireBytes: number): void {
    const table = direction === 'in' ? (this.inTable ??= new Map()) : (this.outTable ??= new Map());
    const key = trafficKey(type);
    let c = table.get(key);
    if (!c) table.set(key, (c = { messages: 0, bytes: 0 }));
    c.messages++;
    c.bytes += wireBytes;
    if (direction === 'in') this.bytesIn += wireBytes;
    else this.bytesOut += wireBytes;
  }

  /** Rows for reports: type name (or "unknown" for every type we do not know), direction, messages, bytes. */
  rows(): { type: string; direction: 'in' | 'out'; messages: number; bytes: number }[] {
    const out: { type: string; direction: 'in' | 'out'; messages: number; bytes: number }[] = [];
    for (const [direction, table] of [['in', this.in], ['out', this.out]] as const) {
      for (const [key, c] of table) out.push({ type: trafficLabel(key), direction, ...c });
    }
    return out;
  }
}
