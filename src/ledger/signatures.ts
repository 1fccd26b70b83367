/**
 * Signature checks for relayed transactions, validations and manifests, as rippled makes them before
 * it relays (PeerImp::checkTransaction → checkValidity → STTx::checkSign; PeerImp::checkValidation →
 * STValidation::isValid; OverlayImpl::onManifests → deserializeManifest, Manifest::verify). A peer
 * that relays a transaction or validation failing them is charged feeInvalidSignature by every
 * rippled peer it reaches, so we must not pass such an item on (a manifest that fails costs nothing
 * at rippled: it is just not relayed on, and neither do we relay it).
 *
 * Every answer is one of three:
 * - valid: the signature checks out as rippled would check it;
 * - invalid: we read the item exactly as rippled does and its signature verifiably fails one of
 *   rippled's rules — drop it (and charge the sender, but for a manifest);
 * - unknown: we could not read it exactly, or it uses something we do not check (a key type we do
 *   not know, a pseudo-transaction, an inner batch transaction, counterparty or sponsor
 *   signatures, batch signers) — relay it as before. We never call a message invalid on a guess.
 */
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { verifyDigestSignature } from '../identity/node-key.js';
import { arrayElements, fieldCode, readObject, SerializedType as T, type SerializedField } from './ledger-objects.js';

export type SignatureCheck = { verdict: 'valid' } | { verdict: 'invalid'; reason: string } | { verdict: 'unknown'; reason: string };

const VALID: SignatureCheck = { verdict: 'valid' };
const invalid = (reason: string): SignatureCheck => ({ verdict: 'invalid', reason });
const unknown = (reason: string): SignatureCheck => ({ verdict: 'unknown', reason });

/** rippled's HashPrefix values: 'STX\0', 'SMT\0', 'VAL\0'. */
const PREFIX_TX_SIGN = Buffer.from('53545800', 'hex');
const PREFIX_TX_MULTISIGN = Buffer.from('534d5400', 'hex');
const PREFIX_VALIDATION = Buffer.from('56414c00', 'hex');
/** HashPrefix::manifest, 'MAN\0'. */
const PREFIX_MANIFEST = Buffer.from('4d414e00', 'hex');

const F = {
  TransactionType: fieldCode(T.UINT16, 2),
  Flags: fieldCode(T.UINT32, 2),
  LedgerSequence: fieldCode(T.UINT32, 6),
  SigningTime: fieldCode(T.UINT32, 9),
  LedgerHash: fieldCode(T.UINT256, 1),
  SigningPubKey: fieldCode(T.VL, 3),
  TxnSignature: fieldCode(T.VL, 4),
  Signature: fieldCode(T.VL, 6),
  Account: fieldCode(T.ACCOUNT, 1),
  Delegate: fieldCode(T.ACCOUNT, 12),
  Signer: fieldCode(T.OBJECT, 16),
  Signers: fieldCode(T.ARRAY, 3),
  Sequence: fieldCode(T.UINT32, 4),
  Version: fieldCode(T.UINT16, 16),
  PublicKey: fieldCode(T.VL, 1),
  Domain: fieldCode(T.VL, 7),
  MasterSignature: fieldCode(T.VL, 18),
} as const;

/** rippled's kTxMinSizeBytes: anything shorter does not deserialize. */
const TX_MIN_BYTES = 32;
/** ttAMENDMENT, ttFEE, ttUNL_MODIFY: rippled never checks their (absent) signatures. */
const PSEUDO_TX_TYPES = new Set([100, 101, 102]);
/** tfInnerBatchTxn: rippled refuses such a transaction from a peer before any signature check. */
const TF_INNER_BATCH_TXN = 0x40000000;
/** vfFullyCanonicalSig: the validation's signature must be low-S. */
const VF_FULLY_CANONICAL_SIG = 0x80000000;
/** STTx::kMinMultiSigners / kMaxMultiSigners (32 since ExpandedSignerList). */
const MIN_MULTI_SIGNERS = 1;
const MAX_MULTI_SIGNERS = 32;

