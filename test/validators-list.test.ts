import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestCache } from '../src/validators/manifest-cache.js';
import { parseManifest } from '../src/validators/manifest.js';
import { bestDisposition, ValidatorList, worstDisposition } from '../src/validators/validator-list.js';
import { makeManifest, TestKey, TestPublisher, TestValidator } from './support/validators.js';

const NOW = 800_000_000; // NetClock seconds
const DAY = 86_400;

function makeList(publishers: TestPublisher[], opts: { threshold?: number; now?: () => number } = {}) {
  const validatorManifests = new ManifestCache();
  const publisherManifests = new ManifestCache();
  let now = NOW;
  const list = new ValidatorList({
    publisherKeys: publishers.map((p) => p.master.publicKey),
    staticValidators: [],
    ...(opts.threshold ? { listThreshold: opts.threshold } : {}),
    validatorManifests,
    publisherManifests,
    now: opts.now ?? (() => now),
  });
  return { list, validatorManifests, publisherManifests, setNow: (t: number) => (now = t) };
}

describe('manifest cache (rippled ManifestCache::applyManifest)', () => {
  it('accepts a manifest, maps ephemeral → master, refuses stale, forged and reused keys, and ends with a revocation', () => {
    const cache = new ManifestCache();
    const master = TestKey.random();
    const e1 = TestKey.random();
    const m1 = makeManifest({ master, ephemeral: e1, sequence: 1, domain: 'example.com' });
    const read = parseManifest(m1);
    expect(read.ok && read.manifest.domain).toBe('example.com');
    expect(cache.applyRaw(m1).disposition).toBe('accepted');
    expect(cache.getMasterKey(e1.publicKey).equals(master.publicKey)).toBe(true);
    expect(cache.getSigningKey(master.publicKey)!.equals(e1.publicKey)).toBe(true);
    expect(cache.applyRaw(m1).disposition).toBe('stale');
    expect(cache.applyRaw(makeManifest({ master, ephemeral: TestKey.random(), sequence: 2, forgeMaster: true })).disposition).toBe('invalid');
    // another master may not take e1, nor use our master key as its ephemeral key
    expect(cache.applyRaw(makeManifest({ master: TestKey.random(), ephemeral: e1, sequence: 1 })).disposition).toBe('badEphemeralKey');
    expect(cache.applyRaw(makeManifest({ master: TestKey.random(), ephemeral: master, sequence: 1 })).disposition).toBe('badEphemeralKey');
    expect(cache.applyRaw(makeManifest({ master: e1, ephemeral: TestKey.random(), sequence: 1 })).disposition).toBe('badMasterKey');
    const e2 = TestKey.random();
    expect(cache.applyRaw(makeManifest({ master, ephemeral: e2, sequence: 5 })).disposition).toBe('accepted');
    expect(cache.getMasterKey(e1.publicKey).equals(e1.publicKey)).toBe(true); // old ephemeral key forgotten
    expect(cache.getMasterKey(e2.publicKey).equals(master.publicKey)).toBe(true);
    expect(cache.applyRaw(makeManifest({ master, sequence: 0xffffffff })).disposition).toBe('accepted');
    expect(cache.revoked(master.publicKey)).toBe(true);
    expect(cache.getSigningKey(master.publicKey)).toBeUndefined();
    expect(cache.applyRaw(makeManifest({ master, ephemeral: TestKey.random(), sequence: 6 })).disposition).toBe('stale');
  });

  it('refuses a malformed domain as rippled does', () => {
    expect(parseManifest(makeManifest({ master: TestKey.random(), ephemeral: TestKey.random(), sequence: 1, domain: 'no' })).ok).toBe(false);
  });

  it('survives a restart in the data dir, and a corrupted file is reported, not trusted', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'manifests-'));
    const file = path.join(dir, 'manifests.json');
    const a = new ManifestCache(file);
    const master = TestKey.random();
    const e = TestKey.random();
    a.applyRaw(makeManifest({ master, ephemeral: e, sequence: 3 }));
    a.save();
    const b = new ManifestCache(file);
    expect(b.load()).toEqual({ loaded: 1 });
    expect(b.getMasterKey(e.publicKey).equals(master.publicKey)).toBe(true);
    // A tampered entry fails verification on load.
    const body = JSON.parse(readFileSync(file, 'utf8'));
    const raw = Buffer.from(body.manifests[0], 'base64');
    raw[raw.length - 3] ^= 1;
    body.manifests[0] = raw.toString('base64');
    writeFileSync(file, JSON.stringify(body));
    const c = new ManifestCache(file);
    expect(c.load().loaded).toBe(0);
    expect(c.size).toBe(0);
    writeFileSync(file, '{not json');
    expect(new ManifestCache(file).load().warning).toMatch(/not valid JSON/);
  });
});

