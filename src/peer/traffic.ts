/** Bytes and messages in and out, by message type, for one peer or summed over all of them. */
import { messageTypeName } from '../protocol/message-types.js';

export interface Counter {
  messages: number;
  bytes: number;
}

export class TrafficStats {
  readonly in = new Map<number, Counter>();
  readonly out = new Map<number, Counter>();
  bytesIn = 0;
  bytesOut = 0;

  record(direction: 'in' | 'out', type: number, wireBytes: number): void {
    const table = direction === 'in' ? this.in : this.out;
    let c = table.get(type);
    if (!c) table.set(type, (c = { messages: 0, bytes: 0 }));
    c.messages++;
    c.bytes += wireBytes;
    if (direction === 'in') this.bytesIn += wireBytes;
    else this.bytesOut += wireBytes;
  }

  /** Rows for reports: type name (or "unknown_<id>"), direction, messages, bytes. */
  rows(): { type: string; direction: 'in' | 'out'; messages: number; bytes: number }[] {
    const out: { type: string; direction: 'in' | 'out'; messages: number; bytes: number }[] = [];
    for (const [direction, table] of [['in', this.in], ['out', this.out]] as const) {
      for (const [type, c] of table) out.push({ type: messageTypeName(type) ?? `unknown_${type}`, direction, ...c });
    }
    return out;
  }
}
