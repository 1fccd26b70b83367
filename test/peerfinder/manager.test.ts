/**
 * PeerFinder (src/peerfinder/manager.ts) driven as rippled's PeerFinder_test drives its
 * Logic: a manual clock, no sockets. Fixed-peer backoff, slots, redirects, Livecache hops and
 * expiry, Bootcache valence and pruning, all through the Manager's calls.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TMEndpoints } from '../../src/protocol/messages.js';
import { type DiscoveryTimers, PeerFinder, type PeerFinderConfig, type Slot } from '../../src/peerfinder/manager.js';
import { pub, SEC, seeded, T } from './support.js';

const MIN = 60 * SEC;

let clock = 0;
const now = () => clock;
beforeEach(() => {
  clock = 1_000_000;
});

const DISCOVERY: DiscoveryTimers = {
  endpointsIntervalMs: T.endpointsInterval,
  livecacheTtlMs: T.livecacheTtl,
  recentAttemptIntervalMs: T.recentAttemptInterval,
  bootcacheSize: T.bootcacheSize,
  bootcachePrunePercent: T.bootcachePrunePercent,
  bootcacheCooldownMs: T.bootcacheCooldown,
  bootcacheMaxFailures: T.bootcacheMaxFailures,
  redirectIps: T.redirectIps,
  redirectIpsSent: T.redirectIpsSent,
  maxHops: T.maxHops,
  endpointsPerMessage: T.endpointsPerMessage,
  endpointsMaxReceived: T.endpointsMaxReceived,
  connectTestTimeoutMs: T.tcpConnectTimeout,
};

function finder(over: Partial<PeerFinderConfig> = {}, discovery: Partial<DiscoveryTimers> = {}): PeerFinder {
  return new PeerFinder(
    {
      outMax: 10,
      inMax: 11,
      ipLimit: 2,
      peerPrivate: false,
      listening: true,
      verifyEndpoints: true,
      allowPrivate: false,
      maxConnectAttempts: T.maxConnectAttempts,
      fixedBackoffMinMs: T.fixedBackoffMin,
      fixedBackoffMaxMs: T.fixedBackoffMax,
      discovery: { ...DISCOVERY, ...discovery },
      ...over,
    },
    { now, random: seeded() },
  );
}

let keys = 0;
function connectOut(pf: PeerFinder, ep: { ip: string; port: number }, reserved = false): Slot {
  const r = pf.activate({ ...ep, inbound: false, publicKey: `key${++keys}`, reserved });
  if (!r.slot) throw new Error(`not activated: ${r.result}`);
  return r.slot;
}

function msg(entries: [string, number][]): TMEndpoints {
  return { version: 2, endpoints_v2: entries.map(([endpoint, hops]) => ({ endpoint, hops })) };
}

describe('defaults are rippled Tuning', () => {
  it('has the documented values', () => {
    expect(T.livecacheTtl).toBe(30 * SEC);
    expect(T.endpointsInterval).toBe(151 * SEC);
    expect(T.maxHops).toBe(6);
    expect(T.endpointsPerMessage).toBe(12);
    expect(T.endpointsMaxReceived).toBe(64);
    expect(T.maxConnectAttempts).toBe(20);
    expect(T.recentAttemptInterval).toBe(60 * SEC);
    expect(T.bootcacheSize).toBe(1000);
    expect(T.bootcachePrunePercent).toBe(10);
    expect(T.bootcacheCooldown).toBe(60 * SEC);
    expect(T.redirectIps).toBe(30);
    expect(T.redirectIpsSent).toBe(10);
    expect(T.fixedBackoffMin).toBe(1 * MIN);
    expect(T.fixedBackoffMax).toBe(55 * MIN);
    expect(T.bootcacheMaxFailures).toBe(10);
  });
});

describe('fixed peers', () => {
  /** Dials of the fixed peer this tick. */
  const fixedDials = (pf: PeerFinder) => pf.autoconnect().dial.filter((d) => d.fixed);

  it('backs off 1, 2, 3, 5, 8, 13, 21, 34, 55, 55 minutes after consecutive failures', () => {
    // rippled Fixed::failure steps through connectionBackoff {1,1,2,3,5,8,13,21,34,55} after
    // counting the failure, so the first wait is its second entry.
    const pf = finder();
    const f = pf.addFixedPeer('fixed.example', 51235, '44.1.1.1');
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      const dial = fixedDials(pf);
      expect(dial.map((d) => `${d.ip}:${d.port}`)).toEqual(['44.1.1.1:51235']);
      expect(f.connecting).toBe(true);
      const wait = pf.fixedDialDone(f, 'failure')!;
      waits.push(wait / MIN);
      expect(f.connecting).toBe(false);
      clock += wait - 1;
      expect(fixedDials(pf), `attempt ${i + 2} 1 ms early`).toEqual([]);
      clock += 1;
    }
    expect(waits).toEqual([1, 2, 3, 5, 8, 13, 21, 34, 55, 55]);
  });

  it('a success resets the schedule; a loss redials as soon as the squelch allows', () => {
    const pf = finder();
    const f = pf.addFixedPeer('44.1.1.1', 51235, '44.1.1.1');
    for (let i = 0; i < 4; i++) {
      fixedDials(pf);
      clock += pf.fixedDialDone(f, 'failure')!;
    }
    expect(f.failures).toBe(4);
    expect(fixedDials(pf)).toHaveLength(1);
    pf.fixedDialDone(f, 'success');
    expect(f.failures).toBe(0);
    const slot = connectOut(pf, { ip: '44.1.1.1', port: 51235 });
    expect(slot.fixed).toBe(true);
    expect(fixedDials(pf)).toEqual([]); // connected
    expect(pf.onClosed(slot)).toEqual(['44.1.1.1:51235']);
    // The IP was connected a moment ago: rippled squelches it for recentAttemptInterval.
    clock += T.recentAttemptInterval;
    expect(fixedDials(pf)).toHaveLength(1);
    expect(pf.fixedDialDone(f, 'failure')).toBe(1 * MIN);
  });

  it('"not tried" (already connected, resource refusal) leaves the backoff alone', () => {
    const pf = finder();
    const f = pf.addFixedPeer('44.1.1.1', 51235, '44.1.1.1');
    fixedDials(pf);
    expect(pf.fixedDialDone(f, 'not-tried')).toBeUndefined();
    expect(f.failures).toBe(0);
  });

  it('the cap is fixed_backoff_max', () => {
    const pf = finder({ fixedBackoffMinMs: 1 * MIN, fixedBackoffMaxMs: 4 * MIN });
    const f = pf.addFixedPeer('44.1.1.1', 51235, '44.1.1.1');
    const waits = Array.from({ length: 6 }, () => pf.fixedDialDone(f, 'failure')! / MIN);
    expect(waits).toEqual([1, 2, 3, 4, 4, 4]);
  });

  it('an unresolved name is looked up when due and backs off on failure', () => {
    const pf = finder();
    const f = pf.addFixedPeer('nowhere.example', 51235);
    expect(pf.fixedToResolve()).toEqual([f]);
    expect(pf.fixedToResolve()).toEqual([]); // lookup in flight
    expect(pf.fixedResolved(f, undefined)).toBe(1 * MIN);
    expect(pf.fixedToResolve()).toEqual([]);
    clock += 1 * MIN;
    expect(pf.fixedToResolve()).toEqual([f]);
    expect(pf.fixedResolved(f, '::ffff:44.1.1.2')).toBeUndefined();
    expect(f.ip).toBe('44.1.1.2');
    expect(fixedDials(pf).map((d) => d.ip)).toEqual(['44.1.1.2']);
  });

  it('fixed peers are dialled first, before the Livecache and Bootcache, and take no slot', () => {
    const pf = finder({ outMax: 10 });
    pf.addFixedPeer('44.1.1.1', 51235, '44.1.1.1');
    pf.addFallback(pub(7));
    expect(pf.autoconnect()).toMatchObject({ source: 'fixed', dial: [{ ip: '44.1.1.1', port: 51235 }] });
    connectOut(pf, { ip: '44.1.1.1', port: 51235 });
    expect(pf.counts()).toMatchObject({ outActive: 0, fixedActive: 1 });
    expect(pf.autoconnect()).toMatchObject({ source: 'bootcache', dial: [pub(7)] });
  });

  it('an inbound connection from a fixed peer’s IP is fixed, whatever its port', () => {
    const pf = finder({ inMax: 0 });
    pf.addFixedPeer('44.1.1.1', 51235, '44.1.1.1');
    const r = pf.activate({ ip: '44.1.1.1', port: 40000, inbound: true, publicKey: 'k', reserved: false });
    expect(r.result).toBe('success');
    expect(r.slot?.fixed).toBe(true);
  });
});

