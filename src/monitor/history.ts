/**
 * The monitor's history file (validator-monitor.json in the data directory): the validated ledger,
 * each validator's record and the amendment shares, written atomically and checked field by field
 * on load (a bad entry is left out, a bad file is reported and ignored).
 */
import type { ValidatorsHub } from '../validators/hub.js';
import { readJsonState, writeJsonAtomic } from '../identity/state-file.js';
import { AgreementRecord, type LedgerOutcome } from './agreement.js';
import type { AmendmentShare, ValidatorDirectory, ValidatorMonitor, Votes } from './validator-monitor.js';

export const HISTORY_FILE = 'validator-monitor.json';
const VERSION = 1;

const isHex = (v: unknown, len?: number): v is string => typeof v === 'string' && /^[0-9A-F]+$/.test(v) && (len === undefined || v.length === len);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isBuckets = (v: unknown, n: number): boolean =>
  Array.isArray(v) && v.length === n && v.every((b) => b && Number.isSafeInteger(b.slot) && isCount(b.agreed) && isCount(b.total));
const OUTCOMES = new Set(['agreed', 'disagreed', 'missed']);

export function saveHistory(file: string, m: ValidatorMonitor): void {
  const v = m.validated;
  writeJsonAtomic(file, {
    version: VERSION,
    saved_at: m.now(),
    validated: v ?? null,
    amendments: m.amendmentShares(),
    validators: m.states().map((s) => ({
      master: s.masterHex,
      signing_key: s.signingKey,
      recent: [...s.recent.entries()],
      last_seq: s.lastSeq,
      last_hash: s.lastHash,
      last_full: s.lastFull,
      last_seen_at: s.lastSeenAt,
      server_version: s.serverVersion,
      full: s.full,
      partial: s.partial,
      votes: s.votes,
      record: s.record.toJSON(),
    })),
  });
  m.dirty = false;
}

/** Loads the file into the monitor: how many validators came back, and what was wrong, if anything. */
export function loadHistory(file: string, m: ValidatorMonitor): { loaded: number; warning?: string } {
  let body: any;
  try {
    body = readJsonState<any>(file, undefined, (v) => v);
  } catch (err) {
    return { loaded: 0, warning: (err as Error).message };
  }
  if (body === undefined) return { loaded: 0 };
  if (!body || body.version !== VERSION || !Array.isArray(body.validators)) return { loaded: 0, warning: `${file}: not a validator monitor history (version ${VERSION})` };
  const v = body.validated;
  if (v && isCount(v.seq) && isHex(v.hash, 64) && isCount(v.at) && Array.isArray(v.validators) && v.validators.every((k: unknown) => isHex(k, 66)) && isCount(v.quorum)) {
    m.tally.restore({ seq: v.seq, hash: v.hash, at: v.at, validators: v.validators, quorum: v.quorum });
  }
  let loaded = 0;
  let bad = 0;
  for (const e of body.validators) {
    const r = e?.record;
    const ok =
      isHex(e?.master, 66) &&
      isCount(e.full) &&
      isCount(e.partial) &&
      (e.last_seq === undefined || isCount(e.last_seq)) &&
      (e.last_hash === undefined || isHex(e.last_hash, 64)) &&
      (e.last_seen_at === undefined || isCount(e.last_seen_at)) &&
      (e.server_version === undefined || /^\d+$/.test(e.server_version)) &&
      (e.signing_key === undefined || (typeof e.signing_key === 'string' && /^n9[1-9A-HJ-NP-Za-km-z]{40,60}$/.test(e.signing_key))) &&
      (e.recent === undefined || (Array.isArray(e.recent) && e.recent.length <= 512 && e.recent.every((x: unknown) => Array.isArray(x) && isCount(x[0]) && isHex(x[1], 64)))) &&
      r &&
      Array.isArray(r.ledgers) &&
      r.ledgers.every((l: LedgerOutcome) => isCount(l?.seq) && OUTCOMES.has(l.outcome)) &&
      isBuckets(r.hour, 60) &&
      isBuckets(r.day, 24) &&
      isCount(r.totals?.agreed) &&
      isCount(r.totals?.disagreed) &&
      isCount(r.totals?.missed) &&
      (e.votes === undefined || (isCount(e.votes.ledgerSeq) && Array.isArray(e.votes.amendments) && e.votes.amendments.every((a: unknown) => isHex(a, 64))));
    if (!ok) {
      bad++;
      continue;
    }
    m.restoreState({
      masterHex: e.master,
      ...(e.signing_key !== undefined && { signingKey: e.signing_key }),
      recent: new Map<number, string>(e.recent ?? []),
      ...(e.last_seq !== undefined && { lastSeq: e.last_seq, lastHash: e.last_hash, lastFull: !!e.last_full }),
      ...(e.last_seen_at !== undefined && { lastSeenAt: e.last_seen_at }),
      ...(e.server_version !== undefined && { serverVersion: e.server_version }),
      full: e.full,
      partial: e.partial,
      record: new AgreementRecord(r),
      ...(e.votes !== undefined && { votes: e.votes as Votes }),
    });
    loaded++;
  }
  if (Array.isArray(body.amendments)) {
    const shares = body.amendments.filter((a: AmendmentShare) => isHex(a?.amendment, 64) && isCount(a.votes) && isCount(a.of) && typeof a.share === 'number' && typeof a.majority === 'boolean');
    m.restoreShares(shares);
  }
  return bad ? { loaded, warning: `${file}: ${bad} validator entries not valid, left out` } : { loaded };
}

/** The validators hub as the monitor's directory of keys, trust, quorum and domains. */
export function hubDirectory(hub: ValidatorsHub): ValidatorDirectory {
  return {
    masterOf: (k) => hub.manifests.getMasterKey(Buffer.from(k, 'hex')).toString('hex').toUpperCase(),
    trusted: () => hub.list.trustedMasterKeys().map((k) => k.toString('hex').toUpperCase()),
    quorum: () => hub.list.quorum,
    domain: (m) => hub.manifests.get(Buffer.from(m, 'hex'))?.domain || undefined,
  };
}
