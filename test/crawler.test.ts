/**
 * The crawler's parts without sockets: reading /crawl answers (rippled's and ours), joining both ends of
 * a link into one edge, the breadth-first walk (depth, concurrency, node cap, stop), the per-host deadline
 * against a host that never speaks, and the writers.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNodePublic } from 'ripple-address-codec';
import { readCrawlAnswer, nodeKeyText, portValue } from '../src/crawler/answer.js';
import { type CrawlOptions, crawlNetwork } from '../src/crawler/bfs.js';
import { parseCrawlArgs, parseSeed } from '../src/crawler/cli.js';
import { CrawlFetchError, fetchCrawl } from '../src/crawler/client.js';
import { MAX_ADDRESSES_PER_NODE, NetworkGraph } from '../src/crawler/graph.js';
import { toGraphml } from '../src/crawler/graphml.js';
import { toHtml } from '../src/crawler/html.js';
import { networkDocument } from '../src/crawler/summary.js';
import { randomNodeKey } from './support/crawl-standins.js';

const R = JSON.parse(readFileSync('test/fixtures/rippled-3.1.2-crawl.json', 'utf8')).R_crawl.body;

describe('reading /crawl answers', () => {
  it("reads rippled 3.1.2's recorded answer: port as a string, inbound peers without port, a private peer without address", () => {
    const a = readCrawlAnswer(R);
    expect(a.server).toEqual({ key: 'n9KsTAMg6XKNUgYpyJVT8eZWa1gHHunoAvMdySLRtpskbL8u8Zso', buildVersion: '3.1.2', serverState: 'connected', uptime: 78, completeLedgers: 'empty', networkId: 21338, peers: 3 });
    expect(a.peers).toEqual([
      { key: 'n9LKrfqqUdAgvzT7hWwtMescEDPs1jBW21YwcdFPEkGJhhiGNwLU', type: 'in', ip: '127.0.0.146', uptime: 5, version: 'xpeer-0.1' },
      { key: 'n94HRtNieSa1uDkuZv2GZWbgxURrgibdX5LDEUaYwpBR1hKxgHdY', type: 'in', uptime: 5, version: 'xpeer-0.1' },
      { key: encodeNodePublic(Buffer.from('A3rSnlzLoPpeIxBbIhQf27/PxueljZES/lr3mzq8eYmY', 'base64')), type: 'out', ip: '127.0.0.141', port: 51441, uptime: 76, version: 'xrpl-overlay-0.1.0' },
    ]);
  });

  it('takes ::ffff: addresses, numeric ports, n9 keys; skips bad entries one by one; tells a missing overlay from an empty one', () => {
    const k = randomNodeKey();
    const a = readCrawlAnswer({ overlay: { active: [
      { public_key: k.base64, type: 'out', ip: '::ffff:10.1.2.3', port: 51235 },
      { public_key: k.n9, type: 'in', ip: '2001:db8::5', port: '0' },
      { public_key: 'not a key', type: 'out', ip: '10.0.0.1', port: 1 },
      { public_key: Buffer.alloc(33, 7).toString('base64'), type: 'out' },
      'junk',
    ] } });
    expect(a.server).toBeUndefined();
    expect(a.peers).toEqual([
      { key: k.n9, type: 'out', ip: '10.1.2.3', port: 51235 },
      { key: k.n9, type: 'in', ip: '2001:db8::5' },
    ]);
    expect(a.skipped).toBe(3);
    expect(readCrawlAnswer({ server: { pubkey_node: k.n9 } }).peers).toBeUndefined();
    expect(readCrawlAnswer({ overlay: { active: [] } }).peers).toEqual([]);
    expect(readCrawlAnswer('nonsense')).toEqual({ skipped: 0 });
    expect(portValue('51235')).toBe(51235);
    expect(portValue(70000)).toBeUndefined();
    expect(nodeKeyText('n9Kbogus')).toBeUndefined();
  });
});

describe('joining what both ends say', () => {
  const a = randomNodeKey();
  const b = randomNodeKey();
  const c = randomNodeKey();
  const answer = (self: string, peers: unknown[]) => readCrawlAnswer({ server: { pubkey_node: self }, overlay: { active: peers } });

  it('one edge per link, directed from the dialler, listing who reported it', () => {
    const g = new NetworkGraph();
    g.addSeed('10.0.0.1:51235');
    g.recordAnswer('10.0.0.1:51235', answer(a.n9, [{ public_key: b.base64, type: 'out', ip: '10.0.0.2', port: 51235 }, { public_key: c.base64, type: 'in', ip: '10.0.0.3' }]));
    g.recordAnswer('10.0.0.2:51235', answer(b.n9, [{ public_key: a.base64, type: 'in', ip: '10.0.0.1' }]));
    const { nodes, edges } = g.snapshot();
    expect(edges).toEqual([
      { source: a.n9, target: b.n9, direction: 'known', reportedBy: [a.n9, b.n9].sort() },
      { source: c.n9, target: a.n9, direction: 'known', reportedBy: [a.n9] },
    ].sort((x, y) => (x.source + x.target < y.source + y.target ? -1 : 1)));
    // The seed placeholder became the node with its key; a bare IP gives way to ip:port.
    expect(nodes.map((n) => [n.id, n.addresses])).toEqual(
      [[a.n9, ['10.0.0.1:51235']], [b.n9, ['10.0.0.2:51235']], [c.n9, ['10.0.0.3']]].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    );
  });

  it('two ends that both claim to have dialled give direction both; a keyless answer is merged when a neighbour names its key', () => {
    const g = new NetworkGraph();
    g.addSeed('10.0.0.1:51235');
    g.recordAnswer('10.0.0.1:51235', readCrawlAnswer({ overlay: { active: [{ public_key: b.base64, type: 'out', ip: '10.0.0.2', port: 51235 }] } }));
    expect(g.node('addr:10.0.0.1:51235')?.reachable).toBe(true);
    g.recordAnswer('10.0.0.2:51235', answer(b.n9, [{ public_key: a.base64, type: 'out', ip: '10.0.0.1', port: 51235 }]));
    const { nodes, edges } = g.snapshot();
    expect(nodes.map((n) => n.id).sort()).toEqual([a.n9, b.n9].sort());
    expect(nodes.find((n) => n.id === a.n9)).toMatchObject({ reachable: true, found: { how: 'seed', depth: 0 } });
    expect(edges).toHaveLength(1);
    expect(edges[0]!.direction).toBe('both');
  });

  it('a node listed under endless ports keeps a few addresses, and only those are asked', async () => {
    const many = { server: { pubkey_node: a.n9 }, overlay: { active: Array.from({ length: 500 }, (_, i) => ({ public_key: b.base64, type: 'out', ip: '10.0.0.2', port: 1000 + i })) } };
    const asked: number[] = [];
    const r = await crawlNetwork([{ host: '10.0.0.1', port: 51235 }], {
      depth: 3, concurrency: 1, timeoutMs: 1000, maxNodes: 100, maxAnswerBytes: 1 << 20,
      fetch: async (h, port) => {
        if (h === '10.0.0.1') return many;
        asked.push(port);
        throw new CrawlFetchError('refused', 'no');
      },
    });
    expect(r.graph.node(b.n9)!.addresses).toHaveLength(MAX_ADDRESSES_PER_NODE);
    expect(asked).toEqual(Array.from({ length: MAX_ADDRESSES_PER_NODE }, (_, i) => 1000 + i));
  });

  it('keeps at most maxNodes nodes and counts the rest', () => {
    const g = new NetworkGraph(2);
    g.recordAnswer('10.0.0.1:51235', answer(a.n9, [b, c].map((k) => ({ public_key: k.base64, type: 'out' }))));
    expect(g.size).toBe(2);
    expect(g.dropped).toBe(1);
  });
});

describe('the breadth-first walk', () => {
  /** A line of nodes 0→1→…→n-1, each listing the next with ip:port. */
  const line = (n: number) => {
    const keys = Array.from({ length: n }, randomNodeKey);
    const answers = new Map(keys.map((k, i) => [`10.0.0.${i}`, { server: { pubkey_node: k.n9 }, overlay: { active: i + 1 < n ? [{ public_key: keys[i + 1]!.base64, type: 'out', ip: `10.0.0.${i + 1}`, port: 51235 }] : [] } }]));
    return { keys, answers };
  };
  const base = { concurrency: 4, timeoutMs: 1000, maxNodes: 1000, maxAnswerBytes: 1 << 20 };

  it('stops asking past --depth', async () => {
    const { answers } = line(6);
    const asked: string[] = [];
    const r = await crawlNetwork([{ host: '10.0.0.0', port: 51235 }], { ...base, depth: 2, fetch: async (h) => (asked.push(h), answers.get(h)) });
    expect(asked).toEqual(['10.0.0.0', '10.0.0.1', '10.0.0.2']);
    expect(r.graph.size).toBe(4); // the third hop is named, not asked
    expect(r.complete).toBe(true);
  });

  it('never has more than --concurrency requests in flight', async () => {
    const keys = Array.from({ length: 40 }, randomNodeKey);
    const hub = { server: { pubkey_node: randomNodeKey().n9 }, overlay: { active: keys.map((k, i) => ({ public_key: k.base64, type: 'out', ip: `10.1.0.${i}`, port: 51235 })) } };
    let inFlight = 0;
    let most = 0;
    const fetch: CrawlOptions['fetch'] = async (h) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return h === 'hub' ? hub : { overlay: { active: [] }, server: { pubkey_node: keys[Number(h.split('.')[3])]!.n9 } };
    };
    const r = await crawlNetwork([{ host: 'hub', port: 51235 }], { ...base, depth: 5, concurrency: 3, fetch });
    expect(most).toBe(3);
    expect(r.progress).toMatchObject({ queried: 41, answered: 41, failed: 0, found: 41 });
  });

  it('a stop signal ends the walk with what it has', async () => {
    const { answers } = line(5);
    const stop = new AbortController();
    const r = await crawlNetwork([{ host: '10.0.0.0', port: 51235 }], {
      ...base,
      depth: 10,
      signal: stop.signal,
      fetch: async (h, _p, o) => {
        if (h === '10.0.0.2') {
          stop.abort();
          throw new CrawlFetchError(o.signal?.aborted ? 'aborted' : 'network', 'x');
        }
        return answers.get(h);
      },
    });
    expect(r.complete).toBe(false);
    expect(r.progress.answered).toBe(2);
    expect(r.graph.size).toBe(3);
  });
});

