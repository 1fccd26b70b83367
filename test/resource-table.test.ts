/**
 * The resource table (rippled's Resource::Manager): balances keyed by address and shared by every
 * connection with that key, kept after the last one closes, the drop fee, expiry and our size cap;
 * then over real sockets on 127.0.16.x, a peer dropped for its load that comes straight back.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/config.js';
import { overlayOptions } from '../src/daemon.js';
import { NodeIdentity } from '../src/identity/node-key.js';
import { silentLogger } from '../src/logger.js';
import { ConnectError } from '../src/connect/handshake-io.js';
import { Peer, type PeerInfo } from '../src/peer/peer.js';
import type { PeerClose } from '../src/peer/reasons.js';
import { Charge } from '../src/resource/resource.js';
import { DEFAULT_RESOURCE_TABLE, ResourceTable, type ResourceTableOptions } from '../src/resource/resource-table.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function table(options: Partial<ResourceTableOptions> = {}) {
  const c = clock();
  return { c, t: new ResourceTable(options, c.now) };
}

describe('ResourceTable (rippled Resource::Logic)', () => {
  it('has rippled defaults: 5000 / 25000 over 32 s, entries kept 300 s, feeDrop 6000', () => {
    expect(DEFAULT_RESOURCE_TABLE).toMatchObject({ warnThreshold: 5000, dropThreshold: 25000, decayWindowMs: 32_000, expirationMs: 300_000, dropFee: 6000 });
  });

  it('shares one balance between every inbound connection from an IP, whatever the port or v4-mapped form', () => {
    const { t } = table();
    const a = t.newInboundEndpoint('10.0.0.1');
    const b = t.newInboundEndpoint('::ffff:10.0.0.1');
    a.charge(32 * 100);
    expect(b.balance).toBe(100);
    b.charge(32 * 50);
    expect(a.balance).toBe(150);
    expect(t.size).toBe(1);
    expect(t.newInboundEndpoint('10.0.0.2').balance).toBe(0);
  });

  it('keys outbound consumers by address and port, apart from inbound ones', () => {
    const { t } = table();
    const out = t.newOutboundEndpoint('10.0.0.1', 51235);
    out.charge(32 * 100);
    expect(t.newOutboundEndpoint('10.0.0.1', 51235).balance).toBe(100);
    expect(t.newOutboundEndpoint('10.0.0.1', 51236).balance).toBe(0);
    expect(t.newInboundEndpoint('10.0.0.1').balance).toBe(0);
    expect(t.peek('outbound', '10.0.0.1', 51235)).toBe(100);
    expect(t.peek('inbound', '10.0.0.1')).toBe(0);
    expect(t.newOutboundEndpoint('::1', 51235).address).toBe('[::1]:51235');
  });

  it('keeps the balance after the last connection closes, so an immediate reconnect carries it', () => {
    const { c, t } = table();
    const first = t.newInboundEndpoint('10.0.0.1');
    first.charge(32 * 30_000);
    first.release();
    first.release(); // twice is harmless
    c.advance(100);
    const again = t.newInboundEndpoint('10.0.0.1');
    expect(again.balance).toBe(30_000);
    expect(again.disconnect()).toBe(true);
  });

  it('expires an entry nobody holds after the expiration time, counted from its last release', () => {
    // A long decay window, so that the balance is still there when the entry expires.
    const { c, t } = table({ decayWindowMs: 3_600_000, expirationMs: 10_000 });
    const a = t.newInboundEndpoint('10.0.0.1');
    const b = t.newInboundEndpoint('10.0.0.1');
    a.charge(3600 * 100);
    a.release();
    c.advance(60_000); // b still holds it: never expires
    expect(t.expire()).toBe(0);
    expect(t.peek('inbound', '10.0.0.1')).toBeGreaterThan(90);
    b.release();
    c.advance(9_999);
    expect(t.expire()).toBe(0);
    expect(t.size).toBe(1);
    c.advance(1);
    expect(t.expire()).toBe(1);
    expect(t.size).toBe(0);
    expect(t.newInboundEndpoint('10.0.0.1').balance).toBe(0);
  });

  it('treats an entry past its expiry as gone even before the periodic sweep', () => {
    const { c, t } = table({ decayWindowMs: 3_600_000, expirationMs: 10_000 });
    const a = t.newInboundEndpoint('10.0.0.1');
    a.charge(3600 * 100);
    a.release();
    c.advance(10_000);
    expect(t.newInboundEndpoint('10.0.0.1').balance).toBe(0);
  });

  it('adds the drop fee when it disconnects a consumer at or over the drop threshold, and only then', () => {
    const { t } = table();
    const a = t.newInboundEndpoint('10.0.0.1');
    expect(a.charge(32 * 24_999)).toBe('warn');
    expect(a.disconnect()).toBe(false);
    expect(a.balance).toBe(24_999);
    expect(a.charge(32)).toBe('drop');
    expect(a.disconnect()).toBe(true);
    expect(a.balance).toBe(Math.floor((32 * 25_000 + 6000) / 32)); // 25187
    // Each refusal pays it again.
    expect(t.newInboundEndpoint('10.0.0.1').disconnect()).toBe(true);
    expect(a.balance).toBe(25_000 + (2 * 6000) / 32); // 25375
  });

  it('takes the drop fee from its options', () => {
    const { t } = table({ dropFee: 32_000 });
    const a = t.newInboundEndpoint('10.0.0.1');
    a.charge(32 * 25_000);
    expect(a.disconnect()).toBe(true);
    expect(a.balance).toBe(26_000);
  });

  it('caps its size: evicts inactive entries, least loaded first, never one in use or over the drop threshold', () => {
    const { t } = table({ maxEntries: 10, dropThreshold: 100 });
    const held = t.newInboundEndpoint('10.0.1.1');
    const bad = t.newInboundEndpoint('10.0.1.2');
    bad.charge(32 * 1000);
    expect(bad.disconnect()).toBe(true);
    bad.release();
    const light = t.newInboundEndpoint('10.0.1.3');
    light.charge(32 * 5);
    light.release();
    for (let i = 0; i < 500; i++) t.newInboundEndpoint(`10.0.2.${i}`).release();
    expect(t.size).toBeLessThanOrEqual(10);
    expect(t.peek('inbound', '10.0.1.2')).toBeGreaterThanOrEqual(1000);
    expect(t.peek('inbound', '10.0.1.3')).toBe(5);
    expect(held.balance).toBe(0);
    held.charge(32 * 7);
    expect(t.peek('inbound', '10.0.1.1')).toBe(7);
    // Entries in use are never evicted, even past the cap (there are never more than connections).
    const many = Array.from({ length: 20 }, (_, i) => t.newInboundEndpoint(`10.0.3.${i}`));
    for (const m of many) m.charge(32);
    expect(t.size).toBeGreaterThanOrEqual(21);
    for (const m of many) expect(m.balance).toBe(1);
  });

  it('a Peer dropped for its load pays the drop fee (PeerImp::charge) and lets go of its entry when closed', () => {
    const { c, t } = table({ expirationMs: 10_000 });
    const info = { n9: 'n9test', remoteIp: '10.0.0.9', remotePort: 40000, direction: 'in', features: { compression: false } } as unknown as PeerInfo;
    const first = new Peer(info, new PassThrough(), Buffer.alloc(0), { consumer: t.newInboundEndpoint('10.0.0.9'), pingIntervalMs: 60_000 });
    let accepted = 0;
    while (first.charge(Charge.heavy, 'test')) accepted++;
    expect(accepted).toBe(399); // 400 × 2000 / 32 = 25000
    expect(first.closeReason).toEqual({ reason: 'resource-limit', detail: 'test' });
    expect(first.charge(Charge.trivial, 'after close')).toBe(false);
    expect(t.peek('inbound', '10.0.0.9')).toBe(Math.floor((400 * 2000 + 6000) / 32));
    // A second connection from the address shares the entry and would be refused at once.
    const second = t.newInboundEndpoint('10.0.0.9');
    expect(second.disconnect()).toBe(true);
    second.release();
    c.advance(10_000);
    expect(t.expire()).toBe(1);
  });

  it('reads resource_expiration and resource_drop_fee from [overlay], with rippled defaults', () => {
    const opts = (text: string) => overlayOptions(parseConfig(text, 'x.cfg'), NodeIdentity.generate(), silentLogger()).timers.resource;
    expect(opts('')).toMatchObject({ expirationMs: 300_000, dropFee: 6000, dropThreshold: 25_000 });
    expect(opts('[overlay]\nresource_expiration = 12.5\nresource_drop_fee = 100\n')).toMatchObject({ expirationMs: 12_500, dropFee: 100 });
    expect(() => opts('[overlay]\nresource_drop_fee = -1\n')).toThrow(/resource_drop_fee/);
  });
});

// ------------------------------------------------------------------------------------------------
// Over real sockets
// ------------------------------------------------------------------------------------------------

afterEach(stopAllNodes);

/**
 * A node whose balances are easy to reach and decay in seconds: a 4 s window (a quarter off each
 * second), drop at 1000 (4000 in charges: 16 pings), and a drop fee of 2000 (500 on the balance), so
 * that the balance after a drop survives one tick of decay above the threshold.
 */
