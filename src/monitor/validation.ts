/**
 * A TMValidation's STValidation read into typed fields: keys as n9 strings, hashes as upper-case hex,
 * 64-bit numbers and XRP amounts as decimal strings, the raw bytes kept. Field meanings are
 * rippled's (STValidation, RCLConsensus::Adaptor::validate, FeeVote, AmendmentTable::doValidation).
 */
import { decode } from 'ripple-binary-codec';
import { encodeNodePublic } from 'ripple-address-codec';

/** vfFullValidation: the validator was fully synced when it validated (rippled: isFull()). */
export const FULL_VALIDATION_FLAG = 0x00000001;
/** Ledgers whose sequence + 1 is a multiple of this are voting ledgers (rippled: isVotingLedger). */
export const FLAG_LEDGER_INTERVAL = 256;

/** True for the ledger before a flag ledger, whose validations carry amendment and fee votes. */
export function isVotingLedger(seq: number): boolean {
  return (seq + 1) % FLAG_LEDGER_INTERVAL === 0;
}

/** Fee votes in drops, from BaseFee/ReserveBase/ReserveIncrement or their XRPFees successors. */
export interface FeeVote {
  baseFee?: string;
  reserveBase?: string;
  reserveIncrement?: string;
}

export interface Validation {
  /** The signing key (ephemeral when the validator has a manifest), n9… and hex. */
  signingKey: string;
  signingKeyHex: string;
  ledgerHash: string;
  /** Absent only from validations of very old servers. */
  ledgerSeq?: number;
  full: boolean;
  flags: number;
  /** NetClock seconds. */
  signingTime: number;
  cookie?: string;
  serverVersion?: string;
  validatedHash?: string;
  consensusHash?: string;
  closeTime?: number;
  loadFee?: number;
  amendments?: string[];
  fees?: FeeVote;
  signature: string;
  raw: Buffer;
}

const u64 = (v: unknown): string | undefined => (typeof v === 'string' && /^[0-9A-Fa-f]{1,16}$/.test(v) ? BigInt(`0x${v}`).toString() : undefined);
const drops = (v: unknown): string | undefined => (typeof v === 'string' && /^\d+$/.test(v) ? v : typeof v === 'number' ? String(v) : undefined);
const hex256 = (v: unknown): string | undefined => (typeof v === 'string' && /^[0-9A-Fa-f]{64}$/.test(v) ? v.toUpperCase() : undefined);

/**
 * Larger validations are not decoded: real ones are a few hundred bytes (a vote for 100 amendments is
 * 3.2 KB), and ripple-binary-codec's decoder copies the rest of the buffer at every field.
 */
export const MAX_DECODED_VALIDATION_BYTES = 16 * 1024;

/** Reads a serialized STValidation; undefined when it is not one (or is over MAX_DECODED_VALIDATION_BYTES). */
export function decodeValidation(raw: Uint8Array): Validation | undefined {
  if (raw.length > MAX_DECODED_VALIDATION_BYTES) return undefined;
  let f: Record<string, unknown>;
  try {
    f = decode(Buffer.from(raw).toString('hex')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const keyHex = typeof f.SigningPubKey === 'string' && /^[0-9A-Fa-f]{66}$/.test(f.SigningPubKey) ? f.SigningPubKey.toUpperCase() : undefined;
  const ledgerHash = hex256(f.LedgerHash);
  if (!keyHex || !ledgerHash || typeof f.Flags !== 'number' || typeof f.SigningTime !== 'number' || typeof f.Signature !== 'string') return undefined;
  const v: Validation = {
    signingKey: encodeNodePublic(Buffer.from(keyHex, 'hex')),
    signingKeyHex: keyHex,
    ledgerHash,
    full: (f.Flags & FULL_VALIDATION_FLAG) !== 0,
    flags: f.Flags >>> 0,
    signingTime: f.SigningTime,
    signature: f.Signature.toUpperCase(),
    raw: Buffer.from(raw),
  };
  if (typeof f.LedgerSequence === 'number') v.ledgerSeq = f.LedgerSequence;
  const cookie = u64(f.Cookie);
  if (cookie) v.cookie = cookie;
  const version = u64(f.ServerVersion);
  if (version) v.serverVersion = version;
  const vh = hex256(f.ValidatedHash);
  if (vh) v.validatedHash = vh;
  const ch = hex256(f.ConsensusHash);
  if (ch) v.consensusHash = ch;
  if (typeof f.CloseTime === 'number') v.closeTime = f.CloseTime;
  if (typeof f.LoadFee === 'number') v.loadFee = f.LoadFee;
  if (Array.isArray(f.Amendments)) v.amendments = f.Amendments.filter((a): a is string => typeof a === 'string').map((a) => a.toUpperCase());
  const fees: FeeVote = {};
  const base = drops(f.BaseFeeDrops) ?? u64(f.BaseFee);
  const reserve = drops(f.ReserveBaseDrops) ?? drops(f.ReserveBase);
  const inc = drops(f.ReserveIncrementDrops) ?? drops(f.ReserveIncrement);
  if (base) fees.baseFee = base;
  if (reserve) fees.reserveBase = reserve;
  if (inc) fees.reserveIncrement = inc;
  if (base || reserve || inc) v.fees = fees;
  return v;
}

/** Human form of rippled's ServerVersion (BuildInfo::encodeSoftwareVersion): "3.1.2", or the number. */
export function serverVersionText(version: string | undefined): string | undefined {
  if (!version) return undefined;
  const n = BigInt(version);
  // Implementation identifier 0x183B in the top 16 bits marks rippled's encoding.
  if (n >> 48n !== 0x183bn) return version;
  const major = Number((n >> 40n) & 0xffn);
  const minor = Number((n >> 32n) & 0xffn);
  const patch = Number((n >> 24n) & 0xffn);
  const rel = Number((n >> 16n) & 0xffn);
  const kind = rel >> 6;
  const num = rel & 0x3f;
  const suffix = kind === 1 ? `-b${num}` : kind === 2 ? `-rc${num}` : '';
  return `${major}.${minor}.${patch}${suffix}`;
}
