/** Bootcache valence, capacity, pruning and persistence (src/peerfinder/bootcache.ts), on an injected clock. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bootcache, bootcachePath, STATIC_VALENCE } from '../../src/peerfinder/bootcache.js';
import { T, SEC, pub, makeBootcache } from './support.js';

let clock = 0;
const now = () => clock;
beforeEach(() => {
  clock = 1_000_000;
});

function newBootcache(path?: string): Bootcache {
  return makeBootcache(now, path);
}
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