describe('slots', () => {
  it('refuses inbound past inMax and outbound past outMax; a closed slot is free again', () => {
    const pf = finder({ inMax: 1, outMax: 1 });
    const a = pf.activate({ ip: '44.0.0.1', port: 1000, inbound: true, publicKey: 'a', reserved: false });
    expect(a.result).toBe('success');
    expect(pf.activate({ ip: '44.0.0.2', port: 1000, inbound: true, publicKey: 'b', reserved: false }).result).toBe('full');
    expect(pf.activate({ ip: '44.0.0.3', port: 51235, inbound: false, publicKey: 'c', reserved: false }).result).toBe('success');
    expect(pf.activate({ ip: '44.0.0.4', port: 51235, inbound: false, publicKey: 'd', reserved: false }).result).toBe('full');
    expect(pf.counts()).toMatchObject({ inActive: 1, outActive: 1, total: 2 });
    pf.onClosed(a.slot!);
    expect(pf.counts()).toMatchObject({ inActive: 0, total: 1 });
    expect(pf.activate({ ip: '44.0.0.2', port: 1000, inbound: true, publicKey: 'b', reserved: false }).result).toBe('success');
  });

  it('a reserved (or cluster) node gets in when full and holds no slot', () => {
    const pf = finder({ inMax: 1 });
    pf.activate({ ip: '44.0.0.1', port: 1000, inbound: true, publicKey: 'a', reserved: false });
    const r = pf.activate({ ip: '44.0.0.2', port: 1000, inbound: true, publicKey: 'r', reserved: true });
    expect(r.result).toBe('success');
    expect(pf.counts()).toMatchObject({ inActive: 1, total: 2 });
  });

  it('a key already active is a duplicate, in either direction', () => {
    const pf = finder();
    pf.activate({ ip: '44.0.0.1', port: 1000, inbound: true, publicKey: 'same', reserved: true });
    expect(pf.activate({ ip: '44.0.0.9', port: 51235, inbound: false, publicKey: 'same', reserved: true }).result).toBe('duplicate');
  });

  it('a private node, or one without a peer port, offers no inbound slot', () => {
    expect(finder({ peerPrivate: true }).activate({ ip: '44.0.0.1', port: 1, inbound: true, publicKey: 'a', reserved: false }).result).toBe('inbound-disabled');
    expect(finder({ listening: false }).activate({ ip: '44.0.0.1', port: 1, inbound: true, publicKey: 'a', reserved: false }).result).toBe('inbound-disabled');
  });

  it('limits connections per public IP, counting attempts in flight; never the same ip:port twice', () => {
    const pf = finder({ ipLimit: 2 });
    pf.activate({ ip: '44.0.0.1', port: 1000, inbound: true, publicKey: 'a', reserved: false });
    expect(pf.newInboundSlot({ ip: '44.0.0.1', port: 1001 })).toBe('success');
    expect(pf.newOutboundSlot('44.0.0.1', 51235)).toBe(true);
    expect(pf.newOutboundSlot('44.0.0.1', 51235)).toBe(false); // already in flight
    expect(pf.newInboundSlot({ ip: '44.0.0.1', port: 1001 })).toBe('ip-limit');
    pf.outboundSlotDone('44.0.0.1', 51235);
    expect(pf.newInboundSlot({ ip: '44.0.0.1', port: 1000 })).toBe('duplicate');
    expect(pf.newInboundSlot({ ip: '127.0.0.1', port: 1 })).toBe('success');
  });

  it('at most maxConnectAttempts dials in flight', () => {
    const pf = finder({ maxConnectAttempts: 3 });
    for (let i = 1; i <= 10; i++) pf.livecache.insert({ ...pub(i), hops: 1 });
    const first = pf.autoconnect().dial;
    expect(first).toHaveLength(3);
    for (const d of first) pf.newOutboundSlot(d.ip, d.port);
    expect(pf.autoconnect().dial).toEqual([]);
    pf.outboundSlotDone(first[0]!.ip, first[0]!.port);
    expect(pf.autoconnect().dial).toHaveLength(1);
  });

  it('stops dialling once the outbound slots are full', () => {
    const pf = finder({ outMax: 1 });
    pf.addFallback(pub(1));
    pf.addFallback(pub(2));
    connectOut(pf, pub(3));
    expect(pf.autoconnect().dial).toEqual([]);
  });
});

