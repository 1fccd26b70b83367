/** Signature helpers shared by the relay signature tests. */
import secp256k1 from 'secp256k1';

/** The order of secp256k1's group. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The same DER signature with S replaced by n − S: canonical, but not fully canonical. */
export function highS(der: Uint8Array): Buffer {
  const compact = secp256k1.signatureImport(der);
  const r = BigInt(`0x${Buffer.from(compact.subarray(0, 32)).toString('hex')}`);
  const s = BigInt(`0x${Buffer.from(compact.subarray(32)).toString('hex')}`);
  const int = (v: bigint) => {
    let b = Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
    while (b.length > 1 && b[0] === 0 && !(b[1]! & 0x80)) b = b.subarray(1);
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([0x02, b.length]), b]);
  };
  const body = Buffer.concat([int(r), int(SECP256K1_N - s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}
