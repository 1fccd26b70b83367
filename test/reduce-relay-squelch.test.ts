/**
 * Validator squelching on real sockets (127.0.114.0/24, addresses .1–.49 of it). A hub H relays
 * validations from a sender leaf to listener leaves; leaves reach each other only through H.
 * Validations are made and signed by the validator harness (test/support/validators.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Daemon } from '../src/daemon.js';
import type { PeerMessage } from '../src/protocol/codec.js';
import { runCommand } from '../src/admin/handlers.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';
import { LedgerChain, netNow, TestKey, TestValidator } from './support/validators.js';

afterEach(() => {
  vi.restoreAllMocks();
  return stopAllNodes();
});

const NET = '127.0.114';
const SQUELCH_ON = '[reduce_relay]\nvp_base_squelch_enable = 1\nvp_base_squelch_max_selected_peers = 3';
/** No wait on boot-up: the test network is settled as soon as every peer is connected. */
const NO_WAIT = ['reduce_relay_wait_on_bootup = 0'];

interface Net {
  hub: Daemon;
  leaves: Daemon[];
  heard: Map<Daemon, PeerMessage[]>;
}

async function star(first: number, leaves: number, opts: { hubSquelch: boolean; leafSquelch: boolean }): Promise<Net> {
  const HUB = `${NET}.${first}`;
  const hub = await startNode({ ip: HUB, extra: opts.hubSquelch ? SQUELCH_ON : '', overlay: NO_WAIT });
  const all: Daemon[] = [];
  for (let i = 1; i <= leaves; i++) {
    all.push(
      await startNode({
        ip: `${NET}.${first + i}`,
        extra: `[peer_private]\n1\n[ips_fixed]\n${HUB} ${PEER_PORT}\n${opts.leafSquelch ? SQUELCH_ON : ''}`,
        overlay: NO_WAIT,
      }),
    );
  }
  // Generous: up to 20 TLS handshakes on a loaded 2-core machine.
  await waitFor('every leaf connected to the hub', () => hub.overlay.peers().length === leaves && all.every((d) => d.overlay.peers().length === 1), 30_000);
  const heard = new Map<Daemon, PeerMessage[]>();
  for (const d of all) {
    const log: PeerMessage[] = [];
    heard.set(d, log);
    d.overlay.on('message', (_p, m) => log.push(m));
  }
  return { hub, leaves: all, heard };
}

const validationsOf = (log: PeerMessage[] | undefined, v: TestValidator) =>
  (log ?? []).filter((m) => m.name === 'VALIDATION' && m.message.validation.includes(v.signingKey.publicKey)).length;

let pingSeq = 7000;
/** A ping answered by H proves that everything H relayed before it has arrived. */
async function settle(n: Net, leaves: Daemon[]): Promise<void> {
  const seq = ++pingSeq;
  for (const d of leaves) d.overlay.peers()[0]!.send('PING', { type: 0, seq });
  await waitFor('pongs back', () => leaves.every((d) => n.heard.get(d)!.some((m) => m.name === 'PING' && m.message.type === 1 && m.message.seq === seq)));
}

