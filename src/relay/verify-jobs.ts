/**
 * The costly part of checking a relayed item, its signature, as plain data: a job that can be run on
 * the event loop or posted to a worker thread (verify-pool.ts) and run there by the same code.
 */
import { createHash } from 'node:crypto';
import { verifyDigestSignature } from '../identity/node-key.js';
import { checkTransactionSignature, checkValidationSignature, type SignatureCheck } from '../ledger/signatures.js';

/** HashPrefix::proposal, 'P' 'R' 'P' 0. */
const PROPOSAL_PREFIX = 0x50525000;

/** The fields of a TMProposeSet that its signature covers, with the key and the signature. */
export interface ProposalSignature {
  proposeSeq: number;
  closeTime: number;
  previousledger: Uint8Array;
  currentTxHash: Uint8Array;
  nodePubKey: Uint8Array;
  signature: Uint8Array;
}

export type VerifyJob =
  | { kind: 'transaction'; raw: Uint8Array }
  | { kind: 'validation'; raw: Uint8Array }
  | ({ kind: 'proposal' } & ProposalSignature);

/**
 * False only for a verifiably bad signature. The readers refuse what they cannot read with a reason,
 * but should one ever throw instead (a bug), the item is relayed as before: a fault of ours must
 * neither drop a genuine item nor cost an honest peer its connection.
 */
export function runVerifyJob(job: VerifyJob): boolean {
  switch (job.kind) {
    case 'transaction':
      return notForged(() => checkTransactionSignature(job.raw));
    case 'validation':
      return notForged(() => checkValidationSignature(job.raw));
    case 'proposal':
      return verifyProposalSignature(job);
  }
}

/** rippled's ConsensusProposal::signingHash, verified as checkPropose does (high-S accepted). */
export function verifyProposalSignature(p: ProposalSignature): boolean {
  const head = Buffer.alloc(12);
  head.writeUInt32BE(PROPOSAL_PREFIX, 0);
  head.writeUInt32BE(p.proposeSeq >>> 0, 4);
  head.writeUInt32BE(p.closeTime >>> 0, 8);
  const digest = createHash('sha512').update(head).update(p.previousledger).update(p.currentTxHash).digest().subarray(0, 32);
  return verifyDigestSignature(p.nodePubKey, digest, p.signature);
}

/**
 * The job with its bytes copied into one buffer of their own, and that buffer, to transfer to a worker.
 * Posting a view of a larger buffer (a socket read) would copy all of that buffer.
 */
export function packJob(job: VerifyJob): { job: VerifyJob; buffer: ArrayBuffer } {
  if (job.kind !== 'proposal') {
    const raw = new Uint8Array(job.raw);
    return { job: { kind: job.kind, raw }, buffer: raw.buffer as ArrayBuffer };
  }
  const parts = [job.previousledger, job.currentTxHash, job.nodePubKey, job.signature];
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const views: Uint8Array[] = [];
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    views.push(all.subarray(at, at + p.length));
    at += p.length;
  }
  const [previousledger, currentTxHash, nodePubKey, signature] = views as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  return { job: { kind: 'proposal', proposeSeq: job.proposeSeq, closeTime: job.closeTime, previousledger, currentTxHash, nodePubKey, signature }, buffer: all.buffer as ArrayBuffer };
}

function notForged(check: () => SignatureCheck): boolean {
  try {
    return check().verdict !== 'invalid';
  } catch {
    return true;
  }
}
