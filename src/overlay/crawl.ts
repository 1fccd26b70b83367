/**
 * GET /crawl in rippled's JSON shape. A peer that did not send `Crawl: public` is left out of
 * overlay.active by default, or listed without ip/port when `[crawl] private_peers = hide_address`.
 * A port is listed only when it is the peer's listening port: never an inbound ephemeral one.
 */
import type { Peer } from '../peer/peer.js';

export interface CrawlOptions {
  enabled: boolean;
  overlay: boolean;
  server: boolean;
  counts: boolean;
  unl: boolean;
  privatePeers: 'hide' | 'hide_address';
}

export interface CrawlSource {
  peers(): Peer[];
  serverInfo(): Record<string, unknown>;
}

export interface CrawlEntry {
  public_key: string;
  type: 'in' | 'out';
  uptime: number;
  version: string;
  complete_ledgers?: string;
  ip?: string;
  port?: number;
}

export function crawlEntry(peer: Peer, privatePeers: CrawlOptions['privatePeers']): CrawlEntry | undefined {
  const isPublic = peer.info.crawl.toLowerCase() === 'public';
  if (!isPublic && privatePeers === 'hide') return undefined;
  const entry: CrawlEntry = {
    public_key: peer.info.publicKey.toString('base64'),
    type: peer.info.direction,
    uptime: peer.uptimeSeconds,
    version: peer.info.version,
  };
  const complete = peer.completeLedgers;
  if (complete) entry.complete_ledgers = complete;
  if (isPublic) {
    entry.ip = peer.info.remoteIp;
    if (peer.info.listeningPort !== undefined) entry.port = peer.info.listeningPort;
  }
  return entry;
}

export function buildCrawl(source: CrawlSource, opts: CrawlOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { version: 2 };
  if (opts.overlay) {
    out.overlay = { active: source.peers().flatMap((p) => crawlEntry(p, opts.privatePeers) ?? []) };
  }
  if (opts.server) out.server = source.serverInfo();
  if (opts.counts) out.counts = { peers: source.peers().length };
  if (opts.unl) out.unl = { validator_sites: [], publisher_lists: [] };
  return out;
}
