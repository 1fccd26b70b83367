/**
 * The node's long-lived secp256k1 identity: the key behind the `Public-Key` and `Session-Signature`
 * handshake headers (PROTOCOL.md §1.2–1.3).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import secp256k1 from 'secp256k1';
import * as addressCodec from 'ripple-address-codec';
import { readStateText, writeFileAtomic } from './state-file.js';

const SECRET_KEY_BYTES = 32;
const PUBLIC_KEY_BYTES = 33;
const DIGEST_BYTES = 32;
const ED25519_PREFIX = 0xed;
export const KEY_FILE_NAME = 'node-key.json';

/** secp256k1 group order n. */
const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

// Filled in by NodeIdentity's static block: lets this module (and only this module) read the secret.
let readSecret: (identity: NodeIdentity) => Uint8Array;

export class NodeIdentity {
  readonly publicKey: Buffer;
  readonly n9: string;
  // An ES private field: not enumerable, not shown by util.inspect, not serialised by JSON.stringify.
  readonly #secret: Uint8Array;

  static {
    readSecret = (identity) => identity.#secret;
  }

  private constructor(secret: Uint8Array) {
    this.#secret = Uint8Array.from(secret);
    this.publicKey = Buffer.from(secp256k1.publicKeyCreate(this.#secret, true));
    this.n9 = encodeNodePublic(this.publicKey);
  }

  static fromSecret(secret: Uint8Array): NodeIdentity {
    if (!(secret instanceof Uint8Array) || secret.length !== SECRET_KEY_BYTES) {
      throw new Error(`A node secret key must be ${SECRET_KEY_BYTES} bytes`);
    }
    if (!secp256k1.privateKeyVerify(secret)) {
      throw new Error('Invalid secp256k1 secret key (zero or not below the curve order)');
    }
    return new NodeIdentity(secret);
  }

  static generate(): NodeIdentity {
    for (;;) {
      const candidate = randomBytes(SECRET_KEY_BYTES);
      if (secp256k1.privateKeyVerify(candidate)) return new NodeIdentity(candidate);
    }
  }

  /** ECDSA over a 32-byte digest as given (no further hashing); DER, low-S. */
  sign(digest32: Uint8Array): Buffer {
    if (!(digest32 instanceof Uint8Array) || digest32.length !== DIGEST_BYTES) {
      throw new Error(`sign() needs a ${DIGEST_BYTES}-byte digest`);
    }
    const { signature } = secp256k1.ecdsaSign(digest32, this.#secret);
    // libsecp256k1 already produces low-S; normalising again is cheap and makes the guarantee local.
    return Buffer.from(secp256k1.signatureExport(secp256k1.signatureNormalize(signature)));
  }

  toJSON(): { n9: string } {
    return { n9: this.n9 };
  }

  toString(): string {
    return `NodeIdentity(${this.n9})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

// ---------------------------------------------------------------------------------------------
// [node_seed]: family seed → secp256k1 root key

function sha512Half(data: Uint8Array): Buffer {
  return createHash('sha512').update(data).digest().subarray(0, 32);
}

/**
 * rippled's root key for a 16-byte seed: SHA-512-half(seed ‖ seq u32be) for seq = 0, 1, … until the
 * result is a valid secret key (rippled gives up after 128 tries).
 */
function deriveRootSecret(seedEntropy: Uint8Array): Buffer {
  const buffer = Buffer.alloc(seedEntropy.length + 4);
  buffer.set(seedEntropy, 0);
  for (let seq = 0; seq < 128; seq++) {
    buffer.writeUInt32BE(seq, seedEntropy.length);
    const candidate = sha512Half(buffer);
    if (secp256k1.privateKeyVerify(candidate)) {
      buffer.fill(0);
      return candidate;
    }
  }
  throw new Error('Unable to derive a secret key from the node seed');
}

/**
 * The node key for rippled's `[node_seed]` (a base58 secp256k1 family seed, "s…"). This is the
 * root key (validation_create's validation_public_key), not the account key wallet_propose shows.
 */
export function nodeIdentityFromSeed(seed: string): NodeIdentity {
  let decoded: ReturnType<typeof addressCodec.decodeSeed>;
  try {
    decoded = addressCodec.decodeSeed(seed.trim());
  } catch {
    // Never echo the seed itself: it is a secret.
    throw new Error('Invalid node seed: not a base58 family seed');
  }
  if (decoded.type !== 'secp256k1') {
    throw new Error('Invalid node seed: only secp256k1 family seeds ("s…") are supported');
  }
  const secret = deriveRootSecret(decoded.bytes);
  try {
    return NodeIdentity.fromSecret(secret);
  } finally {
    secret.fill(0);
  }
}

// ---------------------------------------------------------------------------------------------
// n9… public keys

function isSecp256k1PublicKey(key: Uint8Array): boolean {
  return (
    key instanceof Uint8Array &&
    key.length === PUBLIC_KEY_BYTES &&
    (key[0] === 0x02 || key[0] === 0x03) &&
    secp256k1.publicKeyVerify(key)
  );
}

export function encodeNodePublic(key: Uint8Array): string {
  if (!isSecp256k1PublicKey(key)) {
    throw new Error('Not a 33-byte compressed secp256k1 public key');
  }
  return addressCodec.encodeNodePublic(key);
}

/**
 * Parses an n9… node public key. The error messages are the handshake's 400 reasons:
 * "Bad node public key" or "Unsupported public key type" (ed25519).
 */
export function decodeNodePublic(n9: string): Buffer {
  let bytes: Uint8Array;
  try {
    bytes = addressCodec.decodeNodePublic(n9);
  } catch (cause) {
    throw new Error('Bad node public key', { cause });
  }
  if (bytes.length === PUBLIC_KEY_BYTES && bytes[0] === ED25519_PREFIX) {
    throw new Error('Unsupported public key type');
  }
  if (!isSecp256k1PublicKey(bytes)) {
    throw new Error('Bad node public key');
  }
  return Buffer.from(bytes);
}

// ---------------------------------------------------------------------------------------------
// Signature verification

/** Reads one strictly encoded positive DER INTEGER (at most 33 bytes) starting at `offset`. */
function readStrictDerInteger(
  der: Uint8Array,
  offset: number,
): { value: bigint; next: number } | undefined {
  if (der.length - offset < 3 || der[offset] !== 0x02) return undefined;
  const length = der[offset + 1]!;
  const start = offset + 2;
  if (length < 1 || length > 33 || start + length > der.length) return undefined;
  const first = der[start]!;
  if (first & 0x80) return undefined; // negative
  if (first === 0x00) {
    if (length === 1) return undefined; // zero
    if ((der[start + 1]! & 0x80) === 0) return undefined; // superfluous leading zero
  }
  const hex = Buffer.from(der.subarray(start, start + length)).toString('hex');
  return { value: BigInt(`0x${hex}`), next: start + length };
}

/**
 * Strict DER `SEQUENCE { INTEGER r, INTEGER s }` with 0 < r, s < n → 64-byte compact (r ‖ s),
 * or undefined if the encoding is not canonical.
 */
function parseStrictDerSignature(der: Uint8Array): Uint8Array | undefined {
  if (der.length < 8 || der.length > 72) return undefined;
  if (der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const r = readStrictDerInteger(der, 2);
  if (!r) return undefined;
  const s = readStrictDerInteger(der, r.next);
  if (!s || s.next !== der.length) return undefined;
  if (r.value >= CURVE_ORDER || s.value >= CURVE_ORDER) return undefined;
  return Buffer.from(r.value.toString(16).padStart(64, '0') + s.value.toString(16).padStart(64, '0'), 'hex');
}

/** Keys seen lately, uncompressed: the same validators and accounts sign again and again. */
const parsedKeys = new Map<string, Uint8Array>();
const PARSED_KEYS_MAX = 4096;

/**
 * The key as libsecp256k1 reads it fastest: a compressed key costs a square root at every verify
 * (about 8 of some 50 µs), so each key is decompressed once. Throws for a point not on the curve.
 */
function uncompressed(publicKey: Uint8Array): Uint8Array {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('latin1');
  let key = parsedKeys.get(id);
  if (!key) {
    key = secp256k1.publicKeyConvert(publicKey, false);
    if (parsedKeys.size >= PARSED_KEYS_MAX) parsedKeys.clear(); // bounded; refilled by the keys in use
    parsedKeys.set(id, key);
  }
  return key;
}

/**
 * Verifies a DER signature over a 32-byte digest like rippled's handshake does: strict DER required,
 * high-S accepted (normalised first, since libsecp256k1 rejects it). Never throws.
 */
export function verifyDigestSignature(
  publicKey: Uint8Array,
  digest32: Uint8Array,
  derSig: Uint8Array,
): boolean {
  try {
    // The key is parsed (decompressed) once, then kept: a point off the curve makes the parse throw,
    // which is a false here.
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES || (publicKey[0] !== 0x02 && publicKey[0] !== 0x03)) return false;
    if (!(digest32 instanceof Uint8Array) || digest32.length !== DIGEST_BYTES) return false;
    if (!(derSig instanceof Uint8Array)) return false;
    const compact = parseStrictDerSignature(derSig);
    if (!compact) return false;
    return secp256k1.ecdsaVerify(secp256k1.signatureNormalize(compact), digest32, uncompressed(publicKey));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Persistence

interface KeyFile {
  key_type: 'secp256k1';
  public_key: string;
  secret_key: string;
}

function parseKeyFile(file: string, text: string): NodeIdentity {
  const corrupt = (why: string): Error => new Error(`Corrupt node key file ${file}: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt('not valid JSON');
  }
  const record = parsed as Partial<KeyFile> | null;
  if (typeof record !== 'object' || record === null) throw corrupt('not a JSON object');
  if (typeof record.secret_key !== 'string' || !/^[0-9a-fA-F]{64}$/.test(record.secret_key)) {
    throw corrupt('secret_key must be 64 hex digits');
  }
  let identity: NodeIdentity;
  try {
    identity = NodeIdentity.fromSecret(Buffer.from(record.secret_key, 'hex'));
  } catch (error) {
    throw corrupt((error as Error).message);
  }
  if (record.public_key !== undefined && record.public_key !== identity.n9) {
    throw corrupt('public_key does not match secret_key');
  }
  return identity;
}

function serialiseKeyFile(identity: NodeIdentity): string {
  const record: KeyFile = {
    key_type: 'secp256k1',
    public_key: identity.n9,
    secret_key: Buffer.from(readSecret(identity)).toString('hex'),
  };
  return `${JSON.stringify(record, null, 2)}\n`;
}

/**
 * The node identity: from `seed` (rippled's `[node_seed]`, nothing written) if given, else from
 * `<dataDir>/node-key.json`, creating that file with a fresh key on first start.
 */
export function loadOrCreateNodeIdentity(dataDir: string, seed?: string): NodeIdentity {
  if (seed !== undefined) return nodeIdentityFromSeed(seed);

  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, KEY_FILE_NAME);
  let existing: string | undefined;
  try {
    existing = readStateText(file);
  } catch (error) {
    throw new Error(`Cannot read node key file ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (existing !== undefined) return parseKeyFile(file, existing);

  const identity = NodeIdentity.generate();
  writeFileAtomic(file, serialiseKeyFile(identity));
  return identity;
}
