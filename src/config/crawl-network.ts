/**
 * `[crawl_network]`: this node crawls the network on a schedule and keeps the last map (served on the
 * admin HTTP port at /network). Ours; rippled has no such stanza. Present (even empty) means on.
 *
 *   [crawl_network]
 *   interval = 3600        seconds between crawls (fractions allowed)
 *   start_delay = 60       seconds from start to the first crawl, so the node has peers to start from
 *   depth = 8              hops from the seeds whose nodes are asked
 *   concurrency = 16       requests at once
 *   timeout = 10           seconds per host, connect to last byte
 *   max_nodes = 10000      nodes kept at most
 *   max_answer_bytes = 4194304   a longer /crawl answer is dropped (as a failure)
 *   out = network          folder for network.json/.graphml/.html, relative to the data directory
 *   127.0.0.1 51235        seeds, one per line (`host port`, `host:port`, `[v6]:port`; a host alone: 51235);
 *                          none: this node's own peer port, i.e. start from our own /crawl
 */
import { isIP } from 'node:net';
import { ConfigError, type Stanza, type StanzaFile } from './stanzas.js';

/** host: an IP (v6 without brackets) or a DNS name. */
export interface CrawlSeedEndpoint {
  host: string;
  port: number;
}
type Endpoint = CrawlSeedEndpoint;

export interface CrawlNetworkConfig {
  intervalMs: number;
  startDelayMs: number;
  depth: number;
  concurrency: number;
  timeoutMs: number;
  maxNodes: number;
  maxAnswerBytes: number;
  /** As written; the daemon resolves it against the data directory. */
  out: string;
  /** Empty: crawl from this node's own peer port. */
  seeds: Endpoint[];
}

export const CRAWL_NETWORK_STANZA = 'crawl_network';
/** The peer port crawlers ask when a seed names none. */
const SEED_PORT = 51235;

export const CRAWL_NETWORK_DEFAULTS: Omit<CrawlNetworkConfig, 'seeds'> = {
  intervalMs: 3600_000,
  startDelayMs: 60_000,
  depth: 8,
  concurrency: 16,
  timeoutMs: 10_000,
  maxNodes: 10_000,
  maxAnswerBytes: 4 * 1024 * 1024,
  out: 'network',
};

const KEYS = ['interval', 'start_delay', 'depth', 'concurrency', 'timeout', 'max_nodes', 'max_answer_bytes', 'out'];

export function readCrawlNetwork(source: StanzaFile): CrawlNetworkConfig | undefined {
  const stanza = source.stanzas.get(CRAWL_NETWORK_STANZA);
  if (!stanza) return undefined;
  const fail = (line: number, detail: string): never => {
    throw new ConfigError({ file: source.file, line, stanza: CRAWL_NETWORK_STANZA }, detail);
  };
  for (const e of stanza.entries.values()) if (!KEYS.includes(e.key)) fail(e.line, `unknown key '${e.key}' (known: ${KEYS.join(', ')})`);
  const d = CRAWL_NETWORK_DEFAULTS;
  const seconds = (key: string, fallback: number, min: number) => number(stanza, key, fallback / 1000, min, 30 * 86400, fail, false) * 1000;
  const count = (key: string, fallback: number, min: number, max: number) => number(stanza, key, fallback, min, max, fail, true);
  const seeds = stanza.values.map(({ text, line }) => parseSeedLine(text) ?? fail(line, `expected 'host port', 'host:port' or '[v6]:port', got '${text}'`));
  return {
    intervalMs: seconds('interval', d.intervalMs, 1),
    startDelayMs: seconds('start_delay', d.startDelayMs, 0),
    depth: count('depth', d.depth, 0, 1000),
    concurrency: count('concurrency', d.concurrency, 1, 1024),
    timeoutMs: seconds('timeout', d.timeoutMs, 0.1),
    maxNodes: count('max_nodes', d.maxNodes, 1, 10_000_000),
    maxAnswerBytes: count('max_answer_bytes', d.maxAnswerBytes, 1024, 1024 * 1024 * 1024),
    out: stanza.entries.get('out')?.value ?? d.out,
    seeds,
  };
}

function number(stanza: Stanza, key: string, fallback: number, min: number, max: number, fail: (line: number, d: string) => never, integer: boolean): number {
  const e = stanza.entries.get(key);
  if (!e) return fallback;
  const ok = integer ? /^\d+$/.test(e.value) : /^\d+(\.\d+)?$/.test(e.value);
  const n = Number(e.value);
  if (!ok || n < min || n > max) fail(e.line, `${key}: expected ${integer ? 'a whole number' : 'a number of seconds'} from ${min} to ${max}, got '${e.value}'`);
  return n;
}

const NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

function parseSeedLine(text: string): Endpoint | undefined {
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+)|\s+(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2] ?? bracketed[3];
    if (isIP(host) !== 6) return undefined;
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const m = /^([^\s:]+)(?:(?::|\s+)(\d+))?$/.exec(text);
    if (!m) return undefined;
    host = m[1]!;
    portText = m[2];
    if (isIP(host) === 0 && (!NAME.test(host) || /^[\d.]+$/.test(host))) return undefined;
  }
  const port = portText === undefined ? SEED_PORT : Number(portText);
  return port >= 1 && port <= 65535 ? { host, port } : undefined;
}
