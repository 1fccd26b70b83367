/**
 * rippled's ValidatorList: publisher lists verified against [validator_list_keys] (publisher
 * manifest, signature over the blob, sequence, expiration, v2 effective dates), the validators
 * listed by them and by [validators], the trusted set (listed by at least the threshold of
 * publishers, not revoked) and the quorum as calculateQuorum computes it.
 *
 * Times are NetClock seconds (since 2000-01-01), from an injected clock.
 */
import { createHash } from 'node:crypto';
import { encodeNodePublic } from 'ripple-address-codec';
import { verifyMessage } from '../ledger/signatures.js';
import { isPublicKeyType, type StaticValidator } from '../config/validators.js';
import type { ManifestCache } from './manifest-cache.js';
import { isRevoked, type Manifest, parseManifest } from './manifest.js';

/** Best first, as rippled orders them. */
export const LIST_DISPOSITIONS = [
  'accepted',
  'expired',
  'pending',
  'same_sequence',
  'known_sequence',
  'stale',
  'untrusted',
  'unsupported_version',
  'invalid',
] as const;
export type ListDisposition = (typeof LIST_DISPOSITIONS)[number];
const rank = (d: ListDisposition) => LIST_DISPOSITIONS.indexOf(d);

export type PublisherStatus = 'available' | 'expired' | 'unavailable' | 'revoked';
const STATUS_RANK: Record<PublisherStatus, number> = { available: 0, expired: 1, unavailable: 2, revoked: 3 };

/** rippled's supportedListVersions and maxSupportedBlobs. */
export const SUPPORTED_LIST_VERSIONS = [1, 2];
export const MAX_SUPPORTED_BLOBS = 5;
/** NetClock's time_point::max(), a list from [validators] that never expires. */
export const NEVER = 0xffffffff;

export interface BlobInfo {
  /** base64 of the JSON list. */
  blob: string;
  /** hex of the signature over the blob's bytes. */
  signature: string;
  /** base64 of a manifest for this blob alone (v2). */
  manifest?: string;
}

export interface PublisherList {
  sequence: number;
  validFrom: number;
  validUntil: number;
  siteUri: string;
  rawBlob: string;
  rawSignature: string;
  rawManifest?: string;
  /** Listed master keys, sorted. */
  list: Buffer[];
  manifests: string[];
}

export interface PublisherCollection {
  status: PublisherStatus;
  current: PublisherList;
  /** Pending lists by sequence. */
  remaining: Map<number, PublisherList>;
  maxSequence?: number;
  rawManifest: string;
  rawVersion: number;
}

export interface ListStats {
  dispositions: Map<ListDisposition, number>;
  publisherKey?: Buffer;
  status?: PublisherStatus;
  sequence?: number;
}

export function bestDisposition(s: ListStats): ListDisposition {
  const ds = [...s.dispositions.keys()];
  return ds.length ? ds.reduce((a, b) => (rank(a) <= rank(b) ? a : b)) : 'invalid';
}
export function worstDisposition(s: ListStats): ListDisposition {
  const ds = [...s.dispositions.keys()];
  return ds.length ? ds.reduce((a, b) => (rank(a) >= rank(b) ? a : b)) : 'invalid';
}
function stats(d: ListDisposition, publisherKey?: Buffer, status?: PublisherStatus, sequence?: number): ListStats {
  const s: ListStats = { dispositions: new Map([[d, 1]]) };
  if (publisherKey) s.publisherKey = publisherKey;
  if (status) s.status = status;
  if (sequence !== undefined) s.sequence = sequence;
  return s;
}

const hex = (k: Uint8Array) => Buffer.from(k).toString('hex');
const emptyList = (): PublisherList => ({ sequence: 0, validFrom: 0, validUntil: 0, siteUri: '', rawBlob: '', rawSignature: '', list: [], manifests: [] });

export interface ValidatorListOptions {
  publisherKeys: readonly Buffer[];
  staticValidators: readonly StaticValidator[];
  listThreshold?: number;
  /** Validators' manifests (ephemeral keys of listed validators). */
  validatorManifests: ManifestCache;
  /** Publishers' manifests. */
  publisherManifests: ManifestCache;
  /** NetClock seconds. */
  now: () => number;
}

export interface TrustChanges {
  added: Buffer[];
  removed: Buffer[];
}

interface ParsedList {
  sequence: number;
  expiration: number;
  effective?: number;
  validators: unknown[];
}

export class ValidatorList {
  readonly publishers = new Map<string, PublisherCollection>();
  readonly listThreshold: number;
  /** [validators]: never expires. */
  readonly localList: Buffer[] = [];
  private readonly keyListings = new Map<string, number>();
  private readonly trustedMasters = new Map<string, Buffer>();
  private quorumValue = 1;

