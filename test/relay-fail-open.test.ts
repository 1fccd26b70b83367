/** A fault in the signature readers must never drop a genuine item: the relay check fails open. */
import { describe, expect, it, vi } from 'vitest';

vi.mock('../src/ledger/signatures.js', () => {
  const boom = () => {
    throw new RangeError('a reader bug');
  };
  return { checkTransactionSignature: boom, checkValidationSignature: boom, checkManifestSignature: boom };
});

const { checkRelayItem } = await import('../src/relay/relay-checks.js');
const { MessageType } = await import('../src/protocol/message-types.js');

describe('relay checks when a reader throws', () => {
  it('relay the transaction, the validation and the manifest list as they came', () => {
    // Well-formed objects (a UINT32 field, then a VL of filler): only the signature readers throw.
    const object = (size: number) => Buffer.concat([Buffer.from('2200000001', 'hex'), Buffer.from([0x73, size - 7]), Buffer.alloc(size - 7, 1)]);
    const tx = checkRelayItem({ name: 'TRANSACTION', type: MessageType.TRANSACTION, message: { rawTransaction: object(150), status: 1 } }, Buffer.alloc(0));
    expect(tx.ok && tx.verify?.()).toBe(true);
    const val = checkRelayItem({ name: 'VALIDATION', type: MessageType.VALIDATION, message: { validation: object(150) } }, Buffer.alloc(0));
    expect(val.ok && val.verify?.()).toBe(true);
    const payload = Buffer.from('as received');
    const man = checkRelayItem({ name: 'MANIFESTS', type: MessageType.MANIFESTS, message: { list: [{ stobject: object(10) }] } }, payload);
    const kept = man.ok ? man.filter?.() : undefined;
    expect(kept).toEqual({ payload, dropped: 0 });
  });
});
