/**
 * The daemon's scheduled crawl (`[crawl_network]`): the first `startDelayMs` after start, then
 * `intervalMs` after each crawl ends. Each crawl rewrites network.json/.graphml/.html in `outDir`
 * (atomically, so the admin port never serves half a file). Timers are injected for tests.
 */
import type { Logger } from 'pino';
import { type CrawlOptions, type CrawlResult, type CrawlSeed, crawlNetwork } from './bfs.js';
import { NETWORK_FILES, writeNetworkFiles } from './output.js';
import type { NetworkDocument } from './summary.js';
import { join } from 'node:path';

export interface ScheduleTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: ScheduleTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ScheduledCrawlOptions {
  intervalMs: number;
  startDelayMs: number;
  depth: number;
  concurrency: number;
  timeoutMs: number;
  maxNodes: number;
  maxAnswerBytes: number;
  outDir: string;
  /** Asked at each crawl (the node's own port is known only once it listens). */
  seeds(): CrawlSeed[];
  log: Logger;
  timers?: ScheduleTimers;
  /** For tests: the crawl itself. */
  crawl?: (seeds: CrawlSeed[], opts: CrawlOptions) => Promise<CrawlResult>;
}

export class ScheduledNetworkCrawl {
  private timer: unknown;
  private running: Promise<NetworkDocument | undefined> | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private lastDoc: NetworkDocument | undefined;
  private readonly timers: ScheduleTimers;

  constructor(private readonly opts: ScheduledCrawlOptions) {
    this.timers = opts.timers ?? REAL_TIMERS;
  }

  start(): void {
    this.schedule(this.opts.startDelayMs);
  }

  /** The summary of the last finished crawl. */
  get last(): NetworkDocument | undefined {
    return this.lastDoc;
  }

  /** Path of one of the map files, once a crawl has written them. */
  file(name: keyof typeof NETWORK_FILES): string | undefined {
    return this.lastDoc ? join(this.opts.outDir, NETWORK_FILES[name]) : undefined;
  }

  /** Crawls now (or joins the crawl in progress). */
  runNow(): Promise<NetworkDocument | undefined> {
    if (this.running) return this.running;
    this.running = this.crawlOnce().finally(() => {
      this.running = undefined;
      if (!this.stopped) this.schedule(this.opts.intervalMs);
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    await this.running?.catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.runNow();
    }, ms);
  }

  private async crawlOnce(): Promise<NetworkDocument | undefined> {
    const o = this.opts;
    const seeds = o.seeds();
    this.abort = new AbortController();
    try {
      const result = await (o.crawl ?? crawlNetwork)(seeds, {
        depth: o.depth,
        concurrency: o.concurrency,
        timeoutMs: o.timeoutMs,
        maxNodes: o.maxNodes,
        maxAnswerBytes: o.maxAnswerBytes,
        signal: this.abort.signal,
      });
      if (!result.complete && this.stopped) return undefined;
      const doc = writeNetworkFiles(o.outDir, result);
      this.lastDoc = doc;
      o.log.info({ nodes: doc.summary.nodes, reachable: doc.summary.reachable, edges: doc.summary.edges, out: o.outDir }, 'network crawl finished');
      return doc;
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'network crawl failed');
      return undefined;
    } finally {
      this.abort = undefined;
    }
  }
}
