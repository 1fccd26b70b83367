/**
 * The validator monitor on an injected clock, fed validations signed by the harness exactly as
 * rippled signs them, and the recorded rippled 3.1.2 validations.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../src/protocol/codec.js';
import { loadHistory, saveHistory } from '../src/monitor/history.js';
import { validatorMonitorJson, validationStreamJson } from '../src/monitor/reports.js';
import { type LedgerVerdict, ValidatorMonitor, type ValidatorDirectory } from '../src/monitor/validator-monitor.js';
import { decodeValidation, serverVersionText } from '../src/monitor/validation.js';
import { frameVectors, payloadOf } from './support/vectors.js';
import { LedgerChain, RIPPLE_EPOCH, sha512Half, TestKey, TestValidator } from './support/validators.js';

const up = (b: Buffer) => b.toString('hex').toUpperCase();
const AMEND_A = up(sha512Half(Buffer.from('amendment A')));
const AMEND_B = up(sha512Half(Buffer.from('amendment B')));

function directory(vals: TestValidator[], quorum = 4): ValidatorDirectory {
  const byEph = new Map(vals.map((v) => [v.signingKey.hex, v.master.hex]));
  return { masterOf: (k) => byEph.get(k) ?? k, trusted: () => vals.map((v) => v.master.hex), quorum: () => quorum, domain: (m) => (m === vals[0]!.master.hex ? 'example.com' : undefined) };
}

/** Five validators over ledgers 250..270: v3 silent for 255..258, v4 on its own fork for 260..262. */
function run() {
  let nowMs = Date.UTC(2026, 0, 1);
  const vals = Array.from({ length: 5 }, () => new TestValidator(TestKey.random()));
  const m = new ValidatorMonitor({ directory: directory(vals), now: () => nowMs });
  const verdicts: LedgerVerdict[] = [];
  m.on('validatedLedger', (v) => verdicts.push(v));
  const majorities: string[] = [];
  m.on('amendmentMajority', (a) => majorities.push(`${a.amendment.slice(0, 4)}:${a.majority}:${a.votes}/${a.of}`));
  const chain = new LedgerChain(249);
  const hashes = new Map<number, string>();
  const quorumSeqs: number[] = [];
  m.on('quorum', (l) => quorumSeqs.push(l.seq));
  for (let i = 0; i < 21; i++) {
    const l = chain.advance();
    hashes.set(l.seq, up(l.hash));
    nowMs += 4000;
    const t = Math.floor(nowMs / 1000) - RIPPLE_EPOCH;
    vals.forEach((v, idx) => {
      if (idx === 3 && l.seq >= 255 && l.seq <= 258) return;
      const fork = idx === 4 && l.seq >= 260 && l.seq <= 262;
      const fields: Record<string, unknown> = { Flags: 0x80000001, LedgerSequence: l.seq, SigningTime: t, LedgerHash: fork ? up(sha512Half(Buffer.from(`fork ${l.seq}`))) : up(l.hash), ServerVersion: '183B030102C00000' };
      if (l.seq === 255) {
        // Voting ledger: v0..v3 vote for A, v0 and v1 for B; fee votes from v0.
        fields.Amendments = idx <= 3 ? (idx <= 1 ? [AMEND_A, AMEND_B] : [AMEND_A]) : undefined;
        if (!fields.Amendments) delete fields.Amendments;
        if (idx === 0) Object.assign(fields, { BaseFeeDrops: '20', ReserveBaseDrops: '1000000', ReserveIncrementDrops: '200000' });
      }
      m.onValidation(v.validation(fields));
    });
  }
  nowMs += 60_000;
  m.tick();
  return { m, vals, verdicts, hashes, quorumSeqs, majorities, now: () => nowMs };
}

