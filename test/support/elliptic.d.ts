// Minimal typings for the parts of `elliptic` (6.x) used by the independent test peer.
declare module 'elliptic' {
  namespace elliptic {
    interface BN {
      toString(base?: number, length?: number): string;
      toArray(endian?: 'be' | 'le', length?: number): number[];
      cmp(other: BN): number;
      cmpn(n: number): number;
      isZero(): boolean;
    }
    interface Signature {
      r: BN;
      s: BN;
      recoveryParam: number | null;
      toDER(): number[];
      toDER(enc: 'hex'): string;
    }
    type Bytes = string | number[] | Uint8Array;
    interface KeyPair {
      getPublic(compact: boolean, enc: 'hex'): string;
      getPublic(enc: 'hex'): string;
      getPrivate(enc: 'hex'): string;
      getPrivate(): BN;
      sign(msg: Bytes, options?: { canonical?: boolean }): Signature;
      validate(): { result: boolean; reason: string | null };
    }
    class ec {
      constructor(curve: string);
      n: BN;
      nh: BN;
      genKeyPair(): KeyPair;
      keyFromPrivate(priv: Bytes, enc?: 'hex'): KeyPair;
      keyFromPublic(pub: Bytes, enc?: 'hex'): KeyPair;
      sign(msg: Bytes, key: KeyPair, options?: { canonical?: boolean }): Signature;
      verify(msg: Bytes, signature: Bytes | { r: string | BN; s: string | BN }, key: KeyPair | Bytes, enc?: 'hex'): boolean;
    }
  }
  export = elliptic;
}