/** secp256k1 group order n, and n / 2 (the largest fully canonical S). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP256K1_HALF_N = SECP256K1_N >> 1n;
/** The ed25519 group order L. */
const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n;
/** DER SubjectPublicKeyInfo head for a raw 32-byte ed25519 key. */
const ED25519_SPKI_HEAD = Buffer.from('302a300506032b6570032100', 'hex');

type KeyType = 'secp256k1' | 'ed25519';

/** rippled's publicKeyType. */
function keyType(key: Uint8Array): KeyType | undefined {
  if (key.length !== 33) return undefined;
  if (key[0] === 0xed) return 'ed25519';
  if (key[0] === 0x02 || key[0] === 0x03) return 'secp256k1';
  return undefined;
}

function sha512Half(parts: readonly Uint8Array[]): Buffer {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest().subarray(0, 32);
}

/** S of a DER signature that verifyDigestSignature has accepted (so strictly encoded). */
function derS(sig: Uint8Array): bigint {
  const rLength = sig[3]!;
  const sLength = sig[5 + rLength]!;
  const s = sig.subarray(6 + rLength, 6 + rLength + sLength);
  return BigInt(`0x${Buffer.from(s).toString('hex')}`);
}

/**
 * rippled's verify(publicKey, message, signature, mustBeFullyCanonical): secp256k1 over
 * SHA-512Half(message), strict DER, high S accepted only when full canonicality is not required;
 * ed25519 over the message itself, S below the group order. Undefined for a key of no known type.
 */