  constructor(private readonly opts: ValidatorListOptions) {
    for (const key of opts.publisherKeys) {
      if (this.publishers.has(hex(key))) continue;
      const status: PublisherStatus = opts.publisherManifests.revoked(key) ? 'revoked' : 'unavailable';
      this.publishers.set(hex(key), { status, current: emptyList(), remaining: new Map(), rawManifest: '', rawVersion: 0 });
    }
    const n = this.publishers.size;
    this.listThreshold = opts.listThreshold ?? (n < 3 ? 1 : Math.floor(n / 2) + 1);
    for (const v of opts.staticValidators) {
      if (this.keyListings.has(hex(v.key))) continue;
      this.keyListings.set(hex(v.key), this.listThreshold);
      this.localList.push(v.key);
    }
  }

  get quorum(): number {
    return this.quorumValue;
  }

  /** Publisher lists plus the local one when it lists anything (ValidatorList::count). */
  count(): number {
    return this.publishers.size + (this.localList.length ? 1 : 0);
  }

  trustedMasterKeys(): Buffer[] {
    return [...this.trustedMasters.values()];
  }

  /** trusted(): the key, or the master key of this ephemeral key, is in the trusted set. */
  trusted(key: Uint8Array): boolean {
    return this.trustedMasters.has(hex(this.opts.validatorManifests.getMasterKey(key)));
  }

  /** Every listed master key (for_each_listed). */
  listedKeys(): Buffer[] {
    return [...this.keyListings.keys()].map((k) => Buffer.from(k, 'hex'));
  }

  listed(key: Uint8Array): boolean {
    return this.keyListings.has(hex(this.opts.validatorManifests.getMasterKey(key)));
  }

  /** ValidatorList::applyLists (without the broadcast, which the caller does). */
  applyLists(manifest: string, version: number, blobs: readonly BlobInfo[], siteUri: string): ListStats {
    if (!SUPPORTED_LIST_VERSIONS.includes(version)) return stats('unsupported_version');
    let result: ListStats = { dispositions: new Map() };
    for (const b of blobs) {
      const s = this.applyList(manifest, b.manifest, b.blob, b.signature, version, siteUri);
      const better = rank(bestDisposition(s)) < rank(bestDisposition(result)) || (bestDisposition(s) === bestDisposition(result) && (s.sequence ?? 0) > (result.sequence ?? 0));
      const [keep, merge] = better ? [s, result] : [result, s];
      for (const [d, c] of merge.dispositions) keep.dispositions.set(d, (keep.dispositions.get(d) ?? 0) + c);
      result = keep;
    }
    const pub = result.publisherKey ? this.publishers.get(hex(result.publisherKey)) : undefined;
    if (pub) {
      // Drop pending lists made obsolete by the current one or by a later one that starts sooner.
      const seqs = [...pub.remaining.keys()].sort((a, b) => a - b);
      for (let i = 0; i < seqs.length; i++) {
        const seq = seqs[i]!;
        const next = seqs[i + 1] !== undefined ? pub.remaining.get(seqs[i + 1]!) : undefined;
        if (seq <= pub.current.sequence || (next && next.validFrom <= pub.remaining.get(seq)!.validFrom)) pub.remaining.delete(seq);
      }
      if (pub.maxSequence !== undefined) result.sequence = pub.maxSequence;
    }
    return result;
  }

  private applyList(globalManifest: string, localManifest: string | undefined, blob: string, signature: string, version: number, siteUri: string): ListStats {
    const manifestText = localManifest ?? globalManifest;
    const read = parseManifest(Buffer.from(manifestText, 'base64'));
    if (!read.ok) return stats('invalid');
    const { disposition, key, list } = this.verify(read.manifest, blob, signature);
    if (!key) return stats(disposition);
    const pub = this.publishers.get(hex(key))!;
    if (rank(disposition) > rank('pending')) {
      if (pub.maxSequence !== undefined && (disposition === 'same_sequence' || disposition === 'known_sequence')) {
        return stats(disposition, key, pub.status, pub.maxSequence);
      }
      return stats(disposition);
    }
    const l = list!;
    const accepted = disposition === 'accepted' || disposition === 'expired';
    if (accepted) pub.status = disposition === 'accepted' ? 'available' : 'expired';
    pub.rawManifest = globalManifest;
    if (pub.maxSequence === undefined || l.sequence > pub.maxSequence) pub.maxSequence = l.sequence;
    let oldList: Buffer[];
    if (accepted && pub.remaining.has(l.sequence)) {
      oldList = pub.current.list;
      pub.current = pub.remaining.get(l.sequence)!;
      pub.remaining.delete(l.sequence);
    } else {
      const entry: PublisherList = {
        sequence: l.sequence,
        validFrom: l.effective ?? 0,
        validUntil: l.expiration,
        siteUri,
        rawBlob: blob,
        rawSignature: signature,
        list: [],
        manifests: [],
      };
      if (localManifest !== undefined) entry.rawManifest = localManifest;
      for (const v of l.validators) {
        if (typeof v !== 'object' || v === null) continue;
        const o = v as Record<string, unknown>;
        if (typeof o.validation_public_key !== 'string') continue;
        const k = /^[0-9A-Fa-f]*$/.test(o.validation_public_key) ? Buffer.from(o.validation_public_key, 'hex') : undefined;
        if (k && isPublicKeyType(k)) entry.list.push(k);
        if (typeof o.manifest === 'string') entry.manifests.push(o.manifest);
      }
      entry.list.sort(Buffer.compare);
      if (accepted) {
        oldList = pub.current.list;
        pub.current = entry;
      } else {
        oldList = [];
        pub.remaining.set(l.sequence, entry);
      }
    }
    pub.rawVersion = Math.max(pub.rawVersion, version);
    if (pub.remaining.size > 0) pub.rawVersion = Math.max(pub.rawVersion, 2);
    const result = stats(disposition, key, pub.status, pub.maxSequence);
    if (accepted) this.updatePublisherList(pub.current, oldList);
    return result;
  }

