/**
 * Peer reservations (rippled's peer_reservations_add/_del/_list): node keys that always get a slot,
 * inbound or outbound, kept in the data directory across restarts.
 */
import { join } from 'node:path';
import { decodeNodePublic } from '../identity/node-key.js';
import { readJson, writeJsonAtomic } from './persist.js';

/** The file in the data directory that holds the table. */
export const RESERVATIONS_FILE = 'peer-reservations.json';

export interface Reservation {
  node: string;
  description?: string;
}

export class Reservations {
  private readonly byKey = new Map<string, Reservation>();
  private readonly path: string | undefined;

  /** With no data directory the table lives in memory only. */
  constructor(dataDir?: string) {
    this.path = dataDir ? join(dataDir, RESERVATIONS_FILE) : undefined;
    if (this.path) {
      for (const r of readJson<Reservation[]>(this.path, [])) {
        if (typeof r?.node === 'string') this.byKey.set(r.node, r);
      }
    }
  }

  has(n9: string): boolean {
    return this.byKey.has(n9);
  }

  list(): Reservation[] {
    return [...this.byKey.values()].sort((a, b) => a.node.localeCompare(b.node));
  }

  /** Adds or replaces; returns the previous entry. Throws on a malformed key. */
  add(n9: string, description?: string): Reservation | undefined {
    decodeNodePublic(n9);
    const previous = this.byKey.get(n9);
    const entry: Reservation = description === undefined ? { node: n9 } : { node: n9, description };
    this.byKey.set(n9, entry);
    this.save();
    return previous;
  }

  /** Removes; returns the removed entry. */
  remove(n9: string): Reservation | undefined {
    const previous = this.byKey.get(n9);
    if (previous) {
      this.byKey.delete(n9);
      this.save();
    }
    return previous;
  }

  private save(): void {
    if (this.path) writeJsonAtomic(this.path, this.list());
  }
}
