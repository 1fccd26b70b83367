/**
 * One manifest, read and checked as rippled's deserializeManifest and Manifest::verify do: a master
 * key naming an ephemeral signing key at a sequence (or, at sequence 0xFFFFFFFF, revoking the master
 * key), an optional domain, signed by both keys over 'MAN\0' and the signed fields.
 *
 * Reading uses the relay layer's strict STObject reader and its signature check (leaf modules of
 * src/overlay that import nothing above the identity layer), so a manifest is judged the same way
 * whether it is being relayed or learned.
 */
import { fieldCode, readObject, SerializedType as T, type SerializedField } from '../ledger/ledger-objects.js';
import { checkManifestSignature } from '../ledger/signatures.js';
import { isPublicKeyType } from '../config/validators.js';

/** The sequence of a revocation. */
export const REVOKED_SEQUENCE = 0xffffffff;

export interface Manifest {
  /** The serialized manifest, as received. */
  raw: Buffer;
  masterKey: Buffer;
  /** Absent on a revocation. */
  signingKey?: Buffer;
  sequence: number;
  /** Empty when the manifest names none. */
  domain: string;
}

export function isRevoked(m: Manifest): boolean {
  return m.sequence === REVOKED_SEQUENCE;
}

const F = {
  Sequence: fieldCode(T.UINT32, 4),
  Version: fieldCode(T.UINT16, 16),
  PublicKey: fieldCode(T.VL, 1),
  SigningPubKey: fieldCode(T.VL, 3),
  Signature: fieldCode(T.VL, 6),
  Domain: fieldCode(T.VL, 7),
  MasterSignature: fieldCode(T.VL, 18),
} as const;
const TEMPLATE = new Set<number>(Object.values(F));

export type ManifestRead = { ok: true; manifest: Manifest } | { ok: false; reason: string };

/** deserializeManifest: the manifest's fields, or why rippled would not read it (signatures not checked). */
export function parseManifest(raw: Uint8Array): ManifestRead {
  const no = (reason: string): ManifestRead => ({ ok: false, reason });
  if (raw.length === 0) return no('empty');
  const read = readObject(raw);
  if (!read.ok) return no(read.reason);
  const byCode = new Map<number, SerializedField>(read.fields.map((f) => [f.code, f]));
  const other = read.fields.find((f) => !TEMPLATE.has(f.code));
  if (other) return no(`${other.name} is not a manifest field`);
  const value = (code: number) => {
    const f = byCode.get(code);
    return f ? Buffer.from(raw.subarray(f.valueStart, f.end)) : undefined;
  };
  const masterKey = value(F.PublicKey);
  const seqBytes = value(F.Sequence);
  if (!masterKey || !value(F.MasterSignature) || !seqBytes) return no('a required field is missing');
  const version = value(F.Version);
  if (version && version.readUInt16BE(0) !== 0) return no('version not 0');
  if (!isPublicKeyType(masterKey)) return no('master key of unknown type');
  const sequence = seqBytes.readUInt32BE(0);
  let domain = '';
  const d = value(F.Domain);
  if (d) {
    domain = d.toString('latin1');
    if (!isProperlyFormedTomlDomain(domain)) return no('malformed domain');
  }
  const signingKey = value(F.SigningPubKey);
  const signature = value(F.Signature);
  const manifest: Manifest = { raw: Buffer.from(raw), masterKey, sequence, domain };
  if (sequence === REVOKED_SEQUENCE) {
    if (signingKey || signature) return no('revocation with an ephemeral key or signature');
  } else {
    if (!signingKey || !signature) return no('no ephemeral key or signature');
    if (!isPublicKeyType(signingKey)) return no('ephemeral key of unknown type');
    if (signingKey.equals(masterKey)) return no('ephemeral key is the master key');
    manifest.signingKey = signingKey;
  }
  return { ok: true, manifest };
}

/** Manifest::verify: the ephemeral signature (unless revoked) and the master signature. */
export function verifyManifest(m: Manifest): boolean {
  return checkManifestSignature(m.raw).verdict === 'valid';
}

/** rippled's isProperlyFormedTomlDomain: 4 to 128 characters, dot-separated labels, an alphabetic TLD. */
export function isProperlyFormedTomlDomain(domain: string): boolean {
  if (domain.length < 4 || domain.length > 128) return false;
  return /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/.test(domain);
}
