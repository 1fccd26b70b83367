/** Single-signed test transactions (AccountSet), signed as rippled signs them: SHA-512Half of 'STX\0' and the signing fields. */
import { createHash } from 'node:crypto';
import { encode, encodeForSigning } from 'ripple-binary-codec';
import { encodeAccountID } from 'ripple-address-codec';
import type { TestKey } from './validators.js';

export function accountOf(key: TestKey): string {
  const sha = createHash('sha256').update(key.publicKey).digest();
  return encodeAccountID(createHash('ripemd160').update(sha).digest());
}

/** An AccountSet from `key`'s account with this sequence, signed. */
export function signedTransaction(key: TestKey, sequence: number): Buffer {
  const tx: Record<string, unknown> = {
    TransactionType: 'AccountSet',
    Account: accountOf(key),
    Fee: '12',
    Sequence: sequence,
    Flags: 0,
    SigningPubKey: key.hex,
  };
  const signing = Buffer.from(encodeForSigning(tx as never), 'hex');
  tx.TxnSignature = key.sign(signing).toString('hex').toUpperCase();
  return Buffer.from(encode(tx as never), 'hex');
}

/** signedTransaction(key, sequence) with its Sequence changed after signing: readable, and its signature verifiably bad. */
export function forgedTransaction(key: TestKey, sequence: number): Buffer {
  const tx = signedTransaction(key, sequence);
  const field = Buffer.alloc(5);
  field[0] = 0x24; // sfSequence: UInt32 (2), field 4
  field.writeUInt32BE(sequence, 1);
  const at = tx.indexOf(field);
  if (at < 0) throw new Error('no Sequence field');
  tx[at + 4]! ^= 0x80;
  return tx;
}