  /** ValidatorList::verify. */
  private verify(manifest: Manifest, blob: string, signature: string): { disposition: ListDisposition; key?: Buffer; list?: ParsedList } {
    const key = manifest.masterKey;
    const pub = this.publishers.get(hex(key));
    if (!pub) return { disposition: 'untrusted' };
    const revoked = isRevoked(manifest);
    const applied = this.opts.publisherManifests.applyManifest(manifest);
    if (revoked && applied === 'accepted') {
      this.removePublisherList(key, 'revoked');
      pub.remaining.clear();
    }
    const signingKey = this.opts.publisherManifests.getSigningKey(key);
    if (revoked || !signingKey || applied === 'invalid' || this.opts.publisherManifests.revoked(key)) return { disposition: 'untrusted', key };
    const data = Buffer.from(blob, 'base64');
    const sig = /^[0-9A-Fa-f]*$/.test(signature) && signature.length % 2 === 0 ? Buffer.from(signature, 'hex') : undefined;
    if (!sig || verifyMessage(signingKey, [data], sig, true) !== true) return { disposition: 'invalid', key };
    let list: unknown;
    try {
      list = JSON.parse(data.toString('utf8'));
    } catch {
      return { disposition: 'invalid', key };
    }
    const o = list as Record<string, unknown>;
    const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff;
    if (typeof list !== 'object' || list === null || !isInt(o.sequence) || !isInt(o.expiration) || ('effective' in o && !isInt(o.effective)) || !Array.isArray(o.validators)) {
      return { disposition: 'invalid', key };
    }
    const parsed: ParsedList = { sequence: (o.sequence as number) >>> 0, expiration: (o.expiration as number) >>> 0, validators: o.validators as unknown[] };
    if ('effective' in o) parsed.effective = (o.effective as number) >>> 0;
    const validFrom = parsed.effective ?? 0;
    const validUntil = parsed.expiration;
    const now = this.opts.now();
    if (validUntil <= validFrom) return { disposition: 'invalid', key };
    if (parsed.sequence < pub.current.sequence) return { disposition: 'stale', key };
    if (parsed.sequence === pub.current.sequence) return { disposition: 'same_sequence', key };
    if (validUntil <= now) return { disposition: 'expired', key, list: parsed };
    if (validFrom > now) {
      const maxSeq = pub.maxSequence;
      const pendingMax = maxSeq !== undefined ? pub.remaining.get(maxSeq) : undefined;
      const fresh = maxSeq === undefined || parsed.sequence > maxSeq || (!pub.remaining.has(parsed.sequence) && pendingMax !== undefined && validFrom < pendingMax.validFrom);
      return { disposition: fresh ? 'pending' : 'known_sequence', key, list: parsed };
    }
    return { disposition: 'accepted', key, list: parsed };
  }

  private updatePublisherList(current: PublisherList, oldList: readonly Buffer[]): void {
    const oldSet = new Set(oldList.map(hex));
    const newSet = new Set(current.list.map(hex));
    for (const k of newSet) if (!oldSet.has(k)) this.keyListings.set(k, (this.keyListings.get(k) ?? 0) + 1);
    for (const k of oldSet) {
      if (newSet.has(k)) continue;
      const n = this.keyListings.get(k) ?? 0;
      if (n <= 1) this.keyListings.delete(k);
      else this.keyListings.set(k, n - 1);
    }
    for (const m of current.manifests) {
      const read = parseManifest(Buffer.from(m, 'base64'));
      if (!read.ok || !this.keyListings.has(hex(read.manifest.masterKey))) continue;
      this.opts.validatorManifests.applyManifest(read.manifest);
    }
  }