const STRICT = ['resource_decay_window = 4', 'resource_warn_threshold = 500', 'resource_drop_threshold = 1000', 'resource_drop_fee = 2000'];
const PRIVATE = '[peer_private]\n1';

async function flood(from: Awaited<ReturnType<typeof startNode>>, count: number): Promise<void> {
  const link = await waitFor('a peer to flood', () => from.overlay.peers()[0]);
  for (let i = 0; i < count; i++) link.send('PING', { type: 0, seq: i });
}

describe('a peer dropped for its load (127.0.16.x)', () => {
  it('is closed without a response when it reconnects at once, until its balance has decayed; another IP is not', async () => {
    const hub = await startNode({ ip: '127.0.16.1', overlay: STRICT });
    const bad = await startNode({ ip: '127.0.16.2', extra: PRIVATE });
    const good = await startNode({ ip: '127.0.16.3', extra: PRIVATE });
    await bad.overlay.connect('127.0.16.1', PEER_PORT, 'test');
    const dropped = new Promise<PeerClose>((resolve) => hub.overlay.once('peerDisconnected', (_p, close) => resolve(close)));
    await flood(bad, 60);
    expect((await dropped).reason).toBe('resource-limit');
    await waitFor('the drop seen at the other end', () => bad.overlay.peers().length === 0);
    // Kept with the drop fee on top; the entry is no longer held by any connection.
    expect(hub.overlay.resources.peek('inbound', '127.0.16.2')).toBeGreaterThanOrEqual(1000);

    const refused = await bad.overlay.connect('127.0.16.1', PEER_PORT, 'test').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectError);
    // rippled closes it without an HTTP response (OverlayImpl::onHandoff, consumer.disconnect()).
    expect(refused).toMatchObject({ kind: 'network' });
    expect(hub.overlay.peers()).toHaveLength(0);

    // Another address is not affected.
    await good.overlay.connect('127.0.16.1', PEER_PORT, 'test');
    expect(hub.overlay.peers().map((p) => p.info.remoteIp)).toEqual(['127.0.16.3']);

    // Once the balance has decayed below the drop threshold, it is let in again.
    await waitFor('the balance to decay', () => hub.overlay.resources.peek('inbound', '127.0.16.2') < 1000, 15_000, 50);
    const back = await bad.overlay.connect('127.0.16.1', PEER_PORT, 'test');
    expect(back).toBeDefined();
    await waitFor('the peer back at the hub', () => hub.overlay.peers().some((p) => p.info.remoteIp === '127.0.16.2'));
  });

  it('is not dialled again while its address and port are over the limit, an entry apart from its inbound one', async () => {
    const hub = await startNode({ ip: '127.0.16.4', overlay: STRICT, extra: PRIVATE });
    const bad = await startNode({ ip: '127.0.16.5' }); // takes inbound peers: the hub dials it
    const dropped = new Promise<PeerClose>((resolve) => hub.overlay.once('peerDisconnected', (_p, close) => resolve(close)));
    await hub.overlay.connect('127.0.16.5', PEER_PORT, 'test');
    await flood(bad, 60);
    expect((await dropped).reason).toBe('resource-limit');
    await waitFor('the drop seen at the other end', () => bad.overlay.peers().length === 0);
    let inbound = 0;
    bad.overlay.on('peerConnected', () => inbound++);
    bad.overlay.on('handshakeFailed', (dir) => dir === 'in' && inbound++);

    const err = await hub.overlay.connect('127.0.16.5', PEER_PORT, 'test').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'resource-limit' });
    await new Promise((r) => setTimeout(r, 200));
    expect(inbound).toBe(0);
    // rippled keys what it dials apart from what dials it: the inbound entry for that IP is clean.
    expect(hub.overlay.resources.peek('outbound', '127.0.16.5', PEER_PORT)).toBeGreaterThanOrEqual(1000);
    expect(hub.overlay.resources.peek('inbound', '127.0.16.5')).toBe(0);
  });

  it('retries a fixed peer over its limit each autoconnect tick, without fixed-peer backoff, as rippled', async () => {
    const bad = await startNode({ ip: '127.0.16.9' }); // first: the hub's first dial must find it
    const hub = await startNode({
      ip: '127.0.16.8',
      overlay: [...STRICT, 'fixed_backoff_min = 10', 'fixed_backoff_max = 20'],
      peerfinder: ['autoconnect_interval = 0.2'],
      extra: `${PRIVATE}\n[ips_fixed]\n127.0.16.9 ${PEER_PORT}`,
    });
    await waitFor('the fixed peer connected', () => hub.overlay.peers().length === 1);
    const dropped = new Promise<PeerClose>((resolve) => hub.overlay.once('peerDisconnected', (_p, close) => resolve(close)));
    await flood(bad, 60);
    expect((await dropped).reason).toBe('resource-limit');
    const atDrop = hub.overlay.resources.peek('outbound', '127.0.16.9', PEER_PORT);
    // Every refused dial pays the drop fee (500 on the balance here): five a second outrun the decay.
    // Backed off, the next dial would be 10 s away and the balance would only decay.
    await new Promise((r) => setTimeout(r, 1500));
    expect(hub.overlay.resources.peek('outbound', '127.0.16.9', PEER_PORT)).toBeGreaterThan(atDrop + 500);
    expect(hub.overlay.peers()).toHaveLength(0);
  });

  it('shows the shared balance as the peer\'s load', async () => {
    const hub = await startNode({ ip: '127.0.16.6', overlay: STRICT });
    const other = await startNode({ ip: '127.0.16.7', extra: PRIVATE });
    await other.overlay.connect('127.0.16.6', PEER_PORT, 'test');
    await flood(other, 8);
    const peer = await waitFor('the peer at the hub', () => hub.overlay.peers()[0]);
    await waitFor('the pings charged', () => peer.resource.balance >= 300);
    expect(peer.resource.balance).toBe(hub.overlay.resources.peek('inbound', '127.0.16.7'));
  });
});