describe('validator list (rippled ValidatorList)', () => {
  it('accepts a signed list, trusts its validators with quorum ceil(0.8 n), and serves the list state', () => {
    const pub = new TestPublisher();
    const vals = [1, 2, 3, 4, 5].map(() => new TestValidator(TestKey.random()));
    const { list, validatorManifests } = makeList([pub]);
    expect(list.updateTrusted().added).toHaveLength(0);
    expect(list.quorum).toBe(Number.MAX_SAFE_INTEGER); // publisher unavailable: no quorum
    const b = pub.blob({ sequence: 1, expiration: NOW + DAY, validators: vals });
    const r = list.applyLists(pub.manifestB64, 1, [b], 'http://site');
    expect(bestDisposition(r)).toBe('accepted');
    expect(r.sequence).toBe(1);
    const changes = list.updateTrusted();
    expect(changes.added).toHaveLength(5);
    expect(list.quorum).toBe(4);
    for (const v of vals) {
      expect(list.trusted(v.master.publicKey)).toBe(true);
      expect(list.trusted(v.ephemeral.publicKey)).toBe(true); // via the manifest carried in the list
    }
    expect(validatorManifests.size).toBe(5);
    expect(list.expires()).toBe(NOW + DAY);
    // the same list again, an older one, a forged one, one from an unknown publisher
    expect(bestDisposition(list.applyLists(pub.manifestB64, 1, [b], ''))).toBe('same_sequence');
    const b3 = pub.blob({ sequence: 3, expiration: NOW + DAY, validators: vals.slice(0, 2) });
    expect(bestDisposition(list.applyLists(pub.manifestB64, 1, [b3], ''))).toBe('accepted');
    expect(bestDisposition(list.applyLists(pub.manifestB64, 1, [pub.blob({ sequence: 2, expiration: NOW + DAY, validators: vals })], ''))).toBe('stale');
    const forged = pub.blob({ sequence: 4, expiration: NOW + DAY, validators: vals, signer: TestKey.random() });
    expect(bestDisposition(list.applyLists(pub.manifestB64, 1, [forged], ''))).toBe('invalid');
    const stranger = new TestPublisher();
    expect(bestDisposition(list.applyLists(stranger.manifestB64, 1, [stranger.blob({ sequence: 9, expiration: NOW + DAY, validators: vals })], ''))).toBe('untrusted');
    expect(bestDisposition(list.applyLists(pub.manifestB64, 3, [b], ''))).toBe('unsupported_version');
    const t = list.updateTrusted();
    expect(t.removed).toHaveLength(3);
    expect(list.trustedMasterKeys()).toHaveLength(2);
    expect(list.quorum).toBe(2);
  });

  it('refuses an expired list as the current one and drops a list when it expires', () => {
    const pub = new TestPublisher();
    const vals = [new TestValidator(TestKey.random())];
    const { list, setNow } = makeList([pub]);
    const expired = pub.blob({ sequence: 1, expiration: NOW - 1, validators: vals });
    expect(bestDisposition(list.applyLists(pub.manifestB64, 1, [expired], ''))).toBe('expired');
    list.updateTrusted();
    // As rippled: the expired list is kept, but its publisher is not available, so there is no quorum.
    expect(list.publishers.get(pub.master.publicKey.toString('hex'))!.status).toBe('expired');
    expect(list.quorum).toBe(Number.MAX_SAFE_INTEGER);
    list.applyLists(pub.manifestB64, 1, [pub.blob({ sequence: 2, expiration: NOW + 100, validators: vals })], '');
    list.updateTrusted();
    expect(list.trustedMasterKeys()).toHaveLength(1);
    expect(list.quorum).toBe(1);
    setNow(NOW + 100);
    list.updateTrusted();
    expect(list.trustedMasterKeys()).toHaveLength(0);
    expect(list.quorum).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('v2: a pending list becomes current at its effective time', () => {
    const pub = new TestPublisher();
    const a = new TestValidator(TestKey.random());
    const b = new TestValidator(TestKey.random());
    const { list, setNow } = makeList([pub]);
    const cur = pub.blob({ sequence: 1, expiration: NOW + 1000, validators: [a] });
    const next = pub.blob({ sequence: 2, effective: NOW + 500, expiration: NOW + 5000, validators: [b] });
    const r = list.applyLists(pub.manifestB64, 2, [cur, next], '');
    expect(bestDisposition(r)).toBe('accepted');
    expect(worstDisposition(r)).toBe('pending');
    expect(r.sequence).toBe(2);
    list.updateTrusted();
    expect(list.trusted(a.master.publicKey)).toBe(true);
    expect(list.expires()).toBe(NOW + 5000); // chained through the pending list
    setNow(NOW + 600);
    const t = list.updateTrusted();
    expect(t.rotated).toHaveLength(1);
    expect(list.trusted(b.master.publicKey)).toBe(true);
    expect(list.trusted(a.master.publicKey)).toBe(false);
  });

  it('a revoked validator manifest ends trust; a revoked publisher manifest ends its list', () => {
    const pub = new TestPublisher();
    const v = new TestValidator(TestKey.random());
    const { list, validatorManifests } = makeList([pub]);
    list.applyLists(pub.manifestB64, 1, [pub.blob({ sequence: 1, expiration: NOW + DAY, validators: [v, TestKey.random()] })], '');
    list.updateTrusted();
    expect(list.trusted(v.ephemeral.publicKey)).toBe(true);
    expect(validatorManifests.applyRaw(v.revocation()).disposition).toBe('accepted');
    const t = list.updateTrusted();
    expect(t.removed.map((k) => k.toString('hex'))).toEqual([v.master.publicKey.toString('hex')]);
    expect(list.trusted(v.master.publicKey)).toBe(false);
    // publisher revokes its own key
    const revocation = makeManifest({ master: pub.master, sequence: 0xffffffff }).toString('base64');
    const r = list.applyLists(revocation, 1, [pub.blob({ sequence: 2, expiration: NOW + DAY, validators: [v] })], '');
    expect(bestDisposition(r)).toBe('untrusted');
    list.updateTrusted();
    expect(list.trustedMasterKeys()).toHaveLength(0);
    expect(list.publishers.get(pub.master.publicKey.toString('hex'))!.status).toBe('revoked');
  });

  it('threshold: with three publishers a validator needs two lists (rippled: n/2 + 1)', () => {
    const pubs = [new TestPublisher(), new TestPublisher(), new TestPublisher()];
    const a = new TestValidator(TestKey.random());
    const b = new TestValidator(TestKey.random());
    const { list } = makeList(pubs);
    expect(list.listThreshold).toBe(2);
    list.applyLists(pubs[0]!.manifestB64, 1, [pubs[0]!.blob({ sequence: 1, expiration: NOW + DAY, validators: [a, b] })], '');
    list.updateTrusted();
    expect(list.quorum).toBe(Number.MAX_SAFE_INTEGER); // 2 unavailable ≥ min(2, 3-2+1)
    list.applyLists(pubs[1]!.manifestB64, 1, [pubs[1]!.blob({ sequence: 1, expiration: NOW + DAY, validators: [a] })], '');
    list.updateTrusted();
    expect(list.trustedMasterKeys().map((k) => k.toString('hex'))).toEqual([a.master.publicKey.toString('hex')]);
    expect(list.quorum).toBe(1);
  });
});