describe('a squelch from a peer (TMSquelch) on the wire', () => {
  it('stops the hub relaying that validator to that peer for the duration, others unaffected, and resumes after', async () => {
    const n = await star(1, 3, { hubSquelch: true, leafSquelch: true });
    const [sender, quiet, other] = n.leaves as [Daemon, Daemon, Daemon];
    expect(n.hub.overlay.peers().every((p) => p.info.features.vpReduceRelay)).toBe(true);
    const v = new TestValidator(TestKey.random());
    const w = new TestValidator(TestKey.random());
    const chain = new LedgerChain(500);
    const sendBoth = () => {
      chain.advance();
      for (const x of [v, w]) sender.overlay.peers()[0]!.send('VALIDATION', { validation: chain.validationBy(x, netNow()) });
    };
    sendBoth();
    await waitFor('first round heard', () => validationsOf(n.heard.get(quiet), v) === 1 && validationsOf(n.heard.get(other), v) === 1);

    quiet.overlay.peers()[0]!.send('SQUELCH', { squelch: true, validatorPubKey: v.signingKey.publicKey, squelchDuration: 300 });
    await settle(n, [quiet]); // the squelch is in before the next validations
    sendBoth();
    await waitFor('second round at the other leaf', () => validationsOf(n.heard.get(other), v) === 2 && validationsOf(n.heard.get(other), w) === 2);
    await waitFor('w still reaches the squelching leaf', () => validationsOf(n.heard.get(quiet), w) === 2);
    await settle(n, [quiet]);
    expect(validationsOf(n.heard.get(quiet), v)).toBe(1);
    expect(n.hub.overlay.vpRelay.counts.suppressed).toBe(1);
    // rippled's traffic categories: one squelch in, one relay suppressed by it (get_counts and /metrics).
    expect(n.hub.overlay.traffic.get('squelch').messagesIn).toBe(1);
    expect(n.hub.overlay.traffic.get('squelch_suppressed').messagesOut).toBe(1);
    const counts = runCommand({ overlay: n.hub.overlay } as never, 'get_counts', {}, { transport: 'http' });
    expect(counts.squelch_Messages_In).toBe('1');
    expect(counts.squelch_suppressed_Messages_Out).toBe('1');
    expect(counts.validations_Messages_In).toBe('4'); // two rounds of v and w from the sender
    expect(counts.uptime).toMatch(/^\d+ (second|minute)/);

    // 300 s later (the hub's clock moved on; performance.now is its reduce-relay clock) the squelch has ended.
    const real = performance.now.bind(performance);
    vi.spyOn(performance, 'now').mockImplementation(() => real() + 300_001);
    sendBoth();
    await waitFor('v reaches the squelching leaf again', () => validationsOf(n.heard.get(quiet), v) === 2);
    expect(validationsOf(n.heard.get(other), v)).toBe(3);
  });

  it('an unsquelch lifts it at once; a duration outside [300, 3600] s is refused and charged as invalid data', async () => {
    const n = await star(11, 2, { hubSquelch: true, leafSquelch: true });
    const [sender, quiet] = n.leaves as [Daemon, Daemon];
    const v = new TestValidator(TestKey.random());
    const chain = new LedgerChain(900);
    const send = () => {
      chain.advance();
      sender.overlay.peers()[0]!.send('VALIDATION', { validation: chain.validationBy(v, netNow()) });
    };
    const toHub = quiet.overlay.peers()[0]!;
    const atHub = n.hub.overlay.peers().find((p) => p.info.n9 === quiet.identity.n9)!;
    const charge = vi.spyOn(atHub, 'charge');
    toHub.send('SQUELCH', { squelch: true, validatorPubKey: v.signingKey.publicKey, squelchDuration: 3600 });
    await settle(n, [quiet]);
    send();
    await settle(n, [sender, quiet]);
    expect(validationsOf(n.heard.get(quiet), v)).toBe(0);
    toHub.send('SQUELCH', { squelch: false, validatorPubKey: v.signingKey.publicKey });
    await settle(n, [quiet]);
    send();
    await waitFor('relayed again after the unsquelch', () => validationsOf(n.heard.get(quiet), v) === 1);
    // 299 s: out of bounds. Refused (nothing squelched) and charged rippled's feeInvalidData (400).
    toHub.send('SQUELCH', { squelch: true, validatorPubKey: v.signingKey.publicKey, squelchDuration: 299 });
    await waitFor('charged for the duration', () => charge.mock.calls.some((c) => c[1] === 'squelch duration'));
    expect(charge.mock.calls.find((c) => c[1] === 'squelch duration')![0].cost).toBe(400);
    send();
    await waitFor('still relayed', () => validationsOf(n.heard.get(quiet), v) === 2);
  });

  it('is ignored from a peer that did not negotiate vprr (rippled #7238), and vprr is offered only when enabled', async () => {
    const n = await star(21, 2, { hubSquelch: true, leafSquelch: false });
    const [sender, quiet] = n.leaves as [Daemon, Daemon];
    expect(n.hub.overlay.peers().map((p) => p.info.features.vpReduceRelay)).toEqual([false, false]);
    expect(n.hub.overlay.opts.features.vpReduceRelay).toBe(true);
    expect(quiet.overlay.opts.features.vpReduceRelay).toBe(false);
    const v = new TestValidator(TestKey.random());
    const chain = new LedgerChain(700);
    quiet.overlay.peers()[0]!.send('SQUELCH', { squelch: true, validatorPubKey: v.signingKey.publicKey, squelchDuration: 600 });
    await settle(n, [quiet]);
    chain.advance();
    sender.overlay.peers()[0]!.send('VALIDATION', { validation: chain.validationBy(v, netNow()) });
    await waitFor('relayed despite the squelch', () => validationsOf(n.heard.get(quiet), v) === 1);
  });
});

