/**
 * Breadth-first crawl over `/crawl`: ask the seeds, then every public peer they list with an address and a
 * listening port, hop by hop up to `depth`, at most `concurrency` requests at once. A node is asked once:
 * once its key has answered, its other addresses are not tried. Peers listed without a port (inbound links
 * whose listening port the node does not know) are recorded but not dialled: guessing a port would mean
 * probing hosts that never offered one.
 *
 * Bounded: the graph keeps at most `maxNodes` nodes and a few addresses each, each answer at most
 * `maxAnswerBytes`, and the queue holds only addresses the graph kept. `signal` stops the crawl; what was learnt so far is returned.
 */
import { readCrawlAnswer } from './answer.js';
import { CrawlFetchError, type FetchOptions, fetchCrawl } from './client.js';
import { hostPortText, NetworkGraph } from './graph.js';

export interface CrawlSeed {
  host: string;
  port: number;
}

export interface CrawlOptions {
  /** Hops from a seed whose nodes are still asked (0: the seeds only). */
  depth: number;
  concurrency: number;
  /** Per host, everything included (connect, TLS, request, answer). */
  timeoutMs: number;
  maxNodes: number;
  maxAnswerBytes: number;
  signal?: AbortSignal;
  onProgress?(p: CrawlProgress): void;
  /** For tests: how one host is asked. */
  fetch?: (host: string, port: number, opts: FetchOptions) => Promise<unknown>;
  now?: () => number;
}

export interface CrawlProgress {
  found: number;
  queried: number;
  answered: number;
  failed: number;
  elapsedMs: number;
}

export interface CrawlResult {
  graph: NetworkGraph;
  progress: CrawlProgress;
  /** False when stopped before the queue ran out. */
  complete: boolean;
  startedAt: Date;
  finishedAt: Date;
  seeds: string[];
  options: { depth: number; concurrency: number; timeoutMs: number; maxNodes: number };
}

export const CRAWL_DEFAULTS = { depth: 8, concurrency: 16, timeoutMs: 10_000, maxNodes: 10_000, maxAnswerBytes: 4 * 1024 * 1024 };

interface Target {
  host: string;
  port: number;
  depth: number;
}

export async function crawlNetwork(seeds: CrawlSeed[], opts: CrawlOptions): Promise<CrawlResult> {
  const now = opts.now ?? Date.now;
  const fetch = opts.fetch ?? fetchCrawl;
  const started = now();
  const startedAt = new Date();
  const graph = new NetworkGraph(opts.maxNodes);
  const queue: Target[] = [];
  const tried = new Set<string>();
  const progress: CrawlProgress = { found: 0, queried: 0, answered: 0, failed: 0, elapsedMs: 0 };
  const report = () => {
    progress.found = graph.size;
    progress.elapsedMs = now() - started;
    opts.onProgress?.({ ...progress });
  };
  const enqueue = (host: string, port: number, depth: number) => {
    const addr = hostPortText(host, port);
    if (tried.has(addr)) return;
    tried.add(addr);
    queue.push({ host, port, depth });
  };
  for (const s of seeds) {
    graph.addSeed(hostPortText(s.host, s.port));
    enqueue(s.host, s.port, 0);
  }
  report();

  let head = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const signal = opts.signal;

  const askOne = async (t: Target) => {
    const addr = hostPortText(t.host, t.port);
    try {
      const body = await fetch(t.host, t.port, { timeoutMs: opts.timeoutMs, maxBytes: opts.maxAnswerBytes, signal });
      const answer = readCrawlAnswer(body);
      const node = graph.recordAnswer(addr, answer);
      progress.answered++;
      if (t.depth >= opts.depth) return;
      for (const p of answer.peers ?? []) {
        if (!p.ip || p.port === undefined) continue;
        const peer = graph.node(p.key);
        // Not kept (maxNodes), or already answered at another address.
        if (!peer || peer.crawl === 'answered' || peer === node) continue;
        // Only addresses the graph kept (at most a few per node) are asked.
        const addr = hostPortText(p.ip, p.port);
        if (peer.addresses.includes(addr)) enqueue(p.ip, p.port, t.depth + 1);
      }
    } catch (err) {
      if (err instanceof CrawlFetchError && err.reason === 'aborted') return;
      progress.failed++;
      const why = err instanceof CrawlFetchError ? `${err.reason}: ${err.message}` : (err as Error).message;
      graph.recordFailure(addr, why);
    }
  };

  await new Promise<void>((resolve) => {
    const pump = () => {
      while (!signal?.aborted && inFlight < opts.concurrency && head < queue.length) {
        const t = queue[head++]!;
        // Its key may have answered since it was queued.
        if (graph.nodeAt(hostPortText(t.host, t.port))?.crawl === 'answered') continue;
        inFlight++;
        progress.queried++;
        report();
        void askOne(t).finally(() => {
          inFlight--;
          report();
          pump();
        });
      }
      // The queue is read once; drop what is behind us so memory tracks what is left.
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      if (inFlight === 0 && (head >= queue.length || signal?.aborted)) resolve();
    };
    wake = pump;
    signal?.addEventListener('abort', () => wake?.(), { once: true });
    pump();
  });
  wake = undefined;
  report();
  return {
    graph,
    progress: { ...progress },
    complete: !signal?.aborted,
    startedAt,
    finishedAt: new Date(),
    seeds: seeds.map((s) => hostPortText(s.host, s.port)),
    options: { depth: opts.depth, concurrency: opts.concurrency, timeoutMs: opts.timeoutMs, maxNodes: opts.maxNodes },
  };
}
