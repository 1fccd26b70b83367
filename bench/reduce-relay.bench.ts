/**
 * Bytes relayed per unique item on a loopback network of our nodes, with validator squelching and
 * transaction reduce-relay off and then on: 20 nodes, each with 16 peers (a circulant mesh), five
 * harness validators sending validations (each from its own node) and transactions from their
 * accounts. Both features are set together; each is measured on its own messages (validations and
 * TMSquelch; transactions, TMHaveTransactions and the requests and answers for transactions), which
 * the other does not touch. Squelching is measured after a warm-up long enough for the sources to be
 * chosen (rippled counts 20 messages per peer first); the warm-up is reported separately.
 */
import type { Daemon } from '../src/daemon.js';
import { MessageType } from '../src/protocol/message-types.js';
import { transactionId } from '../src/reduce-relay/tx-relay.js';
import { stopAllNodes, waitFor } from '../test/support/nodes.js';
import { bytesSent, startMesh } from '../test/support/mesh.js';
import { signedTransaction } from '../test/support/transactions.js';
import { LedgerChain, netNow, sha512Half, TestKey, TestValidator } from '../test/support/validators.js';
import type { BenchOptions, BenchResult } from './types.js';

const NET = '127.0.114';
const NODES = 20;
const K = 8; // 16 peers each
const VALIDATORS = 5;
const WARMUP_ROUNDS = 24;
const MEASURED_ROUNDS = 30;
const TXS = 60;
const VAL_TYPES = [MessageType.VALIDATION, MessageType.SQUELCH];
const TX_TYPES = [MessageType.TRANSACTION, MessageType.HAVE_TRANSACTIONS, MessageType.GET_OBJECTS, MessageType.TRANSACTIONS];

interface Measured {
  warmupPerValidation: number;
  perValidation: number;
  perTransaction: number;
  squelchesSent: number;
}

async function measure(first: number, on: boolean): Promise<Measured> {
  const flag = on ? 1 : 0;
  const nodes = await startMesh({
    net: NET,
    first,
    count: NODES,
    k: K,
    extra: `[reduce_relay]\nvp_base_squelch_enable = ${flag}\ntx_enable = ${flag}\ntx_min_peers = 10\ntx_relay_percentage = 25`,
    overlay: ['reduce_relay_wait_on_bootup = 0', 'tx_queue_interval = 0.05'],
    timeoutMs: 180_000,
  });
  try {
    const seen = new Map<Daemon, Set<string>>(nodes.map((n) => [n, new Set<string>()]));
    for (const n of nodes) {
      n.overlay.on('message', (_p, m) => {
        const s = seen.get(n)!;
        if (m.name === 'VALIDATION') s.add(sha512Half(m.message.validation).toString('hex'));
        else if (m.name === 'TRANSACTION') s.add(transactionId(m.message.rawTransaction));
        else if (m.name === 'TRANSACTIONS') for (const t of m.message.transactions) s.add(transactionId(t.rawTransaction));
      });
    }
    const validators = Array.from({ length: VALIDATORS }, () => new TestValidator(TestKey.random()));
    const home = (i: number) => nodes[(i * Math.floor(NODES / VALIDATORS)) % NODES]!;
    const chain = new LedgerChain(1000);
    const round = async () => {
      chain.advance();
      const ids: string[] = [];
      validators.forEach((v, i) => {
        const validation = chain.validationBy(v, netNow());
        const id = sha512Half(validation).toString('hex');
        ids.push(id);
        seen.get(home(i))!.add(id);
        for (const p of home(i).overlay.peers()) p.send('VALIDATION', { validation });
      });
      await waitFor('a round of validations everywhere', () => nodes.every((n) => ids.every((id) => seen.get(n)!.has(id))), 30_000, 5);
    };
    const v0 = bytesSent(nodes, VAL_TYPES);
    for (let r = 0; r < WARMUP_ROUNDS; r++) await round();
    await new Promise((r) => setTimeout(r, 200)); // let the last copies and squelches land
    const v1 = bytesSent(nodes, VAL_TYPES);
    for (let r = 0; r < MEASURED_ROUNDS; r++) await round();
    await new Promise((r) => setTimeout(r, 200));
    const v2 = bytesSent(nodes, VAL_TYPES);

    const t0 = bytesSent(nodes, TX_TYPES);
    for (let i = 0; i < TXS; i++) {
      const raw = signedTransaction(validators[i % VALIDATORS]!.master, Math.floor(i / VALIDATORS) + 1);
      const id = transactionId(raw);
      const origin = nodes[(i * 7) % NODES]!;
      seen.get(origin)!.add(id);
      for (const p of origin.overlay.peers()) p.send('TRANSACTION', { rawTransaction: raw, status: 1 });
      await waitFor('a transaction everywhere', () => nodes.every((n) => seen.get(n)!.has(id)), 30_000, 5);
    }
    await new Promise((r) => setTimeout(r, 300)); // the last queued hashes go out and are answered
    const t1 = bytesSent(nodes, TX_TYPES);
    const squelchesSent = nodes.reduce((s, n) => s + n.overlay.vpRelay.counts.sent, 0);
    return {
      warmupPerValidation: (v1 - v0) / (WARMUP_ROUNDS * VALIDATORS),
      perValidation: (v2 - v1) / (MEASURED_ROUNDS * VALIDATORS),
      perTransaction: (t1 - t0) / TXS,
      squelchesSent,
    };
  } finally {
    await stopAllNodes();
  }
}

export async function benchReduceRelay(_opts?: BenchOptions): Promise<BenchResult[]> {
  const off = await measure(100, false);
  const on = await measure(140, true);
  const net = `${NODES} nodes × ${2 * K} peers`;
  const r = (x: number) => Math.round(x);
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  return [
    { name: `bytes relayed per validation, squelch off (${net}, ${VALIDATORS} validators, ${MEASURED_ROUNDS} rounds)`, value: r(off.perValidation), unit: 'B' },
    {
      name: `bytes relayed per validation, squelch on (after ${WARMUP_ROUNDS} warm-up rounds; ${on.squelchesSent} TMSquelch sent)`,
      value: r(on.perValidation),
      unit: 'B',
      baseline: `squelch off ${r(off.perValidation)} B`,
      ratio: ratio(on.perValidation, off.perValidation),
    },
    {
      name: `bytes relayed per validation during the warm-up, squelch on`,
      value: r(on.warmupPerValidation),
      unit: 'B',
      baseline: `squelch off ${r(off.warmupPerValidation)} B`,
      ratio: ratio(on.warmupPerValidation, off.warmupPerValidation),
    },
    { name: `bytes relayed per transaction, tx reduce-relay off (${net}, ${TXS} transactions)`, value: r(off.perTransaction), unit: 'B' },
    {
      name: `bytes relayed per transaction, tx reduce-relay on (tx_min_peers 10, tx_relay_percentage 25)`,
      value: r(on.perTransaction),
      unit: 'B',
      baseline: `off ${r(off.perTransaction)} B`,
      ratio: ratio(on.perTransaction, off.perTransaction),
    },
  ];
}