describe('redirects', () => {
  it('offers Livecache addresses (never the requester’s), then the extra ones, up to 10', () => {
    const pf = finder();
    const slot = connectOut(pf, pub(100));
    pf.onEndpoints(slot, msg([['44.0.0.7:51235', 1], ['44.0.0.8:51235', 2]]), false);
    expect(pf.redirect('44.0.0.7').sort()).toEqual(['44.0.0.8:51235']);
    const extra = Array.from({ length: 12 }, (_, i) => pub(200 + i));
    const out = pf.redirect('44.0.0.9', extra);
    expect(out).toHaveLength(10);
    expect(out.slice(0, 2).sort()).toEqual(['44.0.0.7:51235', '44.0.0.8:51235']);
    expect(out[2]).toBe('44.0.0.200:51235');
  });

  it('a 503’s addresses go to the Bootcache (the first 30) and are dialled from there', () => {
    const pf = finder();
    const ips = Array.from({ length: 40 }, (_, i) => pub(i + 1));
    expect(pf.onRedirects(ips)).toBe(30);
    expect(pf.bootcache.size).toBe(30);
    expect(pf.bootcache.has(pub(31))).toBe(false);
    expect(pf.autoconnect()).toMatchObject({ source: 'bootcache' });
  });
});

describe('Livecache through on endpoints', () => {
  it('stores the sender at hops 1 and the rest one hop farther; drops beyond maxHops', () => {
    const pf = finder();
    const slot = connectOut(pf, pub(100));
    const r = pf.onEndpoints(slot, msg([['[::]:51235', 0], ['44.0.0.2:51235', 3], ['44.0.0.3:51235', 6], ['44.0.0.4:51235', 7]]), false);
    expect(r).toEqual({ ignored: false, tooLarge: false, malformed: 0, connectTest: undefined });
    const hops = Object.fromEntries(pf.livecache.all().map((e) => [`${e.ip}:${e.port}`, e.hops]));
    expect(hops).toEqual({ '44.0.0.100:51235': 1, '44.0.0.2:51235': 4, '44.0.0.3:51235': 7 });
    expect(pf.bootcache.valence({ ip: '44.0.0.2', port: 51235 })).toBe(0);
  });

  it('entries expire 30 s after their last sighting; a nearer sighting replaces a farther one', () => {
    const pf = finder({}, { endpointsIntervalMs: 1 });
    const slot = connectOut(pf, pub(100));
    pf.onEndpoints(slot, msg([['44.0.0.2:51235', 3]]), false);
    clock += 20 * SEC;
    pf.onEndpoints(slot, msg([['44.0.0.2:51235', 1]]), false);
    expect(pf.livecache.get({ ip: '44.0.0.2', port: 51235 })?.hops).toBe(2);
    clock += 30 * SEC - 1;
    pf.oncePerSecond();
    expect(pf.livecache.size).toBe(1);
    clock += 1;
    pf.oncePerSecond();
    expect(pf.livecache.size).toBe(0);
  });

  it('one list per peer per 151 s; none from a diverged peer or a closed slot', () => {
    const pf = finder();
    const slot = connectOut(pf, pub(100));
    expect(pf.onEndpoints(slot, msg([['44.0.0.2:51235', 1]]), true)).toEqual({ ignored: true });
    pf.onEndpoints(slot, msg([['44.0.0.2:51235', 1]]), false);
    pf.onEndpoints(slot, msg([['44.0.0.3:51235', 1]]), false);
    expect(pf.livecache.all().map((e) => e.ip)).toEqual(['44.0.0.2']);
    clock += T.endpointsInterval;
    pf.onEndpoints(slot, msg([['44.0.0.3:51235', 1]]), false);
    expect(pf.livecache.all().map((e) => e.ip)).toEqual(['44.0.0.3']); // the first has expired by now
    pf.onClosed(slot);
    expect(pf.onEndpoints(slot, msg([['44.0.0.4:51235', 1]]), false)).toEqual({ ignored: true });
  });

  it('an inbound peer’s own address waits for the connect test; a failed test is a Bootcache failure', () => {
    const pf = finder();
    const r = pf.activate({ ip: '44.0.0.5', port: 40000, inbound: true, publicKey: 'in', reserved: false });
    const v = pf.onEndpoints(r.slot!, msg([['[::]:51235', 0]]), false);
    expect(v).toMatchObject({ ignored: false, connectTest: { ip: '44.0.0.5', port: 51235 } });
    expect(pf.livecache.size).toBe(0);
    expect(pf.onConnectTestDone(r.slot!, { ip: '44.0.0.5', port: 51235 }, false)).toBeUndefined();
    expect(pf.bootcache.valence({ ip: '44.0.0.5', port: 51235 })).toBe(-1);
    const ok = pf.activate({ ip: '44.0.0.6', port: 40000, inbound: true, publicKey: 'in2', reserved: false });
    pf.onEndpoints(ok.slot!, msg([['[::]:51235', 0]]), false);
    expect(pf.onConnectTestDone(ok.slot!, { ip: '44.0.0.6', port: 51235 }, true)).toBe(51235);
  });

  it('the Livecache is dialled before the Bootcache, farthest first', () => {
    const pf = finder();
    pf.addFallback(pub(50));
    const slot = connectOut(pf, pub(100));
    pf.onEndpoints(slot, msg([['44.0.0.2:51235', 1], ['44.0.0.3:51235', 5]]), false);
    const plan = pf.autoconnect();
    expect(plan.source).toBe('livecache');
    expect(plan.dial.map((d) => d.ip)).toEqual(['44.0.0.3', '44.0.0.2']);
  });

  it('TMEndpoints are due at start and then every 151 s, with our own entry first', () => {
    const pf = finder();
    const slot = connectOut(pf, pub(100));
    expect(pf.oncePerSecond()).toBe(true);
    expect(pf.oncePerSecond()).toBe(false);
    clock += T.endpointsInterval;
    expect(pf.oncePerSecond()).toBe(true);
    const [m] = pf.buildEndpoints([{ peer: 'p', slot }], 51235);
    expect(m?.message.endpoints_v2[0]).toEqual({ endpoint: '[::]:51235', hops: 0 });
    expect(finder({ peerPrivate: true }).buildEndpoints([{ peer: 'p', slot: connectOut(finder(), pub(1)) }], 51235)).toEqual([]);
  });
});

