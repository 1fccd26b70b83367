/** Autoconnect and 503 redirects (src/peerfinder/policy.ts), on an injected clock. */
import { beforeEach, describe, expect, it } from 'vitest';
import { Bootcache } from '../../src/peerfinder/bootcache.js';
import { Livecache } from '../../src/peerfinder/livecache.js';
import { acceptRedirects, autoconnect, RecentAttempts, redirectHandouts, type AutoconnectState } from '../../src/peerfinder/policy.js';
import { T, SEC, seeded, pub, makeLivecache, makeBootcache } from './support.js';

let clock = 0;
const now = () => clock;
beforeEach(() => {
  clock = 1_000_000;
});

function newLivecache(): Livecache {
  return makeLivecache(now);
}

function newBootcache(path?: string): Bootcache {
  return makeBootcache(now, path);
}
describe('autoconnect', () => {
  function state(over: Partial<AutoconnectState> = {}): AutoconnectState {
    return {
      now: clock,
      maxConnectAttempts: T.maxConnectAttempts,
      attemptsInFlight: 0,
      outActive: 0,
      outMax: 10,
      fixed: [],
      fixedActive: 0,
      connectedIps: [],
      autoConnect: true,
      livecache: newLivecache(),
      bootcache: newBootcache(),
      recentAttempts: new RecentAttempts(T.recentAttemptInterval, now),
      random: seeded(),
      ...over,
    };
  }

  it('dials eligible fixed peers first, and only them that tick', () => {
    const s = state({ fixed: [{ ...pub(1), nextAttemptAt: 0 }, { ...pub(2), nextAttemptAt: clock + 1 }, { ...pub(3), nextAttemptAt: 0 }], connectedIps: [pub(3).ip] });
    s.bootcache.insert(pub(9));
    const r = autoconnect(s);
    expect(r.source).toBe('fixed');
    expect(r.dial).toEqual([pub(1)]);
  });

  it('skips the fixed tier when every fixed peer is active', () => {
    const s = state({ fixed: [{ ...pub(1), nextAttemptAt: 0 }], fixedActive: 1 });
    s.bootcache.insert(pub(9));
    expect(autoconnect(s)).toMatchObject({ source: 'bootcache', dial: [pub(9)] });
  });

  it('waits while a fixed peer is missing and attempts are in flight', () => {
    const s = state({ fixed: [{ ...pub(1), nextAttemptAt: clock + 1000 }], attemptsInFlight: 1 });
    s.livecache.insert({ ...pub(5), hops: 2 });
    expect(autoconnect(s)).toEqual({ dial: [], idle: 'waiting-on-attempts' });
  });

  it('a private node (autoconnect off) dials fixed peers only', () => {
    const s = state({ autoConnect: false, fixed: [{ ...pub(1), nextAttemptAt: 0 }] });
    s.livecache.insert({ ...pub(5), hops: 2 });
    s.bootcache.insert(pub(6));
    expect(autoconnect(s).dial).toEqual([pub(1)]);
    expect(autoconnect(s)).toEqual({ dial: [], idle: 'autoconnect-off' });
  });

  it('stops once out >= outMax', () => {
    const s = state({ outActive: 10, outMax: 10 });
    s.bootcache.insert(pub(6));
    expect(autoconnect(s)).toEqual({ dial: [], idle: 'outbound-full' });
  });

  it('keeps at most 20 attempts in flight', () => {
    const full = state({ attemptsInFlight: 20 });
    full.bootcache.insert(pub(1));
    expect(autoconnect(full)).toEqual({ dial: [], idle: 'attempts-full' });
    const s = state({ outMax: 100 });
    for (let i = 0; i < 50; i++) s.bootcache.insert(pub(i));
    expect(autoconnect(s).dial).toHaveLength(20);
    const s2 = state({ attemptsInFlight: 15, outMax: 100 });
    for (let i = 0; i < 50; i++) s2.livecache.insert({ ...pub(i), hops: 3 });
    expect(autoconnect(s2).dial).toHaveLength(5);
  });

  it('capAtFreeSlots limits a batch to the free outbound slots', () => {
    const s = state({ outActive: 7, outMax: 10, attemptsInFlight: 1, capAtFreeSlots: true });
    for (let i = 0; i < 10; i++) s.livecache.insert({ ...pub(i), hops: 2 });
    expect(autoconnect(s).dial).toHaveLength(2);
    expect(autoconnect({ ...s, capAtFreeSlots: false }).dial).toHaveLength(8); // rippled: 20 - 1 in flight, 8 left
  });

  it('takes the Livecache farthest hops first', () => {
    const s = state({ maxConnectAttempts: 1 });
    s.livecache.insert({ ...pub(1), hops: 1 });
    s.livecache.insert({ ...pub(7), hops: 7 });
    s.livecache.insert({ ...pub(3), hops: 3 });
    expect(autoconnect(s)).toEqual({ dial: [pub(7)], source: 'livecache' });
    const s2 = state({ maxConnectAttempts: 3, livecache: s.livecache });
    expect(autoconnect(s2).dial).toEqual([pub(7), pub(3), pub(1)]);
  });

  it('prefers the Livecache to the Bootcache, waits on attempts, then walks the Bootcache by valence', () => {
    const s = state();
    s.livecache.insert({ ...pub(1), hops: 2 });
    s.bootcache.insertStatic(pub(2));
    expect(autoconnect(s)).toEqual({ dial: [pub(1)], source: 'livecache' });
    const waiting = state({ attemptsInFlight: 1, bootcache: s.bootcache });
    expect(autoconnect(waiting)).toEqual({ dial: [], idle: 'waiting-on-attempts' });
    const b = state();
    b.bootcache.insert(pub(3));
    b.bootcache.onFailure(pub(4));
    b.bootcache.insertStatic(pub(5));
    b.bootcache.onSuccess(pub(6));
    expect(autoconnect(b)).toEqual({ dial: [pub(5), pub(6), pub(3), pub(4)], source: 'bootcache' });
  });

  it('does not retry an IP within 60 s', () => {
    const s = state();
    s.bootcache.insert(pub(1));
    expect(autoconnect(s).dial).toEqual([pub(1)]);
    clock += 60 * SEC - 1;
    expect(autoconnect({ ...s, now: clock })).toEqual({ dial: [], idle: 'nothing-to-dial' });
    clock += 1;
    expect(autoconnect({ ...s, now: clock }).dial).toEqual([pub(1)]);
  });

  it('the squelch is per IP, whatever the port', () => {
    const s = state();
    s.bootcache.insert(pub(1, 51235));
    s.bootcache.insert(pub(1, 51236));
    expect(autoconnect(s).dial).toEqual([pub(1, 51235)]);
    expect(autoconnect(s).dial).toEqual([]);
  });

  it('a connected IP stays squelched and waits 60 s after it goes', () => {
    const s = state({ connectedIps: [pub(1).ip] });
    s.bootcache.insert(pub(1));
    expect(autoconnect(s).dial).toEqual([]);
    clock += 30 * SEC;
    expect(autoconnect({ ...s, now: clock }).dial).toEqual([]); // touched again
    clock += 59 * SEC;
    expect(autoconnect({ ...s, now: clock, connectedIps: [] }).dial).toEqual([]);
    clock += 1 * SEC;
    expect(autoconnect({ ...s, now: clock, connectedIps: [] }).dial).toEqual([pub(1)]);
  });

  it('never dials our own listening address', () => {
    const s = state({ self: [pub(1)] });
    s.bootcache.insert(pub(1));
    s.bootcache.insert(pub(2));
    expect(autoconnect(s).dial).toEqual([pub(2)]);
  });

  it('RecentAttempts: one IP in its spellings, forgotten after 60 s', () => {
    const r = new RecentAttempts(60 * SEC, now);
    expect(r.insert('::ffff:44.0.0.1')).toBe(true);
    expect(r.insert('44.0.0.1')).toBe(false);
    expect(r.insert('2001:db8::1')).toBe(true);
    expect(r.has('2001:0db8:0:0:0:0:0:1')).toBe(true);
    clock += 60 * SEC;
    expect(r.size).toBe(0);
  });
});

