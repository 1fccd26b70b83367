/**
 * A validator harness for tests: keys, manifests, publisher lists, and proposals and validations
 * signed exactly as rippled formats them (STObject field order from ripple-binary-codec, rippled's
 * signing prefixes, secp256k1 with RFC 6979 nonces, low S). Later issues reuse it.
 *
 * - TestKey: a secp256k1 key from a seed (rippled's validation_create derivation) or random.
 * - TestValidator: a master key with a manifest naming an ephemeral key, or a plain validation seed.
 * - TestPublisher: a master key, its manifest, and signed validator lists (v1 and v2 forms).
 */
import { createHash } from 'node:crypto';
import { encode } from 'ripple-binary-codec';
import { encodeNodePublic } from 'ripple-address-codec';
import { NodeIdentity, nodeIdentityFromSeed } from '../../src/identity/node-key.js';
import type { TMProposeSet } from '../../src/protocol/messages.js';

/** Seconds between the Unix epoch and rippled's NetClock epoch (2000-01-01). */
export const RIPPLE_EPOCH = 946_684_800;
export const netNow = (): number => Math.floor(Date.now() / 1000) - RIPPLE_EPOCH;

const PREFIX = {
  manifest: Buffer.from('4d414e00', 'hex'),
  validation: Buffer.from('56414c00', 'hex'),
  proposal: Buffer.from('50525000', 'hex'),
};

export function sha512Half(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest().subarray(0, 32);
}

export class TestKey {
  private constructor(private readonly id: NodeIdentity) {}
  static random(): TestKey {
    return new TestKey(NodeIdentity.generate());
  }
  /** rippled's validation_create / [validation_seed] key (the root key of a family seed). */
  static fromSeed(seed: string): TestKey {
    return new TestKey(nodeIdentityFromSeed(seed));
  }
  get publicKey(): Buffer {
    return this.id.publicKey;
  }
  get hex(): string {
    return this.id.publicKey.toString('hex').toUpperCase();
  }
  get n9(): string {
    return encodeNodePublic(this.id.publicKey);
  }
  /** rippled's sign(): DER over SHA-512Half(message), RFC 6979, low S. */
  sign(...message: Uint8Array[]): Buffer {
    return this.id.sign(sha512Half(...message));
  }
}

const up = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

/** A manifest (sequence 0xFFFFFFFF and no ephemeral key for a revocation). */
export function makeManifest(o: { master: TestKey; ephemeral?: TestKey; sequence: number; domain?: string; forgeMaster?: boolean }): Buffer {
  const fields: Record<string, unknown> = { PublicKey: o.master.hex, Sequence: o.sequence };
  if (o.ephemeral) fields.SigningPubKey = o.ephemeral.hex;
  if (o.domain) fields.Domain = Buffer.from(o.domain).toString('hex').toUpperCase();
  const signed = Buffer.from(encode(fields as never), 'hex');
  if (o.ephemeral) fields.Signature = up(o.ephemeral.sign(PREFIX.manifest, signed));
  const masterSig = o.master.sign(PREFIX.manifest, signed);
  if (o.forgeMaster) masterSig[masterSig.length - 1] ^= 1;
  fields.MasterSignature = up(masterSig);
  return Buffer.from(encode(fields as never), 'hex');
}

export class TestValidator {
  sequence = 1;
  readonly ephemeral: TestKey;
  manifest?: Buffer;
  constructor(
    readonly master: TestKey,
    withManifest = true,
  ) {
    this.ephemeral = withManifest ? TestKey.random() : master;
    if (withManifest) this.manifest = makeManifest({ master, ephemeral: this.ephemeral, sequence: this.sequence });
  }
  static fromSeed(seed: string): TestValidator {
    return new TestValidator(TestKey.fromSeed(seed), false);
  }
  /** The key that signs validations and proposals. */
  get signingKey(): TestKey {
    return this.ephemeral;
  }
  revocation(): Buffer {
    return makeManifest({ master: this.master, sequence: 0xffffffff });
  }

