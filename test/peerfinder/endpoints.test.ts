/** TMEndpoints received and sent (src/peerfinder/endpoints.ts), on an injected clock. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TMEndpoints } from '../../src/protocol/messages.js';
import { Bootcache } from '../../src/peerfinder/bootcache.js';
import { buildEndpointsMessages, connectTestDone, createPeerDiscovery, EndpointsSchedule, receiveEndpoints, RecentEndpoints, selfAdvertisementPort, storeReceived, type PeerDiscovery, type ReceiveOptions } from '../../src/peerfinder/endpoints.js';
import { Livecache } from '../../src/peerfinder/livecache.js';
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