describe('503 redirects', () => {
  it('offers up to 10 Livecache addresses, hops 1..6, nearest first, never the requester', () => {
    const lc = newLivecache();
    for (let i = 0; i < 20; i++) lc.insert({ ...pub(i), hops: 1 + (i % 6) });
    lc.insert({ ...pub(100), hops: 7 });
    lc.insert({ ip: '44.50.0.1', port: 1, hops: 1 });
    const list = redirectHandouts('44.50.0.1', lc, { limit: 10, maxHops: 6, random: seeded() });
    expect(list).toHaveLength(10);
    expect(list).not.toContain(`${pub(100).ip}:51235`);
    expect(list.some((e) => e.startsWith('44.50.0.1:'))).toBe(false);
    const hops = list.map((e) => lc.get({ ip: e.split(':')[0]!, port: Number(e.split(':')[1]) })!.hops);
    expect(hops).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4]);
  });

  it('gives one address per IP', () => {
    const lc = newLivecache();
    lc.insert({ ...pub(1, 1), hops: 1 });
    lc.insert({ ...pub(1, 2), hops: 2 });
    expect(redirectHandouts('44.99.0.1', lc, { limit: 10, maxHops: 6, random: seeded() })).toHaveLength(1);
  });

  it('the dialler takes at most 30 addresses from one answer into the Bootcache', () => {
    const bc = newBootcache();
    const ips = Array.from({ length: 31 }, (_, i) => pub(i));
    expect(acceptRedirects(ips, bc, T.redirectIps)).toBe(30);
    expect(bc.size).toBe(30);
    expect(bc.has(pub(30))).toBe(false);
    expect(bc.valence(pub(0))).toBe(0);
  });
});

