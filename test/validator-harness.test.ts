/**
 * Proof that the validator harness (test/support/validators.ts) signs exactly as rippled does: from
 * the recorded validators' seeds (vectors README, section 1) and the fields of each recorded
 * validation and proposal, it reproduces rippled's bytes, signatures included (RFC 6979 nonces).
 */
import { decode } from 'ripple-binary-codec';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../src/protocol/codec.js';
import { frameVectors } from './support/vectors.js';
import { TestValidator } from './support/validators.js';

/** v1, v2, v3's [validation_seed] (vectors README, table in section 1). */
const SEEDS: Record<string, string> = {
  n9KyJ9zEr7mVLuPiWNcad3mEJSE95Fe58Pr7CzhBovBH2LFk11cj: 'ss94qpiu1QufMNcf97x9zJM4B5tNa',
  n9KPozNH3yTY19Ld7CZ49WKkhviQbShQChxoYHKXLqYuyLbj7oSi: 'shMNcUjZBfXVGZSM4xeFHdj7H52fN',
  n9J8SnmXRqpuMCtSPGhdssJgPU51CG5cocbBLTca4DzJu4HW3fnN: 'shAq6Cgz73D4VhAFwJKqQgdocN49v',
};
const validators = new Map(Object.entries(SEEDS).map(([n9, seed]) => [n9, TestValidator.fromSeed(seed)]));

function payloadOf(f: ReturnType<typeof frameVectors>[number]): Buffer {
  return Buffer.from(f.uncompressed_payload_hex ?? f.payload_hex, 'hex');
}

describe('validator harness reproduces rippled 3.1.2 bytes', () => {
  it('derives the recorded validation keys from the seeds', () => {
    for (const [n9, v] of validators) expect(v.signingKey.n9).toBe(n9);
  });

  it('re-signs every recorded validation to the same bytes', () => {
    const frames = frameVectors().filter((f) => f.name === 'validation' && f.direction === 'received');
    expect(frames.length).toBeGreaterThan(20);
    const seen = new Set<string>();
    for (const f of frames) {
      const msg = decodeMessage(f.type, payloadOf(f));
      if (msg.name !== 'VALIDATION') throw new Error('not a validation');
      const recorded = msg.message.validation;
      const json = decode(recorded.toString('hex')) as Record<string, unknown>;
      const v = validators.get(keyN9(json.SigningPubKey as string))!;
      expect(v).toBeDefined();
      const { Signature: _s, SigningPubKey: _k, ...fields } = json;
      expect(v.validation(fields).toString('hex')).toBe(recorded.toString('hex'));
      seen.add(json.SigningPubKey as string);
    }
    expect(seen.size).toBeGreaterThanOrEqual(2);
  });

  it('re-signs every recorded proposal to the same TMProposeSet bytes', () => {
    const frames = frameVectors().filter((f) => f.name === 'propose_ledger' && f.direction === 'received');
    expect(frames.length).toBeGreaterThanOrEqual(10);
    for (const f of frames) {
      const msg = decodeMessage(f.type, payloadOf(f));
      if (msg.name !== 'PROPOSE_LEDGER') throw new Error('not a proposal');
      const p = msg.message;
      const v = validators.get(keyN9(p.nodePubKey.toString('hex')))!;
      const mine = v.proposal({ proposeSeq: p.proposeSeq, closeTime: p.closeTime, previousLedger: p.previousledger, txSet: p.currentTxHash });
      expect(mine.signature.toString('hex')).toBe(p.signature.toString('hex'));
      const rest = { ...p, ...mine };
      expect(encodeMessage('PROPOSE_LEDGER', rest).toString('hex')).toBe(payloadOf(f).toString('hex'));
    }
  });
});

function keyN9(hex: string): string {
  for (const [n9, v] of validators) if (v.signingKey.hex === hex.toUpperCase()) return n9;
  return '';
}
