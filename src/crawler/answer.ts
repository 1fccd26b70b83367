/**
 * Reads one `/crawl` answer, rippled's or ours, into a plain shape the crawler can join.
 *
 * What differs between answers, and what this accepts:
 * - `port` as a number (ours) or a string (rippled 3.1.2); absent for inbound peers whose listening port
 *   the node does not know, and `ip` absent too for peers that asked for privacy;
 * - `ip` as `::ffff:a.b.c.d` (a v4 peer on a v6 socket) — written back as `a.b.c.d`;
 * - `public_key` as base64 of the 33-byte key (rippled and ours) or already as `n9…`;
 * - any section (`overlay`, `server`) missing, when the node's `[crawl]` switches it off.
 * Anything else that does not fit is skipped entry by entry: one bad peer does not lose the rest.
 */
import { isIP } from 'node:net';
import { decodeNodePublic, encodeNodePublic } from 'ripple-address-codec';
import { normalizeIp } from '../address/address.js';

export interface PeerReport {
  /** The neighbour's key, `n9…`. */
  key: string;
  /** How the answering node sees the link: `out` it dialled the neighbour, `in` the neighbour dialled it. */
  type: 'in' | 'out' | 'unknown';
  ip?: string;
  port?: number;
  version?: string;
  uptime?: number;
  completeLedgers?: string;
}

export interface ServerReport {
  key?: string;
  buildVersion?: string;
  serverState?: string;
  uptime?: number;
  completeLedgers?: string;
  networkId?: number;
  peers?: number;
}

export interface CrawlAnswer {
  server?: ServerReport;
  /** undefined when the answer has no `overlay` section (not the same as no peers). */
  peers?: PeerReport[];
  /** Entries left out, with why (bad key, bad port…). */
  skipped: number;
}

/** `n9…` from base64 (33 bytes) or from `n9…`; undefined when it is neither. */
export function nodeKeyText(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  if (value.startsWith('n')) {
    try {
      const bytes = decodeNodePublic(value);
      if (bytes.length === 33) return value;
    } catch {
      // not base58: may still be base64 that starts with 'n'
    }
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== 33 || (bytes[0] !== 0x02 && bytes[0] !== 0x03 && bytes[0] !== 0xed)) return undefined;
  return encodeNodePublic(bytes);
}

/** A port given as 51235 or "51235"; undefined when absent or not 1..65535. */
export function portValue(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

export function ipValue(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(text) === 0) return undefined;
  return normalizeIp(text);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readCrawlAnswer(body: unknown): CrawlAnswer {
  const answer: CrawlAnswer = { skipped: 0 };
  if (!isObject(body)) return answer;
  if (isObject(body.server)) answer.server = readServer(body.server);
  const overlay = body.overlay;
  if (isObject(overlay) && Array.isArray(overlay.active)) {
    answer.peers = [];
    for (const entry of overlay.active) {
      const peer = isObject(entry) ? readPeer(entry) : undefined;
      if (peer) answer.peers.push(peer);
      else answer.skipped++;
    }
  }
  return answer;
}

function readServer(s: Record<string, unknown>): ServerReport {
  const out: ServerReport = {};
  const key = nodeKeyText(s.pubkey_node);
  if (key) out.key = key;
  const set = <K extends keyof ServerReport>(k: K, v: ServerReport[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('buildVersion', str(s.build_version));
  set('serverState', str(s.server_state));
  set('uptime', num(s.uptime));
  set('completeLedgers', str(s.complete_ledgers));
  set('networkId', num(s.network_id));
  set('peers', num(s.peers));
  return out;
}

function readPeer(e: Record<string, unknown>): PeerReport | undefined {
  const key = nodeKeyText(e.public_key);
  if (!key) return undefined;
  const peer: PeerReport = { key, type: e.type === 'in' || e.type === 'out' ? e.type : 'unknown' };
  const ip = ipValue(e.ip);
  if (ip) {
    peer.ip = ip;
    const port = portValue(e.port);
    if (port !== undefined) peer.port = port;
  }
  const version = str(e.version);
  if (version) peer.version = version;
  const uptime = num(e.uptime);
  if (uptime !== undefined) peer.uptime = uptime;
  const complete = str(e.complete_ledgers);
  if (complete) peer.completeLedgers = complete;
  return peer;
}