describe('the per-host deadline', () => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => (sockets.add(s), s.on('error', () => {})));
  afterAll(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });

  it('a host that accepts TCP and never speaks TLS costs the timeout, no more', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.116.60', r));
    const port = (server.address() as net.AddressInfo).port;
    const t0 = Date.now();
    const err = (await fetchCrawl('127.0.116.60', port, { timeoutMs: 300, maxBytes: 1000 }).catch((e: unknown) => e)) as CrawlFetchError;
    expect(err).toBeInstanceOf(CrawlFetchError);
    expect(err.reason).toBe('timeout');
    // 300 ms deadline; up to 3 s for a loaded machine's timers.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe('writers and arguments', () => {
  const doc = () => {
    const g = new NetworkGraph();
    const k = randomNodeKey();
    g.recordAnswer('10.0.0.1:51235', readCrawlAnswer({ server: { pubkey_node: k.n9, build_version: '</script><b>' }, overlay: { active: [] } }));
    return networkDocument({ graph: g, progress: { found: 1, queried: 1, answered: 1, failed: 0, elapsedMs: 5 }, complete: true, startedAt: new Date(0), finishedAt: new Date(5), seeds: ['10.0.0.1:51235'], options: { depth: 1, concurrency: 1, timeoutMs: 1, maxNodes: 1 } });
  };

  it('the HTML cannot be broken out of by what a node reports, and inlines the library', () => {
    const html = toHtml(doc(), 'window.cytoscape = function(){};');
    expect(html).not.toContain('</script><b>');
    expect(html).toContain('\\u003c/script>\\u003cb>');
    expect(html).toContain('window.cytoscape = function(){};');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing loaded from elsewhere
  });

  it('GraphML escapes attribute text', () => {
    expect(toGraphml(doc())).toContain('<data key="version">&lt;/script&gt;&lt;b&gt;</data>');
  });

  it('parses hosts and options', () => {
    expect(parseSeed('r.ripple.com')).toEqual({ host: 'r.ripple.com', port: 51235 });
    expect(parseSeed('[::1]:2459')).toEqual({ host: '::1', port: 2459 });
    expect(parseSeed('::1')).toEqual({ host: '::1', port: 51235 });
    expect(() => parseSeed('1.2.3.4:0')).toThrow(/bad port/);
    expect(parseCrawlArgs(['a', 'b:1', '--depth', '0', '--timeout', '2.5', '--out', 'x'])).toEqual({
      seeds: [{ host: 'a', port: 51235 }, { host: 'b', port: 1 }], depth: 0, concurrency: 16, timeoutMs: 2500, maxNodes: 10_000, out: 'x',
    });
    expect(() => parseCrawlArgs(['a', '--concurrency', '0'])).toThrow(/--concurrency must be/);
  });
});
