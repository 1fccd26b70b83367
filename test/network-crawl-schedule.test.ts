/**
 * `[crawl_network]`: the stanza's defaults and errors, and a node on 127.0.116.50 that crawls on its own
 * schedule and serves the last map to admins at /network, /network.json and /network.graphml.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config/config.js';
import { CRAWL_NETWORK_DEFAULTS } from '../src/config/crawl-network.js';
import { NetworkGraph } from '../src/crawler/graph.js';
import { ScheduledNetworkCrawl } from '../src/crawler/schedule.js';
import type { NetworkDocument } from '../src/crawler/summary.js';
import { silentLogger } from '../src/logger.js';
import { adminStanzas, httpRequest, RPC_PORT } from './support/admin.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

const HUB = '127.0.116.50';
const EDGE = '127.0.116.51';
const OUTSIDER = '127.0.116.52';

afterAll(() => stopAllNodes());

describe('[crawl_network] stanza', () => {
  it('is off when absent, and has documented defaults when present', () => {
    expect(parseConfig('').crawlNetwork).toBeUndefined();
    expect(parseConfig('[crawl_network]\n').crawlNetwork).toEqual({ ...CRAWL_NETWORK_DEFAULTS, seeds: [] });
    expect(CRAWL_NETWORK_DEFAULTS).toEqual({ intervalMs: 3_600_000, startDelayMs: 60_000, depth: 8, concurrency: 16, timeoutMs: 10_000, maxNodes: 10_000, maxAnswerBytes: 4_194_304, out: 'network' });
  });

  it('reads every key and seeds in the [ips] forms (a host alone: 51235)', () => {
    const c = parseConfig(
      ['[crawl_network]', 'interval = 600', 'start_delay = 0.5', 'depth = 3', 'concurrency = 4', 'timeout = 2.5', 'max_nodes = 500', 'max_answer_bytes = 65536', 'out = /var/lib/map',
        '10.0.0.1 51235', 'hub.example.com:2459', '[2001:db8::1]:51235', 'r.ripple.com', '2001:db8::2'].join('\n'),
    ).crawlNetwork;
    expect(c).toEqual({
      intervalMs: 600_000, startDelayMs: 500, depth: 3, concurrency: 4, timeoutMs: 2500, maxNodes: 500, maxAnswerBytes: 65536, out: '/var/lib/map',
      seeds: [
        { host: '10.0.0.1', port: 51235 }, { host: 'hub.example.com', port: 2459 }, { host: '2001:db8::1', port: 51235 },
        { host: 'r.ripple.com', port: 51235 }, { host: '2001:db8::2', port: 51235 },
      ],
    });
  });

  it('is documented in rippled.cfg.example, every key', () => {
    const text = readFileSync('rippled.cfg.example', 'utf8');
    expect(text).toContain('# [crawl_network]');
    for (const k of ['interval', 'start_delay', 'depth', 'concurrency', 'timeout', 'max_nodes', 'max_answer_bytes', 'out']) expect(text, k).toMatch(new RegExp(`^#\\s*${k} = `, 'm'));
  });

  it('names file, line and stanza for a bad value', () => {
    const bad = (text: string) => {
      try {
        parseConfig(text, 'node.cfg');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(bad('[crawl_network]\ninterval = 0')).toBe("node.cfg:2: [crawl_network]: interval: expected a number of seconds from 1 to 2592000, got '0'");
    expect(bad('[crawl_network]\ndepth = two')).toBe("node.cfg:2: [crawl_network]: depth: expected a whole number from 0 to 1000, got 'two'");
    expect(bad('[crawl_network]\nspeed = 3')).toMatch(/^node\.cfg:2: \[crawl_network\]: unknown key 'speed'/);
    expect(bad('[crawl_network]\n\n10.0.0.1 99999')).toMatch(/^node\.cfg:3: \[crawl_network\]: expected 'host port'/);
  });
});

describe('a node that maps the network on a schedule', () => {
  it('answers 404 until its first crawl has finished', async () => {
    const idle = '127.0.116.53';
    await startNode({ ip: idle, extra: [adminStanzas({ ip: idle, rpcPort: RPC_PORT, admin: idle }), '[crawl_network]', 'start_delay = 3600'].join('\n') });
    const r = await httpRequest({ host: idle, port: RPC_PORT, method: 'GET', path: '/network', localAddress: idle });
    expect(r.status).toBe(404);
    expect(r.body).toMatch(/^No network map yet/);
  }, 30_000);

  it('crawls from its own /crawl after start_delay and serves the map to admins only', async () => {
    const hub = await startNode({
      ip: HUB,
      extra: [adminStanzas({ ip: HUB, rpcPort: RPC_PORT, admin: HUB }), '[crawl_network]', 'start_delay = 0.2', 'interval = 3600', 'timeout = 3', 'out = map'].join('\n'),
    });
    const get = (path: string, localAddress = HUB) => httpRequest({ host: HUB, port: RPC_PORT, method: 'GET', path, localAddress });
    // The first crawl is due 0.2 s after start: wait for it (generous for a loaded machine).
    await waitFor('the first scheduled crawl', () => hub.networkCrawl?.last, 20_000, 50);
    expect(hub.networkCrawl!.last!.nodes.map((n) => n.id)).toEqual([hub.identity.n9]);

    await startNode({ ip: EDGE, extra: `[ips_fixed]\n${HUB} ${PEER_PORT}` });
    await waitFor('the edge peer', () => hub.overlay.peers().length === 1, 20_000);
    const doc = await hub.networkCrawl!.runNow();
    expect(doc!.summary).toMatchObject({ nodes: 2, reachable: 1, edges: 1 });

    const json = await get('/network.json');
    expect(json.status).toBe(200);
    const served: NetworkDocument = JSON.parse(json.body);
    expect(served.nodes.map((n) => n.id).sort()).toEqual([hub.identity.n9, (await waitFor('edge key', () => hub.overlay.peers()[0]!.info.n9))].sort());
    const html = await get('/network');
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.body).toContain('<b id="node-count">');
    expect(html.body).toContain('Cytoscape Consortium');
    expect((await get('/network.graphml')).body).toMatch(/^<\?xml/);
    expect((await get('/network', OUTSIDER)).status).toBe(403);
  }, 60_000);
});

describe('the schedule, with injected timers', () => {
  it('first after start_delay, then interval after each crawl ends; stop cancels and aborts', async () => {
    const pending: { fn: () => void; ms: number; cancelled: boolean }[] = [];
    const timers = {
      setTimeout: (fn: () => void, ms: number) => {
        const t = { fn, ms, cancelled: false };
        pending.push(t);
        return t;
      },
      clearTimeout: (h: unknown) => void ((h as { cancelled: boolean }).cancelled = true),
    };
    const live = () => pending.filter((t) => !t.cancelled);
    let crawls = 0;
    let aborted = false;
    let release: () => void = () => {};
    const outDir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-sched-'));
    const s = new ScheduledNetworkCrawl({
      intervalMs: 3_600_000, startDelayMs: 60_000, depth: 1, concurrency: 1, timeoutMs: 1000, maxNodes: 10, maxAnswerBytes: 1 << 20, outDir,
      seeds: () => [{ host: '10.0.0.1', port: PEER_PORT }], log: silentLogger(), timers,
      crawl: async (_seeds, opts) => {
        crawls++;
        if (crawls === 2) {
          await new Promise<void>((r) => {
            release = r;
            opts.signal!.addEventListener('abort', () => ((aborted = true), r()));
          });
        }
        return { graph: new NetworkGraph(), progress: { found: 0, queried: 0, answered: 0, failed: 0, elapsedMs: 0 }, complete: !opts.signal!.aborted, startedAt: new Date(0), finishedAt: new Date(0), seeds: [], options: { depth: 1, concurrency: 1, timeoutMs: 1, maxNodes: 1 } };
      },
    });
    s.start();
    expect(live().map((t) => t.ms)).toEqual([60_000]);
    live()[0]!.fn();
    pending.length = 0;
    await waitFor('the first crawl', () => s.last);
    expect(crawls).toBe(1);
    expect(live().map((t) => t.ms)).toEqual([3_600_000]);
    live()[0]!.fn();
    pending.length = 0;
    await waitFor('the second crawl to start', () => crawls === 2);
    expect(live()).toEqual([]); // nothing is scheduled while a crawl runs
    await s.stop();
    expect(aborted).toBe(true);
    expect(live()).toEqual([]); // and nothing after stop
    release();
    rmSync(outDir, { recursive: true, force: true });
  });
});