  private removePublisherList(key: Buffer, reason: PublisherStatus): void {
    const pub = this.publishers.get(hex(key));
    if (!pub) return;
    for (const v of pub.current.list) {
      const n = this.keyListings.get(hex(v));
      if (n === undefined) continue;
      if (n <= 1) this.keyListings.delete(hex(v));
      else this.keyListings.set(hex(v), n - 1);
    }
    pub.current.list = [];
    pub.status = reason;
  }

  /**
   * ValidatorList::updateTrusted: pending lists whose time has come become current, expired lists
   * are dropped, then the trusted set and the quorum are recomputed. Returns what changed and the
   * lists that became current (to be broadcast).
   */
  updateTrusted(closeTime = this.opts.now()): TrustChanges & { rotated: Buffer[] } {
    const rotated: Buffer[] = [];
    for (const [k, pub] of this.publishers) {
      const due = [...pub.remaining.keys()].sort((a, b) => a - b).filter((s) => pub.remaining.get(s)!.validFrom <= closeTime);
      if (due.length > 0) {
        const last = due[due.length - 1]!;
        const oldList = pub.current.list;
        pub.current = pub.remaining.get(last)!;
        pub.status = 'available';
        if (pub.current.validUntil <= closeTime) pub.current.list = [];
        this.updatePublisherList(pub.current, oldList);
        for (const s of due) pub.remaining.delete(s);
        rotated.push(Buffer.from(k, 'hex'));
      }
      if (pub.status === 'available' && pub.current.validUntil <= closeTime) this.removePublisherList(Buffer.from(k, 'hex'), 'expired');
    }
    const changes: TrustChanges = { added: [], removed: [] };
    const manifests = this.opts.validatorManifests;
    for (const [k, key] of this.trustedMasters) {
      const n = this.keyListings.get(k);
      if (n === undefined || n < this.listThreshold || manifests.revoked(key)) {
        this.trustedMasters.delete(k);
        changes.removed.push(key);
      }
    }
    for (const [k, n] of this.keyListings) {
      const key = Buffer.from(k, 'hex');
      if (n >= this.listThreshold && !manifests.revoked(key) && !this.trustedMasters.has(k)) {
        this.trustedMasters.set(k, key);
        changes.added.push(key);
      }
    }
    this.quorumValue = this.calculateQuorum(this.trustedMasters.size);
    return { ...changes, rotated };
  }

  /** calculateQuorum, without a negative UNL (a node without ledgers has none) or --quorum. */
  private calculateQuorum(unlSize: number): number {
    if (this.publishers.size > 0) {
      let unavailable = 0;
      for (const p of this.publishers.values()) if (p.status !== 'available') unavailable++;
      const errorThreshold = Math.min(this.listThreshold, this.publishers.size - this.listThreshold + 1);
      if (unavailable >= errorThreshold) return Number.MAX_SAFE_INTEGER;
    }
    return Math.max(Math.ceil(Math.fround(unlSize * Math.fround(0.8))), Math.ceil(Math.fround(unlSize * Math.fround(0.6))));
  }

  /** expires(): the earliest chained expiration; undefined while some publisher's list is unfetched. */
  expires(): number | undefined {
    let res: number | undefined;
    for (const pub of this.publishers.values()) {
      if (pub.current.validUntil === 0) return undefined;
      let chained = pub.current.validUntil;
      for (const s of [...pub.remaining.keys()].sort((a, b) => a - b)) {
        const next = pub.remaining.get(s)!;
        if (next.validFrom <= chained) chained = next.validUntil;
        else break;
      }
      if (res === undefined || chained < res) res = chained;
    }
    if (this.localList.length > 0 && (res === undefined || NEVER < res)) res = NEVER;
    return res;
  }

  publisherAvailable(key: Uint8Array): PublisherCollection | undefined {
    const pub = this.publishers.get(hex(key));
    return pub && pub.status === 'available' ? pub : undefined;
  }

  /** Master → ephemeral keys of listed validators (getJson's signing_keys). */
  signingKeys(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const m of this.opts.validatorManifests.all()) {
      if (m.signingKey && !isRevoked(m) && this.keyListings.has(hex(m.masterKey))) out[encodeNodePublic(m.masterKey)] = encodeNodePublic(m.signingKey);
    }
    return out;
  }

  /** A hash of a publisher's lists, to know whether a peer already has what we would send. */
  static blobsHash(manifest: string, blobs: readonly BlobInfo[], version: number): string {
    const h = createHash('sha512');
    h.update(manifest);
    for (const b of blobs) h.update(`\0${b.blob}\0${b.signature}\0${b.manifest ?? ''}`);
    h.update(`\0${version}`);
    return h.digest().subarray(0, 32).toString('hex');
  }

  static statusRank(s: PublisherStatus): number {
    return STATUS_RANK[s];
  }
}