describe('Bootcache valence and pruning', () => {
  it('+1 per outbound activation (a full node counts too), -1 per failure, reset at a change of sign', () => {
    const pf = finder({ outMax: 1 });
    const a = pub(1);
    pf.onFailure(a);
    pf.onFailure(a);
    expect(pf.bootcache.valence(a)).toBe(-2);
    connectOut(pf, a);
    expect(pf.bootcache.valence(a)).toBe(1);
    expect(pf.activate({ ...pub(2), inbound: false, publicKey: 'full', reserved: false }).result).toBe('full');
    expect(pf.bootcache.valence(pub(2))).toBe(1);
    expect(pf.activate({ ...pub(3), inbound: false, publicKey: `key${keys}`, reserved: false }).result).toBe('duplicate');
    expect(pf.bootcache.has(pub(3))).toBe(false);
  });

  it('a dead learned address is forgotten after bootcache_max_failures (10) failures instead of being redialled every minute', () => {
    const pf = finder();
    const dead = pub(1);
    pf.onRedirects([dead]);
    let dials = 0;
    for (let minute = 0; minute < 30; minute++) {
      const plan = pf.autoconnect();
      for (const d of plan.dial) {
        dials++;
        pf.onFailure(d);
      }
      clock += T.recentAttemptInterval;
    }
    expect(dials).toBe(10);
    expect(pf.bootcache.has(dead)).toBe(false);
  });

  it('an [ips] address is kept however often it fails; 0 turns pruning off', () => {
    const pf = finder();
    pf.addFallback(pub(1));
    for (let i = 0; i < 50; i++) pf.onFailure(pub(1));
    expect(pf.bootcache.valence(pub(1))).toBe(-50);
    const keep = finder({}, { bootcacheMaxFailures: 0 });
    keep.onRedirects([pub(2)]);
    for (let i = 0; i < 50; i++) keep.onFailure(pub(2));
    expect(keep.bootcache.valence(pub(2))).toBe(-50);
  });

  it('a success before the limit resets the count', () => {
    const pf = finder();
    pf.onRedirects([pub(1)]);
    for (let i = 0; i < 9; i++) pf.onFailure(pub(1));
    connectOut(pf, pub(1));
    for (let i = 0; i < 9; i++) pf.onFailure(pub(1));
    expect(pf.bootcache.valence(pub(1))).toBe(-9);
  });

  it('walks the Bootcache by valence once the Livecache is empty, and prunes the worst 10% past 1000', () => {
    const pf = finder({ maxConnectAttempts: 3 });
    for (let i = 1; i <= 1000; i++) pf.onRedirects([pub(i)]);
    pf.onFailure(pub(5));
    connectOut(pf, pub(7), true);
    pf.addFallback(pub(9));
    // [ips] (32) first, then 0s in order of insertion; pub(7) (valence 1) is connected, so not dialled.
    expect(pf.autoconnect().dial).toEqual([pub(9), pub(1), pub(2)]);
    pf.onRedirects([pub(1001)]);
    expect(pf.bootcache.size).toBe(1001 - 100);
    expect(pf.bootcache.has(pub(5))).toBe(false);
  });
});

