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
 * A batch of jobs as one buffer of their bytes (copied: posting views of a socket read would copy all
 * of it) and two small arrays, so that posting it to a worker is three transfers, not a clone per job.
 */
export interface PackedBatch {
  kinds: Uint8Array;
  /** Where each job's bytes end in `bytes`. */
  ends: Uint32Array;
  bytes: Uint8Array;
}

const KINDS = ['transaction', 'validation', 'proposal'] as const;
/** A proposal's bytes: proposeSeq, closeTime (4 each), then 1-byte lengths of the four fields, then the fields. */
const PROPOSAL_HEAD = 12;

export function packBatch(jobs: readonly VerifyJob[]): PackedBatch {
  const sizes = jobs.map((j) => (j.kind === 'proposal' ? PROPOSAL_HEAD + j.previousledger.length + j.currentTxHash.length + j.nodePubKey.length + j.signature.length : j.raw.length));
  const bytes = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  const view = new DataView(bytes.buffer);
  const kinds = new Uint8Array(jobs.length);
  const ends = new Uint32Array(jobs.length);
  let at = 0;
  jobs.forEach((j, i) => {
    kinds[i] = KINDS.indexOf(j.kind);
    if (j.kind !== 'proposal') bytes.set(j.raw, at);
    else {
      const fields = [j.previousledger, j.currentTxHash, j.nodePubKey, j.signature];
      view.setUint32(at, j.proposeSeq >>> 0);
      view.setUint32(at + 4, j.closeTime >>> 0);
      let f = at + PROPOSAL_HEAD;
      fields.forEach((field, k) => {
        bytes[at + 8 + k] = field.length; // each under 256: checkProposal saw to it
        bytes.set(field, f);
        f += field.length;
      });
    }
    at += sizes[i]!;
    ends[i] = at;
  });
  return { kinds, ends, bytes };
}

export function unpackBatch(b: PackedBatch): VerifyJob[] {
  const view = new DataView(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength);
  const jobs: VerifyJob[] = [];
  let at = 0;
  for (let i = 0; i < b.kinds.length; i++) {
    const end = b.ends[i]!;
    const kind = KINDS[b.kinds[i]!]!;
    if (kind !== 'proposal') jobs.push({ kind, raw: b.bytes.subarray(at, end) });
    else {
      let f = at + PROPOSAL_HEAD;
      const [previousledger, currentTxHash, nodePubKey, signature] = [0, 1, 2, 3].map((k) => {
        const field = b.bytes.subarray(f, f + b.bytes[at + 8 + k]!);
        f += field.length;
        return field;
      }) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      jobs.push({ kind, proposeSeq: view.getUint32(at), closeTime: view.getUint32(at + 4), previousledger, currentTxHash, nodePubKey, signature });
    }
    at = end;
  }
  return jobs;
}

function notForged(check: () => SignatureCheck): boolean {
  try {
    return check().verdict !== 'invalid';
  } catch {
    return true;
  }
}
