/** Discovery (src/overlay/peerfinder): every rule with its number, on an injected clock. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultTimers } from '../src/config/timers.js';
import type { TMEndpoints } from '../src/protocol/messages.js';
import { Bootcache, bootcachePath, STATIC_VALENCE } from '../src/overlay/peerfinder/bootcache.js';
import {
  buildEndpointsMessages,
  connectTestDone,
  createPeerDiscovery,
  EndpointsSchedule,
  receiveEndpoints,
  RecentEndpoints,
  selfAdvertisementPort,
  storeReceived,
  type PeerDiscovery,
  type ReceiveOptions,
} from '../src/overlay/peerfinder/endpoints.js';
import { handout, Livecache, type HandoutTarget, type HopEndpoint } from '../src/overlay/peerfinder/livecache.js';
import {
  acceptRedirects,
  autoconnect,
  RecentAttempts,
  redirectHandouts,
  type AutoconnectState,
} from '../src/overlay/peerfinder/policy.js';
import {
  activate,
  checkNewInbound,
  checkNewOutbound,
  countSlots,
  effectiveInMax,
  isFixedInbound,
  isFixedOutbound,
} from '../src/overlay/peerfinder/slots.js';

const T = defaultTimers();
const SEC = 1000;

// The rippled numbers the defaults must carry.
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
  });
});

let clock = 0;
const now = () => clock;
beforeEach(() => {
  clock = 1_000_000;
});

/** Deterministic random in [0, 1). */
function seeded(seed = 1): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A public address, distinct per n. */
function pub(n: number, port = 51235): { ip: string; port: number } {
  return { ip: `44.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, port };
}

function newLivecache(): Livecache {
  return new Livecache({ ttlMs: T.livecacheTtl, maxHops: T.maxHops, now });
}

function newBootcache(path?: string): Bootcache {
  return new Bootcache({ capacity: T.bootcacheSize, prunePercent: T.bootcachePrunePercent, cooldownMs: T.bootcacheCooldown, now, path });
}

// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------

describe('Bootcache valence', () => {
  it('a learned address enters at 0 and an existing one is untouched', () => {
    const bc = newBootcache();
    expect(bc.insert(pub(1))).toBe(true);
    expect(bc.valence(pub(1))).toBe(0);
    bc.onSuccess(pub(1));
    expect(bc.insert(pub(1))).toBe(false);
    expect(bc.valence(pub(1))).toBe(1);
  });

  it('+1 per success, -1 per failure, reset to 0 at a change of sign', () => {
    const bc = newBootcache();
    expect(bc.onSuccess(pub(1))).toBe(1); // new entry
    expect(bc.onSuccess(pub(1))).toBe(2);
    expect(bc.onSuccess(pub(1))).toBe(3);
    expect(bc.onFailure(pub(1))).toBe(-1); // 3 → 0 → -1
    expect(bc.onFailure(pub(1))).toBe(-2);
    expect(bc.onFailure(pub(1))).toBe(-3);
    expect(bc.onSuccess(pub(1))).toBe(1); // -3 → 0 → 1
    expect(bc.onFailure(pub(2))).toBe(-1); // new entry
    bc.insert(pub(3));
    expect(bc.onFailure(pub(3))).toBe(-1); // 0 → -1
  });

  it('[ips] addresses get the static valence 32, raising a lower entry only', () => {
    const bc = newBootcache();
    expect(STATIC_VALENCE).toBe(32);
    expect(bc.insertStatic(pub(1))).toBe(true);
    expect(bc.valence(pub(1))).toBe(32);
    bc.onFailure(pub(2));
    expect(bc.insertStatic(pub(2))).toBe(true);
    expect(bc.valence(pub(2))).toBe(32);
    for (let i = 0; i < 40; i++) bc.onSuccess(pub(3));
    expect(bc.insertStatic(pub(3))).toBe(false);
    expect(bc.valence(pub(3))).toBe(40);
  });

  it('walks by decreasing valence, ties in order of last change', () => {
    const bc = newBootcache();
    bc.insert(pub(1));
    bc.insert(pub(2));
    bc.onFailure(pub(3));
    bc.onSuccess(pub(4));
    bc.insertStatic(pub(5));
    bc.insert(pub(6));
    expect(bc.ordered().map((e) => e.ip)).toEqual([pub(5), pub(4), pub(1), pub(2), pub(6), pub(3)].map((e) => e.ip));
  });
});

describe('Bootcache capacity', () => {
  it('holds 1000; the 1001st prunes 10% (100) of the worst, newest of equals first', () => {
    const bc = newBootcache();
    for (let i = 0; i < 10; i++) bc.onSuccess(pub(i)); // valence 1: survive
    for (let i = 10; i < 1000; i++) bc.insert(pub(i)); // valence 0
    expect(bc.size).toBe(1000);
    bc.insert(pub(1000));
    expect(bc.size).toBe(901);
    for (let i = 0; i < 10; i++) expect(bc.has(pub(i))).toBe(true);
    // The 100 most recently inserted valence-0 entries went, the new one included.
    expect(bc.has(pub(1000))).toBe(false);
    expect(bc.has(pub(901))).toBe(false);
    expect(bc.has(pub(900))).toBe(true);
  });

  it('prunes the lowest valence before newer entries', () => {
    const bc = new Bootcache({ capacity: 10, prunePercent: 10, cooldownMs: T.bootcacheCooldown, now });
    bc.onFailure(pub(0)); // -1: worst
    for (let i = 1; i <= 10; i++) bc.insert(pub(i)); // 11 entries: 11 * 10 / 100 = 1 pruned
    expect(bc.size).toBe(10);
    expect(bc.has(pub(0))).toBe(false);
  });
});

describe('Bootcache persistence', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'peerfinder-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips entries and valences through the data directory', () => {
    const path = bootcachePath(dir);
    const a = newBootcache(path);
    a.insertStatic(pub(1));
    a.onSuccess(pub(2));
    a.onSuccess(pub(2));
    a.onFailure(pub(3));
    a.insert({ ip: '2001:db8::1', port: 51235 });
    a.flush();
    const b = newBootcache(path);
    expect(b.load()).toEqual({ loaded: 4, warning: undefined });
    expect(b.entries()).toEqual(a.entries());
    expect(b.valence({ ip: '2001:db8::1', port: 51235 })).toBe(0);
    expect(JSON.parse(readFileSync(path, 'utf8')).entries[0]).toEqual({ endpoint: `${pub(1).ip}:51235`, valence: 32 });
  });

  it('a missing file is an empty cache without a warning', () => {
    const bc = newBootcache(bootcachePath(dir));
    expect(bc.load()).toEqual({ loaded: 0 });
  });

  it('a corrupt file logs (warning) and starts empty instead of throwing', () => {
    const path = bootcachePath(dir);
    writeFileSync(path, '{"entries": [ {"endpoint": ');
    const bc = newBootcache(path);
    const r = bc.load();
    expect(r.loaded).toBe(0);
    expect(r.warning).toMatch(/bootcache ignored, starting empty/);
    expect(bc.size).toBe(0);
    writeFileSync(path, '{"entries": 5}');
    expect(bc.load().warning).toMatch(/no "entries" list/);
  });

  it('skips malformed and duplicate entries, keeping the rest', () => {
    const path = bootcachePath(dir);
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        entries: [
          { endpoint: '44.0.0.1:51235', valence: 3 },
          { endpoint: 'not-an-endpoint', valence: 1 },
          { endpoint: '44.0.0.2:51235', valence: 'x' },
          { endpoint: '44.0.0.1:51235', valence: 9 },
          null,
        ],
      }),
    );
    const bc = newBootcache(path);
    const r = bc.load();
    expect(r.loaded).toBe(1);
    expect(r.warning).toMatch(/skipped 4/);
    expect(bc.valence({ ip: '44.0.0.1', port: 51235 })).toBe(3);
  });

  it('load prunes a file above capacity', () => {
    const path = bootcachePath(dir);
    const entries = Array.from({ length: 1001 }, (_, i) => ({ endpoint: `${pub(i).ip}:51235`, valence: 0 }));
    writeFileSync(path, JSON.stringify({ version: 1, entries }));
    const bc = newBootcache(path);
    expect(bc.load().loaded).toBe(901);
  });

  it('saves on change at most once per 60 s cooldown, and on periodic after it', () => {
    const path = bootcachePath(dir);
    const bc = newBootcache(path);
    clock += 1;
    bc.insert(pub(1)); // off cooldown: written now
    expect(bc.saves).toBe(1);
    bc.insert(pub(2)); // within the cooldown: only marked dirty
    clock += 60 * SEC;
    expect(bc.periodic()).toBe(false); // cooldown ends strictly after 60 s
    expect(bc.saves).toBe(1);
    clock += 1;
    expect(bc.periodic()).toBe(true);
    expect(bc.saves).toBe(2);
    expect(bc.periodic()).toBe(false); // nothing new
    const reread = newBootcache(path);
    expect(reread.load().loaded).toBe(2);
  });

  it('flush writes a pending change at once (shutdown) and nothing when clean', () => {
    const path = bootcachePath(dir);
    const bc = newBootcache(path);
    bc.insert(pub(1)); // same ms as construction: still on cooldown
    expect(bc.saves).toBe(0);
    expect(bc.flush()).toBe(true);
    expect(bc.flush()).toBe(false);
    expect(bc.saves).toBe(1);
  });

  it('a failed save is reported and retried after the cooldown', () => {
    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'x');
    const errors: string[] = [];
    const bc = new Bootcache({ capacity: 1000, prunePercent: 10, cooldownMs: 60 * SEC, now, path: join(blocker, 'sub', 'bootcache.json'), onSaveError: (m) => errors.push(m) });
    clock += 1;
    bc.insert(pub(1));
    expect(errors).toHaveLength(1);
    expect(bc.saves).toBe(0);
    clock += 60 * SEC + 1;
    bc.periodic();
    expect(errors).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------

const PEER_IP = '44.200.0.1';

function peerState(opts: { inbound?: boolean; verify?: boolean; ip?: string } = {}): PeerDiscovery {
  return createPeerDiscovery({
    remoteIp: opts.ip ?? PEER_IP,
    inbound: opts.inbound ?? false,
    verifyEndpoints: opts.verify ?? true,
    recentTtlMs: T.livecacheTtl,
    now,
  });
}

function recvOpts(over: Partial<ReceiveOptions> = {}): ReceiveOptions {
  return {
    now: clock,
    intervalMs: T.endpointsInterval,
    maxHops: T.maxHops,
    maxReceived: T.endpointsMaxReceived,
    allowPrivate: false,
    random: seeded(),
    ...over,
  };
}

function msg(entries: [string, number][], version = 2): TMEndpoints {
  return { version, endpoints_v2: entries.map(([endpoint, hops]) => ({ endpoint, hops })) };
}

describe('receiving TMEndpoints', () => {
  it('ignores a version other than 2', () => {
    const st = peerState();
    const r = receiveEndpoints(st, msg([['44.0.0.1:51235', 1]], 1), recvOpts());
    expect(r.status).toBe('bad-version');
    expect(st.whenAcceptEndpoints).toBe(clock); // no rate-limit cost
  });

  it('refuses 1024 entries or more whole; 1023 is sampled', () => {
    const big = (n: number) => msg(Array.from({ length: n }, (_, i) => [`${pub(i).ip}:51235`, 1] as [string, number]));
    expect(receiveEndpoints(peerState(), big(1024), recvOpts()).status).toBe('too-large');
    const r = receiveEndpoints(peerState(), big(1023), recvOpts());
    expect(r.status).toBe('accepted');
    expect(r.accepted).toHaveLength(64);
  });

  it('samples more than 64 entries down to 64; exactly 64 are all kept', () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => [`${pub(i).ip}:51235`, 2] as [string, number]);
    const r65 = receiveEndpoints(peerState(), msg(list(65)), recvOpts());
    expect(r65.accepted).toHaveLength(64);
    expect(new Set(r65.accepted.map((e) => e.ip)).size).toBe(64);
    const r64 = receiveEndpoints(peerState(), msg(list(64)), recvOpts());
    expect(r64.accepted.map((e) => e.ip)).toEqual(list(64).map(([ep]) => ep.split(':')[0]));
  });

  it('drops hops above 6, keeps 6 (stored at 7), and adds one hop', () => {
    const r = receiveEndpoints(peerState(), msg([['44.0.0.1:51235', 7], ['44.0.0.2:51235', 6], ['44.0.0.3:51235', 1]]), recvOpts());
    expect(r.accepted).toEqual([
      { ip: '44.0.0.2', port: 51235, hops: 7 },
      { ip: '44.0.0.3', port: 51235, hops: 2 },
    ]);
    expect(r.dropped).toEqual([{ endpoint: '44.0.0.1:51235', reason: 'hops' }]);
  });

  it('replaces the hops-0 address with the socket IP and drops a second hops-0', () => {
    const r = receiveEndpoints(peerState(), msg([['[::]:51236', 0], ['44.9.9.9:51235', 0]]), recvOpts());
    expect(r.accepted).toEqual([{ ip: PEER_IP, port: 51236, hops: 1 }]);
    expect(r.dropped).toEqual([{ endpoint: `${PEER_IP}:51235`, reason: 'extra-self' }]);
    expect(r.connectTest).toBeUndefined(); // a peer we dialled is trusted
  });

  it('drops private addresses unless allowPrivate; unspecified and port 0 always', () => {
    const entries: [string, number][] = [
      ['10.0.0.1:51235', 1],
      ['127.0.0.2:51235', 1],
      ['192.168.1.1:51235', 1],
      ['0.0.0.0:51235', 1],
      ['[::]:51235', 2],
      ['44.0.0.1:0', 1],
      ['44.0.0.2:51235', 1],
    ];
    const strict = receiveEndpoints(peerState(), msg(entries), recvOpts());
    expect(strict.accepted.map((e) => e.ip)).toEqual(['44.0.0.2']);
    expect(strict.dropped.map((d) => d.reason)).toEqual(['private', 'private', 'private', 'unspecified', 'unspecified', 'port-zero']);
    expect(strict.malformed).toBe(0);
    const loose = receiveEndpoints(peerState(), msg(entries), recvOpts({ allowPrivate: true }));
    expect(loose.accepted.map((e) => e.ip)).toEqual(['10.0.0.1', '127.0.0.2', '192.168.1.1', '44.0.0.2']);
  });

  it('a private peer’s own hops-0 entry is dropped unless allowPrivate', () => {
    const st = peerState({ ip: '127.0.0.5' });
    expect(receiveEndpoints(st, msg([['[::]:51235', 0]]), recvOpts()).accepted).toEqual([]);
    const st2 = peerState({ ip: '127.0.0.5' });
    expect(receiveEndpoints(st2, msg([['[::]:51235', 0]]), recvOpts({ allowPrivate: true })).accepted).toEqual([{ ip: '127.0.0.5', port: 51235, hops: 1 }]);
  });

  it('drops duplicates (same ip:port) but not the same IP on another port', () => {
    const r = receiveEndpoints(peerState(), msg([['44.0.0.1:51235', 1], ['44.0.0.1:51235', 3], ['44.0.0.1:51236', 1]]), recvOpts());
    expect(r.accepted.map((e) => `${e.ip}:${e.port}/${e.hops}`)).toEqual(['44.0.0.1:51235/2', '44.0.0.1:51236/2']);
    expect(r.dropped).toEqual([{ endpoint: '44.0.0.1:51235', reason: 'duplicate' }]);
  });

  it('counts unparsable entries as malformed', () => {
    const r = receiveEndpoints(peerState(), msg([['nonsense', 1], ['44.0.0.1', 1], ['44.0.0.2:99999', 1], ['44.0.0.3:51235', 1]]), recvOpts());
    expect(r.malformed).toBe(3);
    expect(r.accepted).toHaveLength(1);
  });

  it('accepts at most one list per 151 s per peer', () => {
    const st = peerState();
    const first = receiveEndpoints(st, msg([['44.0.0.1:51235', 1]]), recvOpts());
    expect(first.status).toBe('accepted');
    clock += 151 * SEC - 1;
    expect(receiveEndpoints(st, msg([['44.0.0.2:51235', 1]]), recvOpts()).status).toBe('rate-limited');
    clock += 1;
    expect(receiveEndpoints(st, msg([['44.0.0.3:51235', 1]]), recvOpts()).status).toBe('accepted');
  });

  it('tests an inbound peer’s advertised port before believing it', () => {
    const st = peerState({ inbound: true });
    const r1 = receiveEndpoints(st, msg([['[::]:51235', 0], ['44.0.0.1:51235', 1]]), recvOpts());
    expect(r1.connectTest).toEqual({ ip: PEER_IP, port: 51235 });
    expect(r1.accepted).toEqual([{ ip: '44.0.0.1', port: 51235, hops: 2 }]);
    expect(st.checkInProgress).toBe(true);

    clock += T.endpointsInterval;
    const r2 = receiveEndpoints(st, msg([['[::]:51235', 0]]), recvOpts());
    expect(r2.connectTest).toBeUndefined();
    expect(r2.dropped).toEqual([{ endpoint: `${PEER_IP}:51235`, reason: 'check-in-progress' }]);

    expect(connectTestDone(st, { ip: PEER_IP, port: 51235 }, true)).toEqual({ listeningPort: 51235 });
    clock += T.endpointsInterval;
    const r3 = receiveEndpoints(st, msg([['[::]:51235', 0]]), recvOpts());
    expect(r3.accepted).toEqual([{ ip: PEER_IP, port: 51235, hops: 1 }]);
  });

  it('drops the hops-0 entry of a peer that failed the test', () => {
    const st = peerState({ inbound: true });
    receiveEndpoints(st, msg([['[::]:51235', 0]]), recvOpts());
    expect(connectTestDone(st, { ip: PEER_IP, port: 51235 }, false)).toEqual({});
    clock += T.endpointsInterval;
    const r = receiveEndpoints(st, msg([['[::]:51235', 0], ['44.0.0.1:51235', 1]]), recvOpts());
    expect(r.dropped).toEqual([{ endpoint: `${PEER_IP}:51235`, reason: 'failed-test' }]);
    expect(r.accepted).toEqual([{ ip: '44.0.0.1', port: 51235, hops: 2 }]);
  });

  it('verify_endpoints = 0 trusts inbound peers at once', () => {
    const st = peerState({ inbound: true, verify: false });
    const r = receiveEndpoints(st, msg([['[::]:51235', 0]]), recvOpts());
    expect(r.connectTest).toBeUndefined();
    expect(r.accepted).toEqual([{ ip: PEER_IP, port: 51235, hops: 1 }]);
  });

  it('stores accepted entries in the Livecache and the Bootcache', () => {
    const lc = newLivecache();
    const bc = newBootcache();
    const r = receiveEndpoints(peerState(), msg([['[::]:51235', 0], ['44.0.0.1:51235', 3]]), recvOpts());
    storeReceived(r.accepted, lc, bc);
    expect(lc.get({ ip: PEER_IP, port: 51235 })?.hops).toBe(1);
    expect(lc.get({ ip: '44.0.0.1', port: 51235 })?.hops).toBe(4);
    expect(bc.valence({ ip: '44.0.0.1', port: 51235 })).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------

describe('sending TMEndpoints', () => {
  function fill(lc: Livecache, n: number, hops: number, offset = 0): void {
    for (let i = 0; i < n; i++) lc.insert({ ...pub(offset + i), hops });
  }

  it('self-advertises only when accepting inbound', () => {
    expect(selfAdvertisementPort({ peerPrivate: false, listeningPort: 51235, inMax: 11 })).toBe(51235);
    expect(selfAdvertisementPort({ peerPrivate: true, listeningPort: 51235, inMax: 11 })).toBeUndefined();
    expect(selfAdvertisementPort({ peerPrivate: false, listeningPort: 0, inMax: 11 })).toBeUndefined();
    expect(selfAdvertisementPort({ peerPrivate: false, listeningPort: undefined, inMax: 11 })).toBeUndefined();
    expect(selfAdvertisementPort({ peerPrivate: false, listeningPort: 51235, inMax: 0 })).toBeUndefined();
  });

  it('puts at most 12 entries, the self entry "[::]:port" at hops 0 first', () => {
    const lc = newLivecache();
    fill(lc, 30, 2);
    const [out] = buildEndpointsMessages([{ peer: 'p', state: peerState() }], lc, { selfPort: 51235, perMessage: 12, maxHops: 6, random: seeded() });
    expect(out!.message.version).toBe(2);
    expect(out!.message.endpoints_v2).toHaveLength(12);
    expect(out!.message.endpoints_v2[0]).toEqual({ endpoint: '[::]:51235', hops: 0 });
    const without = buildEndpointsMessages([{ peer: 'p', state: peerState() }], lc, { perMessage: 12, maxHops: 6, random: seeded() });
    expect(without[0]!.message.endpoints_v2.every((e) => e.hops > 0)).toBe(true);
  });

  it('never passes on hops above 6, the peer’s own IP, or two entries for one IP', () => {
    const lc = newLivecache();
    lc.insert({ ip: '44.0.0.7', port: 51235, hops: 7 });
    lc.insert({ ip: PEER_IP, port: 51235, hops: 2 });
    lc.insert({ ip: '44.0.0.1', port: 51235, hops: 1 });
    lc.insert({ ip: '44.0.0.1', port: 51236, hops: 1 });
    lc.insert({ ip: '44.0.0.6', port: 51235, hops: 6 });
    const [out] = buildEndpointsMessages([{ peer: 1, state: peerState() }], lc, { perMessage: 12, maxHops: 6, random: seeded() });
    const sent = out!.message.endpoints_v2;
    expect(sent.map((e) => e.hops).sort()).toEqual([1, 6]);
    expect(sent.map((e) => e.endpoint)).toContain('44.0.0.6:51235');
    expect(sent.some((e) => e.endpoint.startsWith(PEER_IP))).toBe(false);
  });

  it('does not send a peer what it told us at the same or fewer hops, within the TTL', () => {
    const lc = newLivecache();
    const st = peerState();
    const r = receiveEndpoints(st, msg([['44.0.0.1:51235', 2]]), recvOpts()); // stored at 3, recent at 3
    storeReceived(r.accepted, lc);
    const build = () => buildEndpointsMessages([{ peer: 1, state: st }], lc, { perMessage: 12, maxHops: 6, random: seeded() })[0]!.message.endpoints_v2;
    expect(build()).toEqual([]);
    lc.insert({ ip: '44.0.0.1', port: 51235, hops: 2 }); // we now know it closer: worth telling
    expect(build()).toEqual([{ endpoint: '44.0.0.1:51235', hops: 2 }]);
    expect(build()).toEqual([]); // just sent: not again within the TTL
    clock += T.livecacheTtl - 1;
    lc.insert({ ip: '44.0.0.1', port: 51235, hops: 2 });
    expect(build()).toEqual([]);
    clock += 1;
    expect(build()).toEqual([{ endpoint: '44.0.0.1:51235', hops: 2 }]);
  });

  it('spreads the Livecache over several peers', () => {
    const lc = newLivecache();
    fill(lc, 4, 1);
    const targets = [1, 2].map((n) => ({ peer: n, state: peerState({ ip: `44.201.0.${n}` }) }));
    const out = buildEndpointsMessages(targets, lc, { perMessage: 2, maxHops: 6, random: seeded() });
    const lists = out.map((o) => o.message.endpoints_v2.map((e) => e.endpoint));
    expect(lists[0]).toHaveLength(2);
    expect(lists[1]).toHaveLength(2);
    expect(new Set([...lists[0]!, ...lists[1]!]).size).toBe(4);
  });

  it('mixes hop levels round-robin, nearest first', () => {
    const lc = newLivecache();
    for (let h = 1; h <= 6; h++) fill(lc, 5, h, h * 100);
    const [out] = buildEndpointsMessages([{ peer: 1, state: peerState() }], lc, { perMessage: 12, maxHops: 6, random: seeded() });
    expect(out!.message.endpoints_v2.map((e) => e.hops)).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
  });

  it('broadcasts at start, then every 151 s', () => {
    const s = new EndpointsSchedule(T.endpointsInterval, now);
    expect(s.due()).toBe(true);
    expect(s.due()).toBe(false);
    clock += 151 * SEC - 1;
    expect(s.due()).toBe(false);
    clock += 1;
    expect(s.due()).toBe(true);
  });

  it('RecentEndpoints keeps the lowest hops and forgets after the TTL', () => {
    const r = new RecentEndpoints(T.livecacheTtl, now);
    r.insert(pub(1), 3);
    expect(r.filter(pub(1), 3)).toBe(true);
    expect(r.filter(pub(1), 4)).toBe(true);
    expect(r.filter(pub(1), 2)).toBe(false);
    r.insert(pub(1), 5); // higher: ignored
    expect(r.filter(pub(1), 3)).toBe(true);
    clock += T.livecacheTtl;
    expect(r.filter(pub(1), 9)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------

describe('slots', () => {
  const slot = (ip: string, port: number, inbound = true) => ({ ip, port, inbound });

  it('limits inbound connections per public IP, counting every connection', () => {
    const existing = [slot('44.0.0.1', 1000), slot('44.0.0.1', 51235, false)];
    expect(checkNewInbound({ ip: '44.0.0.1', port: 1002 }, existing, 2)).toBe('ip-limit');
    expect(checkNewInbound({ ip: '44.0.0.1', port: 1002 }, existing, 3)).toBe('success');
    expect(checkNewInbound({ ip: '::ffff:44.0.0.1', port: 1002 }, existing, 2)).toBe('ip-limit');
  });

  it('does not limit non-public IPs', () => {
    const existing = Array.from({ length: 10 }, (_, i) => slot('127.0.0.1', 1000 + i));
    expect(checkNewInbound({ ip: '127.0.0.1', port: 2000 }, existing, 1)).toBe('success');
  });

  it('refuses the same ip:port twice, either direction', () => {
    const existing = [slot('127.0.0.1', 1000)];
    expect(checkNewInbound({ ip: '127.0.0.1', port: 1000 }, existing, 2)).toBe('duplicate');
    expect(checkNewOutbound({ ip: '127.0.0.1', port: 1000 }, existing)).toBe('duplicate');
    expect(checkNewOutbound({ ip: '127.0.0.1', port: 1001 }, existing)).toBe('success');
  });

  it('fixed: inbound by IP, outbound by exact ip:port', () => {
    const fixed = [{ ip: '44.0.0.1', port: 51235 }];
    expect(isFixedInbound('44.0.0.1', fixed)).toBe(true);
    expect(isFixedOutbound({ ip: '44.0.0.1', port: 51235 }, fixed)).toBe(true);
    expect(isFixedOutbound({ ip: '44.0.0.1', port: 51236 }, fixed)).toBe(false);
  });

  it('counts only peers that hold a slot', () => {
    const c = countSlots([
      { inbound: true, fixed: false, reserved: false },
      { inbound: false, fixed: false, reserved: false },
      { inbound: false, fixed: true, reserved: false },
      { inbound: true, fixed: false, reserved: true },
    ]);
    expect(c).toEqual({ inActive: 1, outActive: 1, fixedActive: 1, total: 4 });
  });

  it('activation: duplicate key first, fixed/reserved bypass, then free slots by direction', () => {
    const limits = { inMax: 11, outMax: 10 };
    const plain = { inbound: true, fixed: false, reserved: false };
    const counts = (inActive: number, outActive: number) => ({ inActive, outActive, fixedActive: 0, total: inActive + outActive });
    expect(activate({ candidate: { ...plain, fixed: true }, keyActive: true, counts: counts(0, 0), limits })).toBe('duplicate');
    expect(activate({ candidate: plain, keyActive: false, counts: counts(10, 0), limits })).toBe('success');
    expect(activate({ candidate: plain, keyActive: false, counts: counts(11, 0), limits })).toBe('full');
    expect(activate({ candidate: { ...plain, fixed: true }, keyActive: false, counts: counts(11, 10), limits })).toBe('success');
    expect(activate({ candidate: { ...plain, reserved: true }, keyActive: false, counts: counts(11, 10), limits })).toBe('success');
    const out = { ...plain, inbound: false };
    expect(activate({ candidate: out, keyActive: false, counts: counts(0, 9), limits })).toBe('success');
    expect(activate({ candidate: out, keyActive: false, counts: counts(0, 10), limits })).toBe('full');
  });

  it('a private node has no inbound slots: only fixed/reserved/cluster get in', () => {
    const inMax = effectiveInMax({ peerPrivate: true, listening: true, inMax: 11 });
    expect(inMax).toBe(0);
    expect(effectiveInMax({ peerPrivate: false, listening: false, inMax: 11 })).toBe(0);
    expect(effectiveInMax({ peerPrivate: false, listening: true, inMax: 11 })).toBe(11);
    const limits = { inMax, outMax: 21 };
    const counts = { inActive: 0, outActive: 0, fixedActive: 0, total: 0 };
    expect(activate({ candidate: { inbound: true, fixed: false, reserved: false }, keyActive: false, counts, limits })).toBe('inbound-disabled');
    expect(activate({ candidate: { inbound: true, fixed: true, reserved: false }, keyActive: false, counts, limits })).toBe('success');
    expect(activate({ candidate: { inbound: true, fixed: false, reserved: true }, keyActive: false, counts, limits })).toBe('success');
  });
});
