/**
 * rippled's ValidatorSite: each [validator_list_sites] URL (https, http or file) is fetched at start
 * and then every refresh interval (5 minutes, or the site's `refresh_interval` in minutes, kept
 * within 1 minute and 24 hours); a failure is retried after 30 s; up to 3 redirects are followed;
 * a request gets 20 s. A site that is down is reported (validator_list_sites), never fatal.
 * The clock and the fetcher are injected so tests run in milliseconds.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import type { BlobInfo, ListStats } from './validator-list.js';
import { bestDisposition } from './validator-list.js';

export const SITE_DEFAULTS = {
  refreshMs: 5 * 60_000,
  minRefreshMs: 60_000,
  maxRefreshMs: 24 * 60 * 60_000,
  errorRetryMs: 30_000,
  requestTimeoutMs: 20_000,
  maxRedirects: 3,
} as const;

export type SiteTimers = typeof SITE_DEFAULTS;

export interface FetchResult {
  status: number;
  location?: string;
  body: string;
}

export type Fetcher = (url: string, timeoutMs: number) => Promise<FetchResult>;

interface SiteState {
  uri: string;
  /** The URL the last redirect pointed to (rippled keeps following it until the next refresh). */
  activeUri: string;
  refreshMs: number;
  nextRefresh: number;
  lastRefresh?: number;
  lastStatus?: string;
  lastMessage?: string;
  fetching: boolean;
}

export interface SitesOptions {
  uris: readonly string[];
  apply: (body: { manifest: string; version: number; blobs: BlobInfo[] }, uri: string) => ListStats;
  /** Milliseconds since the Unix epoch. */
  now?: () => number;
  fetch?: Fetcher;
  timers?: Partial<SiteTimers>;
  onError?: (uri: string, message: string) => void;
}

export class ValidatorSites {
  private readonly sites: SiteState[];
  private readonly now: () => number;
  private readonly fetcher: Fetcher;
  private readonly t: SiteTimers;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SitesOptions) {
    this.now = opts.now ?? Date.now;
    this.fetcher = opts.fetch ?? fetchUrl;
    this.t = { ...SITE_DEFAULTS, ...opts.timers };
    const start = this.now();
    this.sites = opts.uris.map((uri) => ({ uri, activeUri: uri, refreshMs: this.t.refreshMs, nextRefresh: start, fetching: false }));
  }

  start(intervalMs = 1000): void {
    if (this.sites.length === 0) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Fetches every site that is due; resolves when those fetches are done. */
  async tick(): Promise<void> {
    const due = this.sites.filter((s) => !s.fetching && s.nextRefresh <= this.now());
    await Promise.all(due.map((s) => this.refresh(s)));
  }

  private async refresh(site: SiteState): Promise<void> {
    site.fetching = true;
    try {
      let url = site.uri;
      let redirects = 0;
      for (;;) {
        const r = await this.get(url);
        if ([301, 302, 307, 308].includes(r.status)) {
          if (!r.location) throw new Error(`redirect without a Location from ${url}`);
          if (++redirects > this.t.maxRedirects) throw new Error('too many redirects');
          url = new URL(r.location, url).toString();
          continue;
        }
        if (r.status !== 200) throw new Error(`bad result code ${r.status}`);
        site.activeUri = url;
        this.parseAndApply(site, r.body);
        break;
      }
      site.lastRefresh = this.now();
      site.nextRefresh = site.lastRefresh + site.refreshMs;
    } catch (err) {
      const message = (err as Error).message;
      site.lastRefresh = this.now();
      site.lastStatus = 'invalid';
      site.lastMessage = message;
      site.nextRefresh = site.lastRefresh + this.t.errorRetryMs;
      this.opts.onError?.(site.uri, message);
    } finally {
      site.fetching = false;
    }
  }

  private async get(url: string): Promise<FetchResult> {
    if (url.startsWith('file:')) {
      return { status: 200, body: await readFile(fileURLToPath(url), 'utf8') };
    }
    return this.fetcher(url, this.t.requestTimeoutMs);
  }

  private parseAndApply(site: SiteState, text: string): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error('Unable to parse JSON response');
    }
    if (typeof body !== 'object' || body === null || typeof body.manifest !== 'string' || typeof body.version !== 'number') {
      throw new Error('Missing fields in JSON response');
    }
    const blobs = parseSiteBlobs(body);
    if (!blobs) throw new Error('Missing fields in JSON response');
    const stats = this.opts.apply({ manifest: body.manifest, version: body.version, blobs }, site.uri);
    site.lastStatus = bestDisposition(stats);
    delete site.lastMessage;
    if (typeof body.refresh_interval === 'number' && Number.isFinite(body.refresh_interval)) {
      site.refreshMs = Math.min(this.t.maxRefreshMs, Math.max(this.t.minRefreshMs, body.refresh_interval * 60_000));
    }
  }

  /** ValidatorSite::getJson's validator_sites. */
  json(): Record<string, unknown>[] {
    return this.sites.map((s) => {
      const o: Record<string, unknown> = {
        next_refresh_time: formatTime(s.nextRefresh),
        refresh_interval_min: Math.round(s.refreshMs / 60_000),
        uri: s.uri,
      };
      if (s.lastRefresh !== undefined) {
        o.last_refresh_status = s.lastStatus;
        o.last_refresh_time = formatTime(s.lastRefresh);
        if (s.lastMessage) o.last_refresh_message = s.lastMessage;
      }
      return o;
    });
  }
}

/** ValidatorList::parseBlobs for a site's JSON: v1 blob + signature, or v2 blobs_v2 (at most 5). */
export function parseSiteBlobs(body: Record<string, unknown>): BlobInfo[] | undefined {
  if (body.version === 1) {
    if (typeof body.blob !== 'string' || typeof body.signature !== 'string' || 'blobs_v2' in body) return undefined;
    return [{ blob: body.blob, signature: body.signature }];
  }
  const v2 = body.blobs_v2;
  if (!Array.isArray(v2) || v2.length > 5 || 'blob' in body || 'signature' in body) return undefined;
  const out: BlobInfo[] = [];
  for (const b of v2 as Record<string, unknown>[]) {
    if (typeof b !== 'object' || b === null || typeof b.blob !== 'string' || typeof b.signature !== 'string') return undefined;
    const info: BlobInfo = { blob: b.blob, signature: b.signature };
    if ('manifest' in b) {
      if (typeof b.manifest !== 'string') return undefined;
      info.manifest = b.manifest;
    }
    out.push(info);
  }
  return out;
}

/** rippled's to_string of a system_clock time point: "2026-Dec-02 17:27:00.123000000 UTC" (ours to the ms). */
export function formatTime(ms: number): string {
  return `${formatNetTime(Math.floor(ms / 1000) - 946_684_800).slice(0, -4)}.${String(ms % 1000).padStart(3, '0')}000000 UTC`;
}

/** rippled's to_string of a NetClock time point (seconds since 2000): "2026-Dec-02 17:27:00 UTC". */
export function formatNetTime(netSeconds: number): string {
  const ms = (netSeconds + 946_684_800) * 1000;
  const d = new Date(ms);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${mon}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`;
}

/** GET over http or https; a site's certificate is checked as any client checks it. */
export function fetchUrl(url: string, timeoutMs: number): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        // A validator list is a few hundred KiB at most; refuse to buffer without bound.
        if (size > 16 * 1024 * 1024) req.destroy(new Error('response too large'));
        else chunks.push(c);
      });
      res.on('end', () => {
        const r: FetchResult = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') };
        if (typeof res.headers.location === 'string') r.location = res.headers.location;
        resolve(r);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}
