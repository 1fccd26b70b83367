/**
 * `xrpl-overlay crawl HOST[:PORT] … [--depth N] [--concurrency K] [--timeout S] [--max-nodes M] [--out DIR]`:
 * crawls the network from the given hosts and writes network.json, network.graphml and network.html.
 * (`xrpl-overlay crawl` with no host is the admin command: what this node's own /crawl answers.)
 *
 * A progress line goes to stderr when it is a terminal, never into a pipe. Ctrl-C stops the crawl and
 * still writes what was found. Exit status: 0 done; 1 nothing answered, or the files could not be
 * written; 2 usage error; 130 stopped by Ctrl-C (files written).
 */
import { parseArgs } from 'node:util';
import { CRAWL_DEFAULTS, type CrawlProgress, type CrawlSeed, crawlNetwork } from './bfs.js';
import { writeNetworkFiles } from './output.js';
import { summaryText } from './summary.js';
import { NETWORK_FILES } from './output.js';
import { join } from 'node:path';
import { parsePort, splitHostPort } from '../address/address.js';

/** rippled's default peer port, taken for a HOST given without one. */
export const DEFAULT_CRAWL_PORT = 51235;

export const CRAWL_USAGE = `usage: xrpl-overlay crawl HOST[:PORT] … [--depth N] [--concurrency K] [--timeout S] [--max-nodes M] [--out DIR]
       xrpl-overlay [--conf FILE] [--json] crawl        (no HOST: what this node's /crawl answers, via its admin port)

Crawls the XRP Ledger network over /crawl (HTTPS on the peer port), breadth-first from the HOSTs,
following every public peer listed with an address and port. Writes network.json, network.graphml
and network.html (a map that opens with no network) into --out.

  HOST[:PORT]        IPv4, [IPv6] or name; port ${DEFAULT_CRAWL_PORT} when not given
  --depth N          hops from the seeds whose nodes are asked (default ${CRAWL_DEFAULTS.depth}; 0 = the seeds only)
  --concurrency K    requests at once (default ${CRAWL_DEFAULTS.concurrency})
  --timeout S        seconds per host, connect to last byte (default ${CRAWL_DEFAULTS.timeoutMs / 1000})
  --max-nodes M      stop keeping new nodes past M (default ${CRAWL_DEFAULTS.maxNodes})
  --out DIR          where the files go (default: .)
`;

class UsageError extends Error {}

export function parseSeed(text: string): CrawlSeed {
  const split = splitHostPort(text);
  if (!split) throw new UsageError(`'${text}': write an IPv6 address with a port as [addr]:port`);
  if (!split.host) throw new UsageError(`'${text}': no host`);
  const port = split.port === undefined ? DEFAULT_CRAWL_PORT : parsePort(split.port);
  if (port === undefined) throw new UsageError(`'${text}': bad port`);
  return { host: split.host, port };
}

function count(name: string, text: string | undefined, fallback: number, min: number, max: number, scale = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n >= min && n <= max)) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got '${text}'`);
  return Math.round(n * scale);
}

export interface NetworkCrawlArgs {
  seeds: CrawlSeed[];
  depth: number;
  concurrency: number;
  timeoutMs: number;
  maxNodes: number;
  out: string;
}

export function parseCrawlArgs(args: string[]): NetworkCrawlArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        depth: { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        'max-nodes': { type: 'string' },
        out: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (parsed.positionals.length === 0) throw new UsageError('crawl: name at least one HOST to start from');
  return {
    seeds: parsed.positionals.map(parseSeed),
    depth: count('depth', v.depth, CRAWL_DEFAULTS.depth, 0, 1000),
    concurrency: count('concurrency', v.concurrency, CRAWL_DEFAULTS.concurrency, 1, 1024),
    timeoutMs: count('timeout', v.timeout, CRAWL_DEFAULTS.timeoutMs, 0.1, 3600, 1000),
    maxNodes: count('max-nodes', v['max-nodes'], CRAWL_DEFAULTS.maxNodes, 1, 10_000_000),
    out: v.out ?? '.',
  };
}

export function progressLine(p: CrawlProgress): string {
  return `found ${p.found}  queried ${p.queried}  answered ${p.answered}  failed ${p.failed}  elapsed ${(p.elapsedMs / 1000).toFixed(0)}s`;
}

export async function runNetworkCrawl(args: string[]): Promise<number> {
  let opts: NetworkCrawlArgs;
  try {
    opts = parseCrawlArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`xrpl-overlay: ${err.message}\n${CRAWL_USAGE}`);
    return 2;
  }
  const tty = process.stderr.isTTY === true;
  let lastDraw = 0;
  const draw = (p: CrawlProgress, force = false) => {
    if (!tty) return;
    const t = Date.now();
    if (!force && t - lastDraw < 200) return;
    lastDraw = t;
    process.stderr.write(`\r\x1b[K${progressLine(p)}`);
  };
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  let result;
  try {
    result = await crawlNetwork(opts.seeds, { ...opts, maxAnswerBytes: CRAWL_DEFAULTS.maxAnswerBytes, signal: stop.signal, onProgress: (p) => draw(p) });
  } finally {
    process.off('SIGINT', onSigint);
  }
  draw(result.progress, true);
  if (tty) process.stderr.write('\n');
  let doc;
  try {
    doc = writeNetworkFiles(opts.out, result);
  } catch (err) {
    process.stderr.write(`xrpl-overlay: cannot write the map into ${opts.out}: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${summaryText(doc)}\nwrote ${Object.values(NETWORK_FILES).map((f) => join(opts.out, f)).join(', ')}\n`);
  if (!result.complete) return 130;
  return result.progress.answered > 0 ? 0 : 1;
}