export function verifyMessage(key: Uint8Array, message: readonly Uint8Array[], sig: Uint8Array, fullyCanonical: boolean): boolean | undefined {
  const type = keyType(key);
  if (type === 'secp256k1') {
    if (!verifyDigestSignature(key, sha512Half(message), sig)) return false;
    return !fullyCanonical || derS(sig) <= SECP256K1_HALF_N;
  }
  if (type === 'ed25519') {
    if (sig.length !== 64) return false;
    const s = BigInt(`0x${Buffer.from(sig.subarray(32)).reverse().toString('hex')}`);
    if (s >= ED25519_L) return false;
    try {
      const publicKey = createPublicKey({ key: Buffer.concat([ED25519_SPKI_HEAD, key.subarray(1)]), format: 'der', type: 'spki' });
      return cryptoVerify(null, Buffer.concat(message), publicKey, sig);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function fieldMap(fields: readonly SerializedField[]): Map<number, SerializedField> {
  return new Map(fields.map((f) => [f.code, f]));
}

function valueOf(bytes: Uint8Array, f: SerializedField): Uint8Array {
  return bytes.subarray(f.valueStart, f.end);
}

function uint(bytes: Uint8Array, f: SerializedField | undefined): number | undefined {
  if (!f) return undefined;
  let n = 0;
  for (let i = f.valueStart; i < f.end; i++) n = n * 256 + bytes[i]!;
  return n;
}

/** The fields rippled signs, in place: a signed object is already in canonical order (readObject). */
function signedParts(bytes: Uint8Array, fields: readonly SerializedField[]): Uint8Array[] {
  return fields.filter((f) => f.signing).map((f) => bytes.subarray(f.start, f.end));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** STTx::checkSign for a transaction relayed to us, with rippled's pre-checks in PeerImp. */
export function checkTransactionSignature(raw: Uint8Array): SignatureCheck {
  if (raw.length < TX_MIN_BYTES) return unknown('too short to be a transaction');
  const read = readObject(raw);
  if (!read.ok) return unknown(read.reason);
  const fields = fieldMap(read.fields);
  const txType = uint(raw, fields.get(F.TransactionType));
  if (txType === undefined) return unknown('no TransactionType');
  if (PSEUDO_TX_TYPES.has(txType)) return unknown('pseudo-transaction');
  if ((uint(raw, fields.get(F.Flags)) ?? 0) & TF_INNER_BATCH_TXN) return unknown('inner batch transaction');
  const signingPubKey = fields.get(F.SigningPubKey);
  const account = fields.get(F.Account);
  if (!signingPubKey || !account) return unknown('no SigningPubKey or Account');
  const others = read.fields.filter((f) => !f.signing && f.code !== F.TxnSignature && f.code !== F.Signers);

  const parts = signedParts(raw, read.fields);
  const key = valueOf(raw, signingPubKey);
  const signers = fields.get(F.Signers);
  const txnSignature = fields.get(F.TxnSignature);
  let main: SignatureCheck;
  if (key.length > 0) {
    if (signers) return invalid('both single- and multi-signed');
    // Since RequireFullyCanonicalSig (2020; unconditional from rippled 3.2) every transaction
    // signature must be fully canonical, whatever tfFullyCanonicalSig says.
    const ok = verifyMessage(key, [PREFIX_TX_SIGN, ...parts], txnSignature ? valueOf(raw, txnSignature) : new Uint8Array(0), true);
    main = ok === undefined ? unknown('signing key of unknown type') : ok ? VALID : invalid('signature does not match');
  } else {
    if (!signers) return invalid('no signature: empty SigningPubKey and no Signers');
    if (txnSignature) return invalid('both single- and multi-signed');
    main = checkMultiSign(raw, parts, signers, valueOf(raw, account), fields.get(F.Delegate));
  }
  if (main.verdict !== 'valid') return main;
  if (others.length > 0) return unknown(`${others.map((f) => f.name).join(', ')} not checked`);
  return VALID;
}

/** STTx::checkMultiSign: each signer signs 'SMT\0' ‖ the signed fields ‖ its own account. */
function checkMultiSign(raw: Uint8Array, parts: Uint8Array[], signersField: SerializedField, account: Uint8Array, delegate: SerializedField | undefined): SignatureCheck {
  const signers = arrayElements(raw, signersField);
  if (signers.length < MIN_MULTI_SIGNERS || signers.length > MAX_MULTI_SIGNERS) return invalid(`${signers.length} signers`);
  const delegateAccount = delegate ? valueOf(raw, delegate) : undefined;
  let last: Uint8Array = new Uint8Array(20);
  let doubt: string | undefined;
  for (const signer of signers) {
    const f = fieldMap(signer.fields);
    const signerAccount = f.get(F.Account);
    const key = f.get(F.SigningPubKey);
    const sig = f.get(F.TxnSignature);
    // rippled's Signer template: exactly these three fields.
    if (signer.code !== F.Signer || !signerAccount || !key || !sig || signer.fields.length !== 3) return unknown('Signers entry not a plain Signer');
    const id = valueOf(raw, signerAccount);
    if (delegateAccount) {
      // Which account may not sign for itself moved from Account to Delegate between versions.
      if (compareBytes(id, account) === 0 || compareBytes(id, delegateAccount) === 0) doubt ??= 'signer is the account or its delegate';
    } else if (compareBytes(id, account) === 0) {
      return invalid('the account signs for itself');
    }
    const order = compareBytes(last, id);
    if (order === 0) return invalid('duplicate signer');
    if (order > 0) return invalid('signers not sorted');
    last = id;
    const ok = verifyMessage(valueOf(raw, key), [PREFIX_TX_MULTISIGN, ...parts, id], valueOf(raw, sig), true);
    if (ok === false) return invalid('a signer’s signature does not match');
    if (ok === undefined) doubt ??= 'signer key of unknown type';
  }
  return doubt ? unknown(doubt) : VALID;
}

/** STValidation::isValid for a validation relayed to us (rippled refuses to parse any other key type). */
export function checkValidationSignature(raw: Uint8Array): SignatureCheck {
  const read = readObject(raw);
  if (!read.ok) return unknown(read.reason);
  const fields = fieldMap(read.fields);
  for (const code of [F.Flags, F.LedgerHash, F.LedgerSequence, F.SigningTime, F.SigningPubKey, F.Signature]) {
    if (!fields.has(code)) return unknown('a required validation field is missing');
  }
  if (read.fields.some((f) => !f.signing && f.code !== F.Signature)) return unknown('unexpected unsigned field');
  const key = valueOf(raw, fields.get(F.SigningPubKey)!);
  if (keyType(key) !== 'secp256k1') return unknown('validation key not secp256k1');
  const fullyCanonical = ((uint(raw, fields.get(F.Flags)) ?? 0) & VF_FULLY_CANONICAL_SIG) !== 0;
  const ok = verifyMessage(key, [PREFIX_VALIDATION, ...signedParts(raw, read.fields)], valueOf(raw, fields.get(F.Signature)!), fullyCanonical);
  return ok ? VALID : invalid('signature does not match');
}

/** The fields of rippled's manifest format (deserializeManifest's template); any other is refused there. */
const MANIFEST_FIELDS = new Set<number>([F.PublicKey, F.MasterSignature, F.Sequence, F.Version, F.Domain, F.SigningPubKey, F.Signature]);
/** A manifest with this sequence revokes its master key, and carries no ephemeral key. */
const MANIFEST_REVOKED = 0xffffffff;

/**
 * A manifest's signatures as rippled checks them before it accepts (and so relays) one
 * (deserializeManifest, then Manifest::verify): the ephemeral key's sfSignature (not on a revocation)
 * and the master key's sfMasterSignature, both over 'MAN\0' and every field but those two, both
 * fully canonical. Invalid only when one of them verifiably fails on a manifest rippled would read;
 * a manifest rippled refuses for another reason (its template, its version, a missing or unknown
 * key) is unknown here, since that is not a signature we can judge.
 */
export function checkManifestSignature(raw: Uint8Array): SignatureCheck {
  if (raw.length === 0) return unknown('empty manifest');
  const read = readObject(raw);
  if (!read.ok) return unknown(read.reason);
  const other = read.fields.find((f) => !MANIFEST_FIELDS.has(f.code));
  if (other) return unknown(`${other.name} is not a manifest field`);
  const fields = fieldMap(read.fields);
  const publicKey = fields.get(F.PublicKey);
  const masterSignature = fields.get(F.MasterSignature);
  const sequence = uint(raw, fields.get(F.Sequence));
  if (!publicKey || !masterSignature || sequence === undefined) return unknown('a required manifest field is missing');
  if ((uint(raw, fields.get(F.Version)) ?? 0) !== 0) return unknown('manifest version not 0');
  const masterKey = valueOf(raw, publicKey);
  if (!keyType(masterKey)) return unknown('master key of unknown type');
  const signingPubKey = fields.get(F.SigningPubKey);
  const signature = fields.get(F.Signature);
  const parts = [PREFIX_MANIFEST, ...signedParts(raw, read.fields)];
  if (sequence === MANIFEST_REVOKED) {
    if (signingPubKey || signature) return unknown('revocation with an ephemeral key or signature');
  } else {
    if (!signingPubKey || !signature) return unknown('no ephemeral key or signature');
    const ephemeralKey = valueOf(raw, signingPubKey);
    if (!keyType(ephemeralKey)) return unknown('ephemeral key of unknown type');
    if (compareBytes(ephemeralKey, masterKey) === 0 && ephemeralKey.length === masterKey.length) return unknown('ephemeral key is the master key');
    const ok = verifyMessage(ephemeralKey, parts, valueOf(raw, signature), true);
    if (ok === undefined) return unknown('ephemeral key not usable');
    if (!ok) return invalid('ephemeral signature does not match');
  }
  const ok = verifyMessage(masterKey, parts, valueOf(raw, masterSignature), true);
  if (ok === undefined) return unknown('master key not usable');
  return ok ? VALID : invalid('master signature does not match');
}
