/**
 * The monitor's JSON: admin `validator_monitor`, the `validations` stream message with the field
 * names of rippled's NetworkOPs::pubValidation, and server_info's validated_ledger.
 */
import { encodeNodePublic } from 'ripple-address-codec';
import { ratio } from './agreement.js';
import type { MonitoredValidation, ValidatorMonitor } from './validator-monitor.js';
import { serverVersionText } from './validation.js';

const n9 = (hex: string) => encodeNodePublic(Buffer.from(hex, 'hex'));

/** rippled's validations stream message ("validationReceived"). */
export function validationStreamJson(v: MonitoredValidation, networkId?: number): Record<string, unknown> {
  const j: Record<string, unknown> = {
    type: 'validationReceived',
    validation_public_key: v.signingKey,
    ledger_hash: v.ledgerHash,
    signature: v.signature,
    full: v.full,
    flags: v.flags,
    signing_time: v.signingTime,
    data: v.raw.toString('hex').toUpperCase(),
  };
  if (networkId !== undefined) j.network_id = networkId;
  if (v.serverVersion) j.server_version = v.serverVersion;
  if (v.cookie) j.cookie = v.cookie;
  if (v.validatedHash) j.validated_hash = v.validatedHash;
  if (v.masterKey !== v.signingKey) j.master_key = v.masterKey;
  if (v.ledgerSeq !== undefined) j.ledger_index = String(v.ledgerSeq);
  if (v.amendments) j.amendments = v.amendments;
  if (v.closeTime !== undefined) j.close_time = v.closeTime;
  if (v.loadFee !== undefined) j.load_fee = v.loadFee;
  if (v.fees?.baseFee) j.base_fee = Number(v.fees.baseFee);
  if (v.fees?.reserveBase) j.reserve_base = Number(v.fees.reserveBase);
  if (v.fees?.reserveIncrement) j.reserve_inc = Number(v.fees.reserveIncrement);
  return j;
}

/** server_info.validated_ledger: seq, hash and age (we hold no ledger, so no fees or close time). */
export function validatedLedgerJson(m: ValidatorMonitor): Record<string, unknown> | undefined {
  const v = m.validated;
  if (!v) return undefined;
  return { seq: v.seq, hash: v.hash, age: Math.max(0, Math.floor((m.now() - v.at) / 1000)) };
}

/** Admin `validator_monitor`: the validated ledger, each validator, and the amendment shares. */
export function validatorMonitorJson(m: ValidatorMonitor): Record<string, unknown> {
  const now = m.now();
  const dir = m.opts.directory;
  const trusted = new Set(dir.trusted());
  const validated = m.validated;
  const validators = m.states().map((s) => {
    const rec = s.record;
    const j: Record<string, unknown> = { master_key: n9(s.masterHex), trusted: trusted.has(s.masterHex) };
    if (s.signingKey) j.signing_key = s.signingKey;
    const domain = dir.domain(s.masterHex);
    if (domain) j.domain = domain;
    if (s.lastSeq !== undefined) {
      j.last_ledger_index = s.lastSeq;
      j.last_ledger_hash = s.lastHash;
      j.last_full = s.lastFull;
    }
    if (validated && s.lastSeq !== undefined && s.lastSeq >= validated.seq) {
      // Agreement with the network's validated ledger, when it validated that sequence.
      const theirs = s.recent.get(validated.seq);
      if (theirs !== undefined) j.agrees_with_validated = theirs === validated.hash;
    }
    if (s.lastSeenAt !== undefined) j.last_seen_seconds = Math.max(0, Math.floor((now - s.lastSeenAt) / 1000));
    const a = { l256: rec.recent(), h1: rec.hour.counts(now), h24: rec.day.counts(now) };
    j.agreement = {
      ledgers_256: { ...a.l256, score: ratio(a.l256) ?? null },
      '1h': { ...a.h1, score: ratio(a.h1) ?? null },
      '24h': { ...a.h24, score: ratio(a.h24) ?? null },
    };
    j.missed = rec.totals.missed;
    j.disagreed = rec.totals.disagreed;
    j.missed_ledgers = rec.seqs('missed');
    j.disagreed_ledgers = rec.seqs('disagreed');
    j.full_validations = s.full;
    j.partial_validations = s.partial;
    if (s.serverVersion) {
      j.server_version = s.serverVersion;
      j.version = serverVersionText(s.serverVersion);
    }
    if (s.votes) {
      j.votes = { ledger_index: s.votes.ledgerSeq, amendments: s.votes.amendments, ...(s.votes.fees ? { fees: feesJson(s.votes.fees) } : {}) };
    }
    return j;
  });
  validators.sort((x, y) => Number(y.trusted) - Number(x.trusted) || String(x.master_key).localeCompare(String(y.master_key)));
  return {
    validated_ledger: validated ? { ledger_index: validated.seq, ledger_hash: validated.hash, quorum: validated.quorum, validators: validated.validators.map(n9), age: Math.floor((now - validated.at) / 1000) } : null,
    validation_quorum: dir.quorum(),
    trusted_count: trusted.size,
    validators,
    amendments: m.amendmentShares().map((a) => ({ amendment: a.amendment, votes: a.votes, of: a.of, share: a.share, majority: a.majority })),
  };
}

function feesJson(f: { baseFee?: string; reserveBase?: string; reserveIncrement?: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.baseFee) out.base_fee = f.baseFee;
  if (f.reserveBase) out.reserve_base = f.reserveBase;
  if (f.reserveIncrement) out.reserve_inc = f.reserveIncrement;
  return out;
}