describe('the hub squelching its peers (slot logic on the wire)', () => {
  it('after 21 counted copies from each of 5 peers it keeps 3 sources and squelches the other 2 for 300–600 s', async () => {
    const n = await star(31, 5, { hubSquelch: true, leafSquelch: true });
    const squelches = new Map<Daemon, PeerMessage[]>();
    for (const d of n.leaves) squelches.set(d, []);
    for (const d of n.leaves) d.overlay.on('message', (_p, m) => m.name === 'SQUELCH' && squelches.get(d)!.push(m));
    const v = new TestValidator(TestKey.random());
    const chain = new LedgerChain(1000);
    // Every leaf sends the same validation, as five paths to one validator would; 22 rounds (the
    // first registers each peer, 21 more pass rippled's MAX_MESSAGE_THRESHOLD of 20).
    for (let round = 0; round < 22; round++) {
      chain.advance();
      const val = chain.validationBy(v, netNow());
      for (const d of n.leaves) d.overlay.peers()[0]!.send('VALIDATION', { validation: val });
      await settle(n, n.leaves); // each round in before the next: copies of a round count within 8 s
    }
    await waitFor('two leaves squelched', () => [...squelches.values()].filter((l) => l.length > 0).length === 2, 15_000);
    await settle(n, n.leaves);
    const got = [...squelches.values()].filter((l) => l.length > 0);
    expect(got.map((l) => l.length)).toEqual([1, 1]);
    for (const [m] of got) {
      if (m!.name !== 'SQUELCH') throw new Error('not a squelch');
      expect(m!.message.squelch).toBe(true);
      expect(Buffer.from(m!.message.validatorPubKey).equals(v.signingKey.publicKey)).toBe(true);
      expect(m!.message.squelchDuration).toBeGreaterThanOrEqual(300);
      expect(m!.message.squelchDuration).toBeLessThanOrEqual(600);
    }
    // 22 rounds of 5 copies: the first of each round is new, the other 4 duplicates.
    expect(n.hub.overlay.traffic.get('validations').messagesIn).toBe(110);
    expect(n.hub.overlay.traffic.get('validations_duplicate').messagesIn).toBe(88);
    expect(n.hub.overlay.traffic.get('squelch').messagesOut).toBe(2);
    const slot = n.hub.overlay.vpRelay.slots.slot(v.signingKey.publicKey.toString('hex'))!;
    expect(slot.selected()).toHaveLength(3);
    // A source disconnects: the two squelched leaves get an unsquelch.
    const sourceId = slot.selected()[0]!;
    n.hub.overlay.peers().find((p) => p.id === sourceId)!.close({ reason: 'shutdown', detail: 'test: source goes' });
    await waitFor('unsquelches sent', () => got.every((l) => l.length === 2), 15_000);
    for (const l of got) {
      const m = l[1]!;
      if (m.name !== 'SQUELCH') throw new Error('not a squelch');
      expect(m.message.squelch).toBe(false);
    }
  });
});
