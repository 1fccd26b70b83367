/**
 * What rippled checks before it relays consensus traffic (PeerImp::onMessage for TMProposeSet,
 * TMValidation, TMManifests and TMTransaction), so that we never pass on an item that would get us
 * charged by the rippled peers we pass it to. An item that fails is not relayed, and its sender is
 * charged what rippled would charge it.
 *
 * We hold no ledgers, validator lists or manifests, so we check what can be checked without them:
 * sizes, key types and signatures: a proposal's (rippled's checkPropose), a transaction's (its
 * checkTransaction → STTx::checkSign), a validation's (its checkValidation → STValidation::isValid)
 * and each manifest's in a TMManifests (its onManifests → Manifest::verify). A well-formed
 * transaction, validation or manifest we cannot read exactly as rippled does (a field we do not
 * know, say) is relayed as before (signatures.ts says which), never dropped on a guess; but bytes
 * that are not a serialized object at all (object-shape.ts) are never relayed: rippled cannot parse
 * them either, and charges for them as noted where each is refused.
 *
 * rippled relays only the manifests it accepted, in a message of its own. We keep no manifest cache,
 * so we cannot tell which it would accept: we leave out those whose signatures verifiably fail and
 * relay the rest. rippled charges nothing for an invalid manifest (it only declines to relay it), so
 * neither do we.
 */
import crypto, { createHash } from 'node:crypto';
import { encodeMessage, type PeerMessage } from '../protocol/codec.js';
import type { TMManifests, TMProposeSet } from '../protocol/messages.js';
import { Charge, type ChargeKind } from '../resource/resource.js';
import { objectShape } from '../ledger/object-shape.js';
import { checkManifestSignature } from '../ledger/signatures.js';
import { runVerifyJob, verifyProposalSignature, type VerifyJob } from './verify-jobs.js';

export { verifyProposalSignature } from './verify-jobs.js';

/** rippled's txMaxSizeBytes: a larger transaction does not deserialize, and is dropped. */
export const TX_MAX_BYTES = 1024 * 1024;
/** rippled's kTxMinSizeBytes: a shorter rawTransaction does not deserialize. */
export const TX_MIN_BYTES = 32;
/** rippled drops a TMValidation shorter than this as malformed. */
export const VALIDATION_MIN_BYTES = 50;
/** rippled charges a TMManifests with more entries than this (and still processes it). */
export const MANIFESTS_MAX = 100;

export type RelayCheck =
  /**
   * Relay under this suppression key; `verify`, when present, must pass first (it runs `job`, which
   * may be run on a worker thread instead), and `filter`, when present, says what of the message to
   * relay (either is costly: call it once).
   */
  | { ok: true; key: string; job?: VerifyJob; verify?: () => boolean; filter?: () => RelayFilter }
  | { ok: false; reason: string; charge?: ChargeKind };

/** What is left to relay of a message whose items are checked one by one. */
export interface RelayFilter {
  /** The payload to relay: the original bytes when nothing was left out; none when nothing is left. */
  payload: Buffer | undefined;
  /** How many items were left out, and why (the first reason). */
  dropped: number;
  reason?: string;
  /** What to charge the sender for this message (items left out, or its form), if anything. */
  charge?: ChargeKind;
}

/** Checks one relayable message and gives its suppression key. */
export function checkRelayItem(msg: PeerMessage, payload: Buffer): RelayCheck {
  switch (msg.name) {
    case 'PROPOSE_LEDGER':
      return checkProposal(msg.message);
    case 'VALIDATION': {
      const v = msg.message.validation;
      if (v.length < VALIDATION_MIN_BYTES) return { ok: false, reason: 'validation too small', charge: Charge.malformed };
      // rippled's STValidation constructor throws on such bytes, and it charges feeInvalidRequest.
      const shape = objectShape(v);
      if (shape.shape === 'malformed') return { ok: false, reason: `not a validation: ${shape.reason}`, charge: Charge.malformed };
      return withJob(`val:${sha512Half(v).toString('base64')}`, { kind: 'validation', raw: v });
    }
    case 'TRANSACTION': {
      const tx = msg.message.rawTransaction;
      if (tx.length > TX_MAX_BYTES) return { ok: false, reason: `transaction of ${tx.length} bytes is over rippled's limit` };
      // rippled's handleTransaction cannot build an STTx of these: it logs, relays nothing and charges
      // no more than the message's own fee (already charged by the peer).
      if (tx.length < TX_MIN_BYTES) return { ok: false, reason: `not a transaction: ${tx.length} bytes` };
      const shape = objectShape(tx);
      if (shape.shape === 'malformed') return { ok: false, reason: `not a transaction: ${shape.reason}` };
      return withJob(`tx:${sha512Half(tx).toString('base64')}`, { kind: 'transaction', raw: tx });
    }
    case 'MANIFESTS': {
      const n = msg.message.list.length;
      if (n === 0) return { ok: false, reason: 'empty manifests', charge: Charge.useless };
      const m = msg.message;
      // rippled charges a list of over 100 as a moderate burden, and still goes through it.
      const oversize = n > MANIFESTS_MAX ? { charge: Charge.moderate, reason: `${n} manifests in one message` } : {};
      return { ok: true, key: `man:${sha512Half(payload).toString('base64')}`, filter: () => ({ ...failOpenFilter(() => filterManifests(m, payload), payload), ...oversize }) };
    }
    default:
      return { ok: false, reason: `${msg.name} is not relayed` };
  }
}

