/**
 * Which validator-list messages a peer gets, as rippled's ValidatorList::sendValidatorList and
 * buildValidatorListMessages choose: a peer on XRPL/2.2 or later gets one TMValidatorListCollection
 * of every list newer than the sequence it is known to have; a peer on 2.1 gets a TMValidatorList
 * of the current list only, when it does not have that one; an older peer gets nothing.
 */
import type { TMValidatorList, TMValidatorListCollection } from '../protocol/messages.js';
import type { PublisherCollection } from './validator-list.js';

export type ListMessage = { name: 'VALIDATOR_LIST'; message: TMValidatorList } | { name: 'VALIDATOR_LIST_COLLECTION'; message: TMValidatorListCollection };

/** 2 for XRPL/2.2+, 1 for XRPL/2.1, 0 before (rippled's ValidatorList(2)Propagation features). */
export function listMessageVersion(protocol: { major: number; minor: number }): 0 | 1 | 2 {
  const v = protocol.major * 100 + protocol.minor;
  return v >= 202 ? 2 : v >= 201 ? 1 : 0;
}

/**
 * The messages for a peer that has `peerSequence` of this publisher (0: none), and the sequence it
 * will then have; undefined when it needs nothing.
 */
export function listMessagesFor(pub: PublisherCollection, peerSequence: number, version: 0 | 1 | 2): { messages: ListMessage[]; newSequence: number } | undefined {
  const maxSequence = pub.maxSequence ?? 0;
  if (version === 2 && peerSequence < maxSequence) {
    const lists = [pub.current, ...[...pub.remaining.values()].sort((a, b) => a.sequence - b.sequence)].filter((l) => l.sequence > peerSequence);
    if (lists.length === 0) return undefined;
    const message: TMValidatorListCollection = {
      version: Math.max(2, pub.rawVersion),
      manifest: Buffer.from(pub.rawManifest, 'utf8'),
      blobs: lists.map((l) => {
        const b: TMValidatorListCollection['blobs'][number] = { blob: Buffer.from(l.rawBlob, 'utf8'), signature: Buffer.from(l.rawSignature, 'utf8') };
        if (l.rawManifest !== undefined) b.manifest = Buffer.from(l.rawManifest, 'utf8');
        return b;
      }),
    };
    return { messages: [{ name: 'VALIDATOR_LIST_COLLECTION', message }], newSequence: maxSequence };
  }
  if (version === 1 && peerSequence < pub.current.sequence) {
    const c = pub.current;
    const message: TMValidatorList = { manifest: Buffer.from(c.rawManifest ?? pub.rawManifest, 'utf8'), blob: Buffer.from(c.rawBlob, 'utf8'), signature: Buffer.from(c.rawSignature, 'utf8'), version: 1 };
    return { messages: [{ name: 'VALIDATOR_LIST', message }], newSequence: c.sequence };
  }
  return undefined;
}

/** ValidatorList::buildFileData: the JSON served at /vl/<key> and kept in the cache file. */
export function buildFileData(publisherKeyHex: string, pub: PublisherCollection, forceVersion?: number): Record<string, unknown> | undefined {
  const version = forceVersion ?? pub.rawVersion;
  const out: Record<string, unknown> = { manifest: pub.rawManifest, version, public_key: publisherKeyHex };
  if (version === 1) {
    out.blob = pub.current.rawBlob;
    out.signature = pub.current.rawSignature;
    if (pub.current.rawManifest !== undefined && pub.current.rawManifest !== pub.rawManifest) out.manifest = pub.current.rawManifest;
    return out;
  }
  if (version === 2) {
    const lists = [pub.current, ...[...pub.remaining.values()].sort((a, b) => a.sequence - b.sequence)];
    out.blobs_v2 = lists.map((l) => {
      const b: Record<string, string> = { blob: l.rawBlob, signature: l.rawSignature };
      if (l.rawManifest !== undefined && l.rawManifest !== pub.rawManifest) b.manifest = l.rawManifest;
      return b;
    });
    return out;
  }
  return undefined;
}
