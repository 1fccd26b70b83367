/**
 * The cost of the checks relay makes before passing an item on, per item, over the proposals,
 * transactions and validations recorded from rippled 3.1.2 (test/fixtures/vectors, copied from shared/vectors). The baseline, in
 * the same run, is one bare secp256k1 verification of a 32-byte digest: what rippled itself pays
 * for each of these at the least.
 */
import { readFileSync } from 'node:fs';
import secp256k1 from 'secp256k1';
import { checkRelayItem, verifyProposalSignature } from '../src/relay/relay-checks.js';
import { checkTransactionSignature, checkValidationSignature } from '../src/ledger/signatures.js';
import { decodeMessage, type PeerMessage } from '../src/protocol/codec.js';
import { MessageType } from '../src/protocol/message-types.js';
import type { BenchOptions, BenchResult } from './types.js';

const VECTORS = new URL('../test/fixtures/vectors/rippled-3.1.2-frames.jsonl', import.meta.url);
const ROUNDS = 200;
const QUICK_ROUNDS = 10;

function recorded(type: number): PeerMessage[] {
  return readFileSync(VECTORS, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { type: number; compressed: boolean; payload_hex: string; uncompressed_payload_hex?: string })
    .filter((v) => v.type === type)
    .map((v) => decodeMessage(v.type, Buffer.from(v.compressed ? v.uncompressed_payload_hex! : v.payload_hex, 'hex')));
}

/** Microseconds per call of `fn` over `items`, median of rounds. */
function perItemMicros<T>(items: T[], fn: (item: T) => unknown, rounds: number): number {
  for (const item of items) fn(item); // warm-up
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (const item of items) fn(item);
    times.push(((performance.now() - t0) * 1000) / items.length);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const round = (x: number) => Math.round(x * 10) / 10;

export async function benchRelay(opts: BenchOptions): Promise<BenchResult[]> {
  const rounds = opts.quick ? QUICK_ROUNDS : ROUNDS;
  // Baseline: a bare verification with a fixed key, digest and signature.
  const priv = Buffer.alloc(32, 7);
  const pub = secp256k1.publicKeyCreate(priv);
  const digest = Buffer.alloc(32, 9);
  const sig = secp256k1.ecdsaSign(digest, priv).signature;
  const bare = perItemMicros([0], () => secp256k1.ecdsaVerify(sig, digest, pub), rounds);
  const baseline = `one secp256k1 verify ${round(bare)} µs`;

  const proposals = recorded(MessageType.PROPOSE_LEDGER).map((m) => (m.name === 'PROPOSE_LEDGER' ? m.message : undefined)!);
  const txs = recorded(MessageType.TRANSACTION).map((m) => (m.name === 'TRANSACTION' ? m.message.rawTransaction : undefined)!);
  const vals = recorded(MessageType.VALIDATION).map((m) => (m.name === 'VALIDATION' ? m.message.validation : undefined)!);
  for (const p of proposals) if (!verifyProposalSignature(p)) throw new Error('a recorded proposal did not verify');
  for (const t of txs) if (checkTransactionSignature(t).verdict !== 'valid') throw new Error('a recorded transaction did not verify');
  for (const v of vals) if (checkValidationSignature(v).verdict !== 'valid') throw new Error('a recorded validation did not verify');

  const rows: [string, number][] = [
    [`relay check, proposal (${proposals.length} recorded)`, perItemMicros(proposals, (p) => {
      const c = checkRelayItem({ name: 'PROPOSE_LEDGER', type: MessageType.PROPOSE_LEDGER, message: p }, Buffer.alloc(0));
      return c.ok && c.verify?.();
    }, rounds)],
    [`relay check, transaction (${txs.length} recorded)`, perItemMicros(txs, (t) => checkTransactionSignature(t), rounds)],
    [`relay check, validation (${vals.length} recorded)`, perItemMicros(vals, (v) => checkValidationSignature(v), rounds)],
  ];
  return rows.map(([name, micros]) => ({ name, value: round(micros), unit: 'µs', baseline, ratio: round(micros / bare) }));
}
