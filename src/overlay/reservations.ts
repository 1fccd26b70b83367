/**
 * Peer reservations (rippled's peer_reservations_add/_del/_list): node keys that always get a slot,
 * inbound or outbound, kept in the data directory across restarts.
 */
import { join } from 'node:path';
import { decodeNodePublic } from '../identity/node-key.js';
import { describeJson, readJsonState, writeJsonAtomic } from '../identity/state-file.js';

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
      for (const r of readJsonState(this.path, [], parseReservations)) this.byKey.set(r.node, r);
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

/** The file's contents: a list of { node: <n9 key>, description?: <string> }, no key twice. */
function parseReservations(value: unknown): Reservation[] {
  if (!Array.isArray(value)) throw new Error(`expected a list of reservations, found ${describeJson(value)}`);
  const seen = new Set<string>();
  return value.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Error(`entry ${i}: expected an object, found ${describeJson(item)}`);
    const { node, description, ...rest } = item as Record<string, unknown>;
    if (typeof node !== 'string') throw new Error(`entry ${i}: "node" must be a node public key, found ${describeJson(node)}`);
    try {
      decodeNodePublic(node);
    } catch {
      throw new Error(`entry ${i}: "node" ${JSON.stringify(node.slice(0, 60))} is not a node public key`);
    }
    if (description !== undefined && typeof description !== 'string') throw new Error(`entry ${i}: "description" must be a string`);
    const extra = Object.keys(rest);
    if (extra.length) throw new Error(`entry ${i}: unknown field "${extra[0]}"`);
    if (seen.has(node)) throw new Error(`entry ${i}: ${node} is listed twice`);
    seen.add(node);
    return description === undefined ? { node } : { node, description };
  });
}
