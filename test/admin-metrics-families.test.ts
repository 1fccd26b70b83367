/**
 * The /metrics families operators expect, on 127.0.111.30–31: promtool accepts the text, and the
 * families move when the node does something: a handshake each way (duration histogram), pings
 * (latency histogram), relayable items refused, relayed and seen twice, a charge by fee name, a
 * disconnect by typed reason, and the build info. contrib/grafana-dashboard.json queries only
 * families exported here.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSelfSignedCertificate } from '../src/identity/certificate.js';
import { NodeIdentity } from '../src/identity/node-key.js';
import { dialPeer, type LocalNode } from '../src/connect/handshake-io.js';
import { Peer } from '../src/peer/peer.js';
import { decodeMessage } from '../src/protocol/codec.js';
import { NO_FEATURES } from '../src/protocol/handshake.js';
import { MessageType } from '../src/protocol/message-types.js';
import { VERSION } from '../src/version.js';
import { listenIndependent } from './support/independent-peer.js';
import { adminStanzas, RPC_PORT, histogramValue, httpRequest, type MetricFamily, parsePrometheus, sampleValue } from './support/admin.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';
import { frameVectors, payloadOf } from './support/vectors.js';

const M = '127.0.111.30';
const F = '127.0.111.31';
const INDIE = '127.0.111.32';
const ROOT = resolve(import.meta.dirname, '..');

afterEach(stopAllNodes);

/** waitFor for an asynchronous condition (each try scrapes over HTTP). */
async function until<T>(what: string, fn: () => Promise<T | false | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function scrapeText(): Promise<string> {
  const r = await httpRequest({ host: M, port: RPC_PORT, method: 'GET', path: '/metrics' });
  expect(r.status).toBe(200);
  return r.body;
}

function localNode(): LocalNode {
  return {
    identity: NodeIdentity.generate(),
    tls: makeSelfSignedCertificate(),
    userAgent: 'xrpl-overlay-test',
    crawlPublic: true,
    features: NO_FEATURES,
    instanceCookie: 11n,
  };
}

describe('/metrics for operators', () => {
  it('passes promtool check metrics', async () => {
    const which = spawnSync('promtool', ['--version']);
    if (which.error) throw new Error('promtool is missing: apt-get install prometheus (.ci/run does)');
    await startNode({ ip: M, extra: `${adminStanzas({ ip: M, rpcPort: RPC_PORT })}\n[ips_fixed]\n${F} ${PEER_PORT}` });
    await startNode({ ip: F });
    // With a peer, so that the labelled histograms and traffic counters have series too.
    const text = await until('the outbound handshake counted', async () => {
      const t = await scrapeText();
      return /^xrpl_overlay_handshake_duration_seconds_count\{direction="out"\} 1$/m.test(t) && t;
    });
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: '' });
  });

  it('counts handshakes, latency, relay outcomes, charges and disconnects as they happen', async () => {
    const m = await startNode({ ip: M, extra: `${adminStanzas({ ip: M, rpcPort: RPC_PORT })}\n[ips_fixed]\n${F} ${PEER_PORT}` });
    await startNode({ ip: F });
    await waitFor('the fixed peer', () => m.overlay.peers().length === 1);
    // Our own Peer dialled in: it answers the node's pings (every 0.5 s in tests) and sends items.
    const est = await dialPeer({ host: M, port: PEER_PORT, local: localNode() });
    const client = new Peer(est.info, est.socket, est.rest, { pingIntervalMs: 60_000 });
    client.start();
    await waitFor('the client as a peer', () => m.overlay.peers().length === 2);
    const inbound = m.overlay.peers().find((p) => p.info.direction === 'in')!;
    await waitFor('a ping answered', () => inbound.latencyMs !== undefined);

    client.send('VALIDATION', { validation: Buffer.alloc(40, 1) }); // under 50 bytes: refused, charged malformed
    const recorded = frameVectors().find((v) => v.type === MessageType.TRANSACTION)!;
    const tx = decodeMessage(recorded.type, payloadOf(recorded));
    if (tx.name !== 'TRANSACTION') throw new Error('not a transaction');
    client.send('TRANSACTION', tx.message); // a real rippled transaction: verified, relayed
    client.send('TRANSACTION', tx.message); // the same again: duplicate
    let f: Map<string, MetricFamily> = new Map();
    await until('the three items counted', async () => {
      f = parsePrometheus(await scrapeText());
      return (sampleValue(f, 'xrpl_overlay_relay_items_total', { type: 'TRANSACTION', outcome: 'duplicate' }) ?? 0) >= 1;
    });
    expect(sampleValue(f, 'xrpl_overlay_relay_items_total', { type: 'VALIDATION', outcome: 'refused' })).toBe(1);
    expect(sampleValue(f, 'xrpl_overlay_relay_items_total', { type: 'TRANSACTION', outcome: 'relayed' })).toBe(1);
    expect(sampleValue(f, 'xrpl_overlay_relay_items_total', { type: 'TRANSACTION', outcome: 'duplicate' })).toBe(1);
    expect(sampleValue(f, 'xrpl_overlay_peer_charges_total', { reason: 'malformed' })).toBe(1);
    expect(sampleValue(f, 'xrpl_overlay_peer_charges_total', { reason: 'invalidSignature' })).toBe(0);

    // One handshake each way, each well under the 25 s connect timeout; the TLS session comes first in, so
    // an inbound one is no longer than the whole dial that made it.
    for (const direction of ['in', 'out']) {
      expect(histogramValue(f, 'xrpl_overlay_handshake_duration_seconds', '_count', { direction }), direction).toBe(1);
      const sum = histogramValue(f, 'xrpl_overlay_handshake_duration_seconds', '_sum', { direction })!;
      expect(sum, direction).toBeGreaterThan(0);
      expect(sum, direction).toBeLessThan(25);
      expect(histogramValue(f, 'xrpl_overlay_handshake_duration_seconds', '_bucket', { direction, le: '+Inf' })).toBe(1);
    }
    // Latency in seconds, not ms: loopback round trips are far under a second (5 s: a loaded machine).
    const pongs = histogramValue(f, 'xrpl_overlay_peer_latency_seconds', '_count')!;
    expect(pongs).toBeGreaterThanOrEqual(1);
    expect(histogramValue(f, 'xrpl_overlay_peer_latency_seconds', '_sum')! / pongs).toBeLessThan(5);
    expect(histogramValue(f, 'xrpl_overlay_peer_latency_seconds', '_bucket', { le: '5' })).toBe(pongs);

    expect(sampleValue(f, 'xrpl_overlay_build_info', { version: VERSION, node_version: process.version })).toBe(1);
    expect(sampleValue(f, 'xrpl_overlay_peer_disconnects_total', { reason: 'remote-closed' })).toBe(0);

    client.close({ reason: 'shutdown' });
    await waitFor('the client gone', () => m.overlay.peers().length === 1);
    f = parsePrometheus(await scrapeText());
    expect(sampleValue(f, 'xrpl_overlay_peer_disconnects_total', { reason: 'remote-closed' })).toBe(1);
    expect(sampleValue(f, 'xrpl_overlay_peer_disconnects_total', { reason: 'shutdown' })).toBe(0);
  });
});