function withJob(key: string, job: VerifyJob): RelayCheck {
  return { ok: true, key, job, verify: () => runVerifyJob(job) };
}

function failOpenFilter(filter: () => RelayFilter, payload: Buffer): RelayFilter {
  try {
    return filter();
  } catch {
    return { payload, dropped: 0 };
  }
}

/** The manifests of a TMManifests that do not verifiably fail rippled's Manifest::verify. */
export function filterManifests(m: TMManifests, payload: Buffer): RelayFilter {
  let reason: string | undefined;
  const kept = m.list.filter((entry) => {
    // rippled's deserializeManifest fails on bytes that are not an object: never relayed (no charge).
    const shape = entry.stobject.length === 0 ? { shape: 'malformed' as const, reason: 'empty' } : objectShape(entry.stobject);
    if (shape.shape === 'malformed') {
      reason ??= `not a manifest: ${shape.reason}`;
      return false;
    }
    const check = checkManifestSignature(entry.stobject);
    if (check.verdict !== 'invalid') return true;
    reason ??= `manifest: ${check.reason}`;
    return false;
  });
  const dropped = m.list.length - kept.length;
  if (dropped === 0) return { payload, dropped };
  if (kept.length === 0) return { payload: undefined, dropped, reason };
  // A new message of the kept entries, as rippled builds one of those it accepted.
  const rest: TMManifests = m.history === undefined ? { list: kept } : { list: kept, history: m.history };
  return { payload: encodeMessage('MANIFESTS', rest), dropped, reason };
}

function checkProposal(p: TMProposeSet): RelayCheck {
  // rippled's order: signature size and key type first, then the hashes.
  const sigOk = p.signature.length >= 64 && p.signature.length <= 72;
  const keyOk = p.nodePubKey.length === 33 && (p.nodePubKey[0] === 0x02 || p.nodePubKey[0] === 0x03);
  if (!sigOk || !keyOk) return { ok: false, reason: 'malformed proposal signature or key', charge: Charge.invalidSignature };
  if (p.currentTxHash.length !== 32 || p.previousledger.length !== 32) {
    return { ok: false, reason: 'malformed proposal hashes', charge: Charge.malformed };
  }
  // rippled's proposalUniqueId covers every signed field, the key and the signature: a copy with any
  // field changed is a different item, and cannot suppress the genuine one.
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  };
  const id = sha512Half(p.currentTxHash, p.previousledger, u32(p.proposeSeq), u32(p.closeTime), p.nodePubKey, p.signature);
  const job: VerifyJob = { kind: 'proposal', proposeSeq: p.proposeSeq, closeTime: p.closeTime, previousledger: p.previousledger, currentTxHash: p.currentTxHash, nodePubKey: p.nodePubKey, signature: p.signature };
  return { ok: true, key: `prop:${id.toString('base64')}`, job, verify: () => verifyProposalSignature(job) };
}

/** crypto.hash (Node 20.12+) hashes one buffer without a Hash object: the relay keys every item. */
const oneShot = (crypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;

function sha512Half(...parts: Uint8Array[]): Buffer {
  if (parts.length === 1 && oneShot) return oneShot('sha512', parts[0]!, 'buffer').subarray(0, 32);
  const h = createHash('sha512');
  for (const part of parts) h.update(part);
  return h.digest().subarray(0, 32);
}