describe('discovery options beyond rippled (issue 17), each off restores rippled', () => {
  it('endpointsOnActivate: a new peer gets TMEndpoints at once, then every 151 s on its own schedule', () => {
    const pf = finder({}, { endpointsOnActivate: true });
    clock += 100 * SEC;
    const a = connectOut(pf, pub(100));
    expect(pf.oncePerSecond()).toBe(true);
    expect(pf.buildEndpoints([{ peer: 'a', slot: a }], 51235).map((m) => m.peer)).toEqual(['a']);
    expect(pf.oncePerSecond()).toBe(false);
    clock += 60 * SEC;
    const b = connectOut(pf, pub(101));
    expect(pf.oncePerSecond()).toBe(true);
    // Only b is due: a heard from us 60 s ago and a rippled peer would drop a second list within 151 s.
    expect(pf.buildEndpoints([{ peer: 'a', slot: a }, { peer: 'b', slot: b }], 51235).map((m) => m.peer)).toEqual(['b']);
    clock += T.endpointsInterval - 60 * SEC;
    expect(pf.buildEndpoints([{ peer: 'a', slot: a }, { peer: 'b', slot: b }], 51235).map((m) => m.peer)).toEqual(['a']);
    // rippled: one broadcast for all, the next 151 s after the last, whenever a peer came.
    const r = finder();
    r.oncePerSecond();
    clock += 60 * SEC;
    connectOut(r, pub(102));
    expect(r.oncePerSecond()).toBe(false);
  });

  it('storeTestedEndpoint: a neighbour that passes the connect test is in the Livecache and Bootcache at once', () => {
    for (const on of [true, false]) {
      const pf = finder({}, { storeTestedEndpoint: on });
      const r = pf.activate({ ip: '44.0.0.6', port: 40000, inbound: true, publicKey: 'in', reserved: false });
      pf.onEndpoints(r.slot!, msg([['[::]:51235', 0]]), false);
      pf.onConnectTestDone(r.slot!, { ip: '44.0.0.6', port: 51235 }, true);
      expect(pf.livecache.get({ ip: '44.0.0.6', port: 51235 })?.hops).toBe(on ? 1 : undefined);
      expect(pf.bootcache.has({ ip: '44.0.0.6', port: 51235 })).toBe(on);
    }
  });

  it('livecacheSpansInterval: an entry lives 151 + 30 s instead of 30 s', () => {
    for (const [on, life] of [[true, T.endpointsInterval + T.livecacheTtl], [false, T.livecacheTtl]] as const) {
      const pf = finder({}, { livecacheSpansInterval: on });
      pf.onEndpoints(connectOut(pf, pub(100)), msg([['44.0.0.2:51235', 1]]), false);
      clock += life - 1;
      expect(pf.livecache.size).toBe(1);
      clock += 1;
      expect(pf.livecache.size).toBe(0);
    }
  });
});