  /**
   * An STValidation: `fields` in binary-codec JSON (Flags, LedgerSequence, SigningTime, LedgerHash,
   * …, without SigningPubKey and Signature); signed over 'VAL\0' and every signing field.
   */
  validation(fields: Record<string, unknown>): Buffer {
    const json: Record<string, unknown> = { ...fields, SigningPubKey: this.signingKey.hex };
    const signed = Buffer.from(encode(json as never), 'hex');
    json.Signature = up(this.signingKey.sign(PREFIX.validation, signed));
    return Buffer.from(encode(json as never), 'hex');
  }

  /** A TMProposeSet signed as rippled's ConsensusProposal::signingHash. */
  proposal(p: { proposeSeq: number; closeTime: number; previousLedger: Buffer; txSet: Buffer }): TMProposeSet {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(p.proposeSeq >>> 0, 0);
    head.writeUInt32BE(p.closeTime >>> 0, 4);
    const signature = this.signingKey.sign(PREFIX.proposal, head, p.previousLedger, p.txSet);
    return {
      proposeSeq: p.proposeSeq,
      currentTxHash: p.txSet,
      previousledger: p.previousLedger,
      closeTime: p.closeTime,
      nodePubKey: this.signingKey.publicKey,
      signature,
    } as TMProposeSet;
  }
}

/** A simulated ledger chain: each ledger's hash from its parent and sequence. */
export class LedgerChain {
  seq: number;
  hash: Buffer;
  constructor(start = 2) {
    this.seq = start;
    this.hash = sha512Half(Buffer.from(`ledger ${start}`));
  }
  advance(): { seq: number; hash: Buffer; parent: Buffer } {
    const parent = this.hash;
    this.seq++;
    this.hash = sha512Half(parent, Buffer.from(String(this.seq)));
    return { seq: this.seq, hash: this.hash, parent };
  }
  /** A full validation of the current ledger, fields as rippled 3.x sends them (flags vfFullValidation|vfFullyCanonicalSig). */
  validationBy(v: TestValidator, signingTime: number): Buffer {
    return v.validation({ Flags: 0x80000001, LedgerSequence: this.seq, SigningTime: signingTime, LedgerHash: up(this.hash) });
  }
}

export interface ListEntry {
  validator: TestValidator | TestKey;
}

export class TestPublisher {
  readonly master = TestKey.random();
  ephemeral = TestKey.random();
  manifestSequence = 1;
  manifest: Buffer;
  constructor() {
    this.manifest = makeManifest({ master: this.master, ephemeral: this.ephemeral, sequence: this.manifestSequence });
  }
  get keyHex(): string {
    return this.master.hex;
  }
  get manifestB64(): string {
    return this.manifest.toString('base64');
  }
  /** A new ephemeral key at the next manifest sequence. */
  rotate(): void {
    this.ephemeral = TestKey.random();
    this.manifestSequence++;
    this.manifest = makeManifest({ master: this.master, ephemeral: this.ephemeral, sequence: this.manifestSequence });
  }

  /** One signed blob: { blob (base64), signature (hex) }. `signer` forges it with another key. */
  blob(o: { sequence: number; expiration: number; effective?: number; validators: (TestValidator | TestKey)[]; signer?: TestKey }): { blob: string; signature: string } {
    const body: Record<string, unknown> = {
      sequence: o.sequence,
      expiration: o.expiration,
      validators: o.validators.map((v) => {
        const key = v instanceof TestValidator ? v.master : v;
        const entry: Record<string, string> = { validation_public_key: key.hex };
        if (v instanceof TestValidator && v.manifest) entry.manifest = v.manifest.toString('base64');
        return entry;
      }),
    };
    if (o.effective !== undefined) body.effective = o.effective;
    const data = Buffer.from(JSON.stringify(body));
    const signature = (o.signer ?? this.ephemeral).sign(data).toString('hex').toUpperCase();
    return { blob: data.toString('base64'), signature };
  }

  /** The site file rippled serves and fetches: version 1. */
  siteV1(b: { blob: string; signature: string }, refreshMinutes?: number): object {
    const out: Record<string, unknown> = { public_key: this.keyHex, manifest: this.manifestB64, blob: b.blob, signature: b.signature, version: 1 };
    if (refreshMinutes !== undefined) out.refresh_interval = refreshMinutes;
    return out;
  }
}
