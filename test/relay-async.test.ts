/**
 * RelayFanout with signature checks answered later (an injected fake verifier standing in for the
 * worker pool): each sender's items leave in the order they came whatever order their verdicts come
 * in, duplicates never reach the verifier, a bad signature is charged when its verdict comes, and a
 * full queue drops items unrelayed and uncharged. No sockets: the peers are stand-ins.
 */
import { describe, expect, it } from 'vitest';
import { RelayFanout, type RelayOutcome } from '../src/relay/fanout.js';
import { HashRouter } from '../src/relay/hash-router.js';
import type { VerifyJob } from '../src/relay/verify-jobs.js';
import type { Verifier, VerifyDone } from '../src/relay/verify-pool.js';
import { MessageType } from '../src/protocol/message-types.js';
import type { PeerMessage } from '../src/protocol/codec.js';
import type { RawFrame } from '../src/protocol/framing.js';
import type { Peer } from '../src/peer/peer.js';
import { Charge, type ChargeKind } from '../src/resource/resource.js';
import { silentLogger } from '../src/logger.js';

/** Holds every job until the test answers it. */
class FakeVerifier implements Verifier {
  readonly jobs: { job: VerifyJob; done: VerifyDone }[] = [];
  constructor(readonly queueMax = 100) {}
  get outstanding(): number {
    return this.jobs.length;
  }
  get full(): boolean {
    return this.jobs.length >= this.queueMax;
  }
  submit(job: VerifyJob, done: VerifyDone): void {
    this.jobs.push({ job, done });
  }
  /** Answers the job of the proposal with this sequence. */
  answer(seq: number, ok: boolean | undefined): void {
    const i = this.jobs.findIndex((j) => j.job.kind === 'proposal' && j.job.proposeSeq === seq);
    if (i < 0) throw new Error(`no job for ${seq}`);
    const [j] = this.jobs.splice(i, 1);
    j!.done(ok);
  }
  async close(): Promise<void> {}
}

interface FakePeer {
  peer: Peer;
  /** Payloads it was sent, in order. */
  got: string[];
  charges: ChargeKind[];
  closed: boolean;
}

function fakePeer(id: number): FakePeer {
  const f: FakePeer = { got: [], charges: [], closed: false, peer: undefined as unknown as Peer };
  f.peer = {
    id,
    info: { n9: `n9-${id}`, features: { compression: false } },
    unwrittenBytes: 0,
    sendFrame: (_type: number, frame: Buffer) => f.got.push(frame.subarray(6).toString()),
    send: () => {},
    charge: (kind: ChargeKind) => {
      if (f.closed) return false; // as Peer.charge: nothing once it has left
      f.charges.push(kind);
      return true;
    },
  } as unknown as Peer;
  return f;
}

/** A proposal of well-formed shape (its signature is judged by the fake verifier); `seq` tells it apart. */
function proposal(seq: number): { msg: PeerMessage; frame: RawFrame } {
  const message = {
    proposeSeq: seq, closeTime: 1000, currentTxHash: Buffer.alloc(32, 1), previousledger: Buffer.alloc(32, 2),
    nodePubKey: Buffer.concat([Buffer.from([0x02]), Buffer.alloc(32, 3)]), signature: Buffer.alloc(70, 4),
    addedTransactions: [], removedTransactions: [],
  };
  const payload = Buffer.from(`proposal-${seq}`);
  return {
    msg: { name: 'PROPOSE_LEDGER', type: MessageType.PROPOSE_LEDGER, message } as PeerMessage,
    frame: { type: MessageType.PROPOSE_LEDGER, payload, compressed: false, wireBytes: payload.length + 6 } as RawFrame,
  };
}