describe('validator monitor', () => {
  it('follows the quorum and reports exactly which ledgers each validator missed or disagreed on', () => {
    const { m, vals, verdicts, hashes, quorumSeqs } = run();
    expect(quorumSeqs).toEqual(Array.from({ length: 21 }, (_, i) => 250 + i));
    expect(m.validated).toMatchObject({ seq: 270, hash: hashes.get(270) });
    expect(verdicts.map((v) => v.seq)).toEqual(quorumSeqs);
    const outcome = (i: number, o: string) => m.outcomes(vals[i]!.master.hex).filter((x) => x.outcome === o).map((x) => x.seq);
    expect(outcome(3, 'missed')).toEqual([255, 256, 257, 258]);
    expect(outcome(4, 'disagreed')).toEqual([260, 261, 262]);
    expect(outcome(4, 'missed')).toEqual([]);
    for (const i of [0, 1, 2]) expect(outcome(i, 'agreed')).toHaveLength(21);
    expect(verdicts.find((v) => v.seq === 256)!.missed).toEqual([vals[3]!.master.n9]);
    expect(verdicts.find((v) => v.seq === 261)!.disagreed).toEqual([vals[4]!.master.n9]);
    const j = validatorMonitorJson(m) as any;
    const row = (i: number) => j.validators.find((r: any) => r.master_key === vals[i]!.master.n9);
    expect(row(3).missed_ledgers).toEqual([255, 256, 257, 258]);
    expect(row(3).agreement.ledgers_256).toEqual({ agreed: 17, total: 21, score: 0.80952 });
    expect(row(4).disagreed_ledgers).toEqual([260, 261, 262]);
    expect(row(4).agreement['1h']).toEqual({ agreed: 18, total: 21, score: 0.85714 });
    expect(row(0)).toMatchObject({ domain: 'example.com', version: '3.1.2', last_ledger_index: 270, agrees_with_validated: true, full_validations: 21, partial_validations: 0 });
    expect(j.validated_ledger).toMatchObject({ ledger_index: 270, ledger_hash: hashes.get(270), quorum: 4 });
  });

  it('agreement drops while a validator is silent and recovers after', () => {
    const { m, vals } = run();
    const rec = m.outcomes(vals[3]!.master.hex);
    const window = (upTo: number) => rec.filter((x) => x.seq <= upTo).slice(-4).filter((x) => x.outcome === 'agreed').length;
    expect(window(254)).toBe(4);
    expect(window(258)).toBe(0);
    expect(window(262)).toBe(4);
  });

  it('does not advance without a quorum, and ignores stale and partial validations', () => {
    let nowMs = Date.UTC(2026, 0, 1);
    const vals = Array.from({ length: 5 }, () => new TestValidator(TestKey.random()));
    const m = new ValidatorMonitor({ directory: directory(vals), now: () => nowMs });
    const t = Math.floor(nowMs / 1000) - RIPPLE_EPOCH;
    const h = up(sha512Half(Buffer.from('L10')));
    for (const v of vals.slice(0, 3)) m.onValidation(v.validation({ Flags: 0x80000001, LedgerSequence: 10, SigningTime: t, LedgerHash: h }));
    expect(m.validated).toBeUndefined();
    // Partial (no vfFullValidation) and stale (signed 10 minutes ago) validations do not count.
    m.onValidation(vals[3]!.validation({ Flags: 0x80000000, LedgerSequence: 10, SigningTime: t, LedgerHash: h }));
    m.onValidation(vals[4]!.validation({ Flags: 0x80000001, LedgerSequence: 10, SigningTime: t - 600, LedgerHash: h }));
    expect(m.validated).toBeUndefined();
    // An untrusted validator does not count either.
    const stranger = new TestValidator(TestKey.random());
    m.onValidation(stranger.validation({ Flags: 0x80000001, LedgerSequence: 10, SigningTime: t, LedgerHash: h }));
    expect(m.validated).toBeUndefined();
    nowMs += 1000;
    m.onValidation(vals[4]!.validation({ Flags: 0x80000001, LedgerSequence: 10, SigningTime: t + 1, LedgerHash: h }));
    expect(m.validated).toMatchObject({ seq: 10, hash: h });
    // An older ledger never replaces it.
    for (const v of vals) m.onValidation(v.validation({ Flags: 0x80000001, LedgerSequence: 9, SigningTime: t + 1, LedgerHash: h }));
    expect(m.validated!.seq).toBe(10);
  });

  it('shows amendment and fee votes of the voting ledger per validator and as UNL shares', () => {
    const { m, vals, majorities } = run();
    const j = validatorMonitorJson(m) as any;
    const row = (i: number) => j.validators.find((r: any) => r.master_key === vals[i]!.master.n9);
    expect(row(0).votes).toEqual({ ledger_index: 255, amendments: [AMEND_A, AMEND_B], fees: { base_fee: '20', reserve_base: '1000000', reserve_inc: '200000' } });
    expect(row(2).votes).toEqual({ ledger_index: 255, amendments: [AMEND_A] });
    expect(row(4).votes).toEqual({ ledger_index: 255, amendments: [] });
    // Five trusted ballots (v3 was silent on 255: four); threshold floor(4 × 0.8) = 3.
    expect(j.amendments).toEqual([
      { amendment: AMEND_A, votes: 3, of: 4, share: 0.75, majority: true },
      { amendment: AMEND_B, votes: 2, of: 4, share: 0.5, majority: false },
    ]);
    expect(majorities).toEqual([`${AMEND_A.slice(0, 4)}:true:3/4`]);
  });

  it('keeps its history in a file across restarts and refuses a damaged one', () => {
    const { m, vals, now } = run();
    const dir = mkdtempSync(join(tmpdir(), 'monitor-'));
    const file = join(dir, 'validator-monitor.json');
    saveHistory(file, m);
    const again = new ValidatorMonitor({ directory: directory(vals), now });
    expect(loadHistory(file, again)).toEqual({ loaded: 5 });
    expect(validatorMonitorJson(again)).toEqual(validatorMonitorJson(m));
    const body = JSON.parse(readFileSync(file, 'utf8'));
    body.validators[0].record.totals.missed = -1;
    writeFileSync(file, JSON.stringify(body));
    const third = new ValidatorMonitor({ directory: directory(vals), now });
    expect(loadHistory(file, third)).toEqual({ loaded: 4, warning: `${file}: 1 validator entries not valid, left out` });
    writeFileSync(file, '{oops');
    expect(loadHistory(file, new ValidatorMonitor({ directory: directory(vals), now })).warning).toMatch(/not valid JSON/);
  });

  it('reads the recorded rippled 3.1.2 validations: their ledgers, keys and the quorum of three', () => {
    const recorded = frameVectors()
      .filter((v) => v.type === 41)
      .sort((a, b) => a.expect.fields.SigningTime - b.expect.fields.SigningTime);
    const keys = ['02BC00C21FB3513E7E8151BEBD290BFD7374CDCF03459857208B28422EE5D5DB67', '026FF83CB2C2669EBEF6890757686F2FE1842A9010C553A918075DF63BC7900030', '021FA3EECC00355E369F13C130ECE0C5A7342ECF170A4A573F7225A1333EA50FF1'];
    const first = recorded[0]!.expect.fields;
    let nowMs = (first.SigningTime + RIPPLE_EPOCH) * 1000;
    const m = new ValidatorMonitor({ directory: { masterOf: (k) => k, trusted: () => keys, quorum: () => 3, domain: () => undefined }, now: () => nowMs });
    const streamed: Record<string, unknown>[] = [];
    m.on('validation', (v) => streamed.push(validationStreamJson(v, 21338)));
    const seen = new Set<number>();
    for (const v of recorded) {
      const raw = (decodeMessage(41, payloadOf(v)) as any).message.validation as Buffer;
      nowMs = (v.expect.fields.SigningTime + RIPPLE_EPOCH) * 1000;
      const d = decodeValidation(raw)!;
      expect(d.signingKey).toBe(v.expect.signing_pub_key_n9);
      expect(d.ledgerSeq).toBe(v.expect.fields.LedgerSequence);
      expect(d.ledgerHash).toBe(v.expect.fields.LedgerHash);
      m.onValidation(raw);
      seen.add(d.ledgerSeq!);
    }
    expect(recorded.length).toBeGreaterThan(3);
    // Every ledger all three validated is the network's validated ledger in turn; the last one recorded here:
    const last = Math.max(...[...seen].filter((s) => recorded.filter((r) => r.expect.fields.LedgerSequence === s).length === 3));
    expect(m.validated!.seq).toBe(last);
    expect(m.validated!.hash).toBe(recorded.find((r) => r.expect.fields.LedgerSequence === last)!.expect.fields.LedgerHash);
    const v255 = recorded.find((r) => r.expect.fields.LedgerSequence === 255)!;
    const s = streamed.find((x) => x.ledger_index === '255' && x.validation_public_key === v255.expect.signing_pub_key_n9)!;
    expect(s).toMatchObject({ type: 'validationReceived', ledger_hash: v255.expect.fields.LedgerHash, full: true, flags: 2147483649, signing_time: v255.expect.fields.SigningTime, server_version: v255.expect.fields.ServerVersion, network_id: 21338, signature: v255.expect.fields.Signature });
    expect(serverVersionText(String(v255.expect.fields.ServerVersion))).toBe('3.1.2');
    expect(s.master_key).toBeUndefined();
  });

  it('keeps memory bounded: at most max_validators followed, tallies within 256 sequences', () => {
    let nowMs = Date.UTC(2026, 0, 1);
    const vals = Array.from({ length: 2 }, () => new TestValidator(TestKey.random()));
    const m = new ValidatorMonitor({ directory: directory(vals, 2), now: () => nowMs, maxValidators: 3 });
    const t = () => Math.floor(nowMs / 1000) - RIPPLE_EPOCH;
    const h = (s: number) => up(sha512Half(Buffer.from(`L${s}`)));
    for (const v of vals) m.onValidation(v.validation({ Flags: 0x80000001, LedgerSequence: 5, SigningTime: t(), LedgerHash: h(5) }));
    // Ten untrusted validators (no manifest known: followed by signing key): only the newest fits beside the two trusted.
    const strangers = Array.from({ length: 10 }, () => new TestValidator(TestKey.random()));
    for (const s of strangers) {
      nowMs += 1000;
      m.onValidation(s.validation({ Flags: 0x80000001, LedgerSequence: 6, SigningTime: t(), LedgerHash: h(6) }));
    }
    expect(m.states().map((s) => s.masterHex).sort()).toEqual([...vals.map((v) => v.master.hex), strangers[9]!.signingKey.hex].sort());
    // A trusted validator sending a thousand different future sequences: the tally keeps 256.
    for (let s = 7; s < 1007; s++) m.onValidation(vals[0]!.validation({ Flags: 0x80000001, LedgerSequence: s, SigningTime: t(), LedgerHash: h(s) }));
    expect(m.tally.size).toBeLessThanOrEqual(256);
    expect(m.validated!.seq).toBe(5);
    // Its per-sequence memory is bounded too (512 recent sequences).
    expect(m.states().find((s) => s.masterHex === vals[0]!.master.hex)!.recent.size).toBe(512);
  });
});
