/** Livecache and the handout distribution (src/peerfinder/livecache.ts), on an injected clock. */
import { beforeEach, describe, expect, it } from 'vitest';
import { handout, Livecache, type HandoutTarget, type HopEndpoint } from '../../src/peerfinder/livecache.js';
import { SEC, seeded, pub, makeLivecache } from './support.js';

let clock = 0;
const now = () => clock;
beforeEach(() => {
  clock = 1_000_000;
});

function newLivecache(): Livecache {
  return makeLivecache(now);
}

describe('Livecache', () => {
  it('inserts a new address at its hops', () => {
    const lc = newLivecache();
    expect(lc.insert({ ...pub(1), hops: 3 })).toBe('inserted');
    expect(lc.get(pub(1))?.hops).toBe(3);
    expect(lc.size).toBe(1);
  });

  it('a lower-hops sighting replaces a higher one and refreshes it', () => {
    const lc = newLivecache();
    lc.insert({ ...pub(1), hops: 5 });
    clock += 20 * SEC;
    expect(lc.insert({ ...pub(1), hops: 2 })).toBe('improved');
    expect(lc.get(pub(1))?.hops).toBe(2);
    clock += 20 * SEC; // 40 s after the first sighting, 20 s after the second
    expect(lc.get(pub(1))?.hops).toBe(2);
  });

  it('a higher-hops sighting is ignored and does not refresh', () => {
    const lc = newLivecache();
    lc.insert({ ...pub(1), hops: 2 });
    clock += 20 * SEC;
    expect(lc.insert({ ...pub(1), hops: 4 })).toBe('ignored');
    expect(lc.get(pub(1))?.hops).toBe(2);
    clock += 10 * SEC; // 30 s after the only counted sighting
    expect(lc.get(pub(1))).toBeUndefined();
  });

  it('a same-hops sighting refreshes the TTL', () => {
    const lc = newLivecache();
    lc.insert({ ...pub(1), hops: 2 });
    clock += 29 * SEC;
    expect(lc.insert({ ...pub(1), hops: 2 })).toBe('refreshed');
    clock += 29 * SEC;
    expect(lc.size).toBe(1);
  });

  it('expires entries exactly 30 s after their last sighting', () => {
    const lc = newLivecache();
    lc.insert({ ...pub(1), hops: 1 });
    lc.insert({ ...pub(2), hops: 1 });
    clock += 30 * SEC - 1;
    expect(lc.size).toBe(2);
    clock += 1;
    expect(lc.expire()).toBe(2);
    expect(lc.size).toBe(0);
  });

  it('keeps hops 0..maxHops+1 (7), clamping above', () => {
    const lc = newLivecache();
    lc.insert({ ...pub(1), hops: 7 });
    lc.insert({ ...pub(2), hops: 99 });
    expect(lc.get(pub(1))?.hops).toBe(7);
    expect(lc.get(pub(2))?.hops).toBe(7);
    const lists = lc.hopLists(seeded());
    expect(lists).toHaveLength(8);
    expect(lists[7]!.map((e) => e.ip).sort()).toEqual([pub(1).ip, pub(2).ip].sort());
    expect(lc.histogram()).toEqual([0, 0, 0, 0, 0, 0, 0, 2]);
  });

  it('treats v4-mapped and plain v4 spellings as one address', () => {
    const lc = newLivecache();
    lc.insert({ ip: '::ffff:44.0.0.1', port: 51235, hops: 3 });
    expect(lc.insert({ ip: '44.0.0.1', port: 51235, hops: 2 })).toBe('improved');
    expect(lc.size).toBe(1);
  });
});

describe('handout', () => {
  const collect = (limit: number): HandoutTarget & { got: HopEndpoint[] } => {
    const got: HopEndpoint[] = [];
    return { got, full: () => got.length >= limit, tryInsert: (e) => (got.push(e), true) };
  };

  it('takes one entry per hop level per round', () => {
    const lists = [1, 2, 3].map((h) => [0, 1, 2].map((i) => ({ ...pub(h * 10 + i), hops: h })));
    const t = collect(4);
    handout([t], lists);
    expect(t.got.map((e) => e.hops)).toEqual([1, 2, 3, 1]);
  });

  it('moves an entry given out to the back so the next target gets another', () => {
    const lists = [[{ ...pub(1), hops: 1 }, { ...pub(2), hops: 1 }]];
    const a = collect(1);
    const b = collect(1);
    handout([a, b], lists);
    expect(a.got[0]!.ip).not.toBe(b.got[0]!.ip);
  });

  it('stops when a round gives nothing', () => {
    const t: HandoutTarget = { full: () => false, tryInsert: () => false };
    handout([t], [[{ ...pub(1), hops: 1 }]]); // returns rather than spinning
  });
});