function setup(verifier: Verifier) {
  const a = fakePeer(1);
  const b = fakePeer(2);
  const rx = fakePeer(3);
  const all = [a, b, rx];
  const outcomes: RelayOutcome[] = [];
  const fanout = new RelayFanout({
    router: new HashRouter({ holdMs: 300_000, relayAgainMs: 30_000 }, () => 0),
    peers: () => all.filter((p) => !p.closed).map((p) => p.peer),
    peer: (id) => all.find((p) => p.peer.id === id && !p.closed)?.peer,
    relayBacklogBytes: 1 << 24,
    onOutcome: (_type, outcome) => outcomes.push(outcome),
    onVerified: () => {},
    vpRelay: { observe: () => {}, mayRelay: () => true } as never,
    txRelay: { onTransactionFrom: () => {}, plan: () => undefined } as never,
    traffic: { add: () => {} } as never,
    verifier,
    log: silentLogger(),
  });
  const send = (from: FakePeer, seq: number) => {
    const { msg, frame } = proposal(seq);
    fanout.relay(from.peer, msg, frame);
  };
  return { a, b, rx, outcomes, send, fanout };
}

describe('relay after an asynchronous signature check', () => {
  it('relays each peer\'s items in the order they came, whatever order their verdicts come in', () => {
    const v = new FakeVerifier();
    const { a, b, rx, send } = setup(v);
    send(a, 1);
    send(a, 2);
    send(a, 3);
    send(b, 10);
    expect(v.jobs.map((j) => (j.job.kind === 'proposal' ? j.job.proposeSeq : -1))).toEqual([1, 2, 3, 10]);
    v.answer(3, true);
    v.answer(2, true);
    expect(rx.got).toEqual([]); // 1 still unanswered: 2 and 3 wait behind it
    v.answer(10, true);
    expect(rx.got).toEqual(['proposal-10']); // another peer's item does not wait for a's
    v.answer(1, true);
    expect(rx.got).toEqual(['proposal-10', 'proposal-1', 'proposal-2', 'proposal-3']);
    expect(b.got).toEqual(['proposal-1', 'proposal-2', 'proposal-3']);
    expect(a.got).toEqual(['proposal-10']);
  });

  it('charges a bad signature when its verdict comes, relays nothing of it, and lets the next item go', () => {
    const v = new FakeVerifier();
    const { a, rx, outcomes, send } = setup(v);
    send(a, 1);
    send(a, 2);
    expect(a.charges).toEqual([]);
    v.answer(2, true);
    v.answer(1, false);
    expect(a.charges).toEqual([Charge.invalidSignature]);
    expect(rx.got).toEqual(['proposal-2']);
    expect(outcomes).toEqual(['refused', 'relayed']);
  });

  it('charges no one for a forgery whose sender left before its verdict, and still relays what was genuine', () => {
    const v = new FakeVerifier();
    const { a, rx, send } = setup(v);
    send(a, 1);
    send(a, 2);
    a.closed = true;
    v.answer(1, false);
    v.answer(2, true);
    expect(a.charges).toEqual([]);
    expect(rx.got).toEqual(['proposal-2']);
  });

  it('finds a duplicate on arrival: a second copy never reaches the verifier, even before the first is judged', () => {
    const v = new FakeVerifier();
    const { a, b, rx, outcomes, send } = setup(v);
    send(a, 1);
    send(b, 1);
    expect(v.jobs).toHaveLength(1);
    expect(outcomes).toEqual(['duplicate']);
    v.answer(1, true);
    expect(rx.got).toEqual(['proposal-1']);
    expect(b.got).toEqual([]); // it sent the item too: skipped
  });

  it('drops an item unrelayed and uncharged when the queue is full, and takes items again once it drains', () => {
    const v = new FakeVerifier(2);
    const { a, rx, outcomes, send } = setup(v);
    send(a, 1);
    send(a, 2);
    send(a, 3); // full: dropped
    expect(v.jobs).toHaveLength(2);
    expect(outcomes).toEqual(['overloaded']);
    v.answer(1, true);
    v.answer(2, true);
    send(a, 4);
    v.answer(4, true);
    expect(rx.got).toEqual(['proposal-1', 'proposal-2', 'proposal-4']);
    expect(a.charges).toEqual([]);
  });

  it('neither relays nor charges an item never verified (the pool closed), and goes on with the next', () => {
    const v = new FakeVerifier();
    const { a, rx, outcomes, send } = setup(v);
    send(a, 1);
    send(a, 2);
    v.answer(1, undefined);
    v.answer(2, true);
    expect(rx.got).toEqual(['proposal-2']);
    expect(a.charges).toEqual([]);
    expect(outcomes).toEqual(['relayed']);
  });
});