describe('handshake failure reasons', () => {
  it('an outbound 101 whose signature fails is counted by the check that failed, as inbound ones are', async () => {
    const m = await startNode({ ip: M, extra: adminStanzas({ ip: M, rpcPort: RPC_PORT }) });
    const indie = await listenIndependent({ host: INDIE, signWrongDigest: true });
    try {
      const err = await m.overlay.connect(INDIE, indie.port, 'test').catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'handshake', refusal: 'bad-signature' });
      const f = parsePrometheus(await scrapeText());
      expect(sampleValue(f, 'xrpl_overlay_handshake_failures_total', { direction: 'out', reason: 'bad-signature' })).toBe(1);
      expect(sampleValue(f, 'xrpl_overlay_handshake_failures_total', { direction: 'out', reason: 'handshake' })).toBe(undefined);
    } finally {
      await indie.close();
    }
  });
});

describe('contrib/grafana-dashboard.json', () => {
  it('queries only metric families the node exports', async () => {
    await startNode({ ip: M, extra: adminStanzas({ ip: M, rpcPort: RPC_PORT }) });
    const exported = new Set<string>();
    for (const [name, fam] of parsePrometheus(await scrapeText())) {
      exported.add(name);
      if (fam.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(name + s);
    }
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'contrib', 'grafana-dashboard.json'), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
      templating: { list: { name: string; query: string }[] };
    };
    for (const v of dashboard.templating.list) {
      const m = /^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(v.query);
      expect(m && exported.has(m[1]!), `variable ${v.name}: ${v.query}`).toBe(true);
    }
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    // PromQL names: identifiers not followed by "(" (functions) nor inside {…} / […] / by (…), and not keywords.
    const KEYWORDS = new Set(['by', 'without', 'sum', 'rate', 'irate', 'increase', 'histogram_quantile', 'max', 'min', 'avg', 'count', 'topk', 'le', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'time', 'label_replace', 'delta', 'deriv', 'clamp_min', 'changes', 'resets', 'abs', 'vector']);
    for (const { panel, expr } of exprs) {
      const bare = expr
        .replace(/\{[^}]*\}/g, '')
        .replace(/\[[^\]]*\]/g, '')
        .replace(/\b(by|without)\s*\([^)]*\)/g, '')
        .replace(/"[^"]*"/g, '');
      const names = [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((x) => x[0]).filter((n) => !KEYWORDS.has(n) && !/^\d/.test(n));
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) expect(exported.has(n), `${panel}: ${expr} names ${n}`).toBe(true);
    }
  });
});
