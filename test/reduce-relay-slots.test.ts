/**
 * rippled's reduce-relay slot logic on a manual clock, after the cases of rippled's
 * src/test/overlay/reduce_relay_test.cpp: the initial selection round, a new peer, a source that
 * disconnects or stops relaying, a squelched peer that disconnects or comes back after its squelch,
 * per-message dedupe, the wait on boot-up and the squelch duration's random range.
 */
import { describe, expect, it } from 'vitest';
import { PeerState, REDUCE_RELAY, SlotState, Slots, type SquelchHandler } from '../src/reduce-relay/slots.js';
import { PeerSquelches } from '../src/reduce-relay/squelch.js';

const V = '02'.padEnd(66, 'a');

function setup(opts: { maxSelected?: number; random?: (min: number, max: number) => number } = {}) {
  let t = 1_000_000;
  const squelched = new Map<number, number>();
  const unsquelched: number[] = [];
  const handler: SquelchHandler = {
    squelch: (v, id, s) => {
      expect(v).toBe(V);
      squelched.set(id, s);
    },
    unsquelch: (_v, id) => unsquelched.push(id),
  };
  const slots = new Slots({
    enabled: true,
    maxSelectedPeers: opts.maxSelected ?? 5,
    handler,
    now: () => t,
    randomInt: opts.random,
    waitOnBootupMs: 0,
  });
  t += 1; // past the (zero) wait on boot-up
  let msg = 0;
  return {
    slots,
    squelched,
    unsquelched,
    advance: (ms: number) => (t += ms),
    /** One new message of V from each of `peers`. */
    round: (peers: number[]) => {
      const key = `m${msg++}`;
      for (const id of peers) slots.update(key, V, id);
    },
  };
}

const PEERS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
/** Rounds for every peer to pass MAX_MESSAGE_THRESHOLD: the first message only registers a peer. */
const ROUNDS_TO_SELECT = 1 + REDUCE_RELAY.maxMessageThreshold + 1;

describe('reduce-relay slots (rippled reduce_relay_test cases)', () => {
  it('initial round: after 21 counted messages from each peer, 5 are selected and the other 5 squelched', () => {
    const s = setup();
    for (let i = 0; i < ROUNDS_TO_SELECT - 1; i++) s.round(PEERS);
    expect(s.squelched.size).toBe(0);
    expect(s.slots.slot(V)!.state).toBe(SlotState.Counting);
    s.round(PEERS);
    const slot = s.slots.slot(V)!;
    expect(slot.state).toBe(SlotState.Selected);
    expect(slot.inState(PeerState.Selected)).toBe(5);
    expect(slot.inState(PeerState.Squelched)).toBe(5);
    expect(s.squelched.size).toBe(5);
    const selected = slot.selected();
    for (const id of s.squelched.keys()) expect(selected).not.toContain(id);
  });

  it('the selection is made when the 5th peer reaches the threshold, from the pool past 19', () => {
    const s = setup();
    s.round(PEERS); // registers
    for (let i = 0; i < REDUCE_RELAY.maxMessageThreshold; i++) s.round(PEERS);
    // Every peer is at 20: none reached 21 yet.
    expect(s.squelched.size).toBe(0);
    s.round([1, 2, 3, 4]);
    expect(s.squelched.size).toBe(0);
    s.round([5]);
    expect(s.squelched.size).toBe(5);
  });

  it('squelch durations are in rippled\'s range [300, max(600, 10 s × squelchable peers) capped at 3600]', () => {
    const seen: [number, number][] = [];
    const s = setup({ random: (min, max) => (seen.push([min, max]), max) });
    for (let i = 0; i < ROUNDS_TO_SELECT; i++) s.round(PEERS);
    const ranges = seen.filter(([min]) => min === 300);
    expect(ranges).toHaveLength(5);
    for (const [, max] of ranges) expect(max).toBe(600); // 10 s × 5 peers < 600 s
    for (const d of s.squelched.values()) expect(d).toBe(600);
    const slot = s.slots.slot(V)!;
    expect(slot.squelchDurationSeconds(100)).toBe(1000);
    expect(slot.squelchDurationSeconds(1000)).toBe(3600);
  });

  it('random squelch durations stay inside [300, 600] seconds with the real random source', () => {
    for (let n = 0; n < 20; n++) {
      const s = setup();
      for (let i = 0; i < ROUNDS_TO_SELECT; i++) s.round(PEERS);
      for (const d of s.squelched.values()) {
        expect(d).toBeGreaterThanOrEqual(300);
        expect(d).toBeLessThanOrEqual(600);
      }
    }
  });

  it('a selected peer that disconnects unsquelches every squelched peer and the slot counts again', () => {
    const s = setup();
    for (let i = 0; i < ROUNDS_TO_SELECT; i++) s.round(PEERS);
    const slot = s.slots.slot(V)!;
    const source = slot.selected()[0];
    s.slots.deletePeer(source);
    expect(s.unsquelched.sort()).toEqual([...s.squelched.keys()].sort());
    expect(slot.state).toBe(SlotState.Counting);
    expect(slot.inState(PeerState.Squelched)).toBe(0);
    expect(slot.peers.has(source)).toBe(false);
  });

  it('a squelched peer that disconnects changes nothing else', () => {
    const s = setup();
    for (let i = 0; i < ROUNDS_TO_SELECT; i++) s.round(PEERS);
    const slot = s.slots.slot(V)!;
    const [victim] = s.squelched.keys();
    s.slots.deletePeer(victim);
    expect(s.unsquelched).toEqual([]);
    expect(slot.state).toBe(SlotState.Selected);
    expect(slot.inState(PeerState.Selected)).toBe(5);
    expect(slot.inState(PeerState.Squelched)).toBe(4);
  });

  it('a selected peer that stops relaying for over 8 s is idle: the squelched are unsquelched', () => {
    const s = setup();
    for (let i = 0; i < ROUNDS_TO_SELECT; i++) s.round(PEERS);
    const slot = s.slots.slot(V)!;
    const source = slot.selected()[0];
    // Everyone else keeps relaying; the source goes silent.
    for (let i = 0; i < 3; i++) {
      s.advance(3000);
      s.round(PEERS.filter((p) => p !== source));
      s.slots.deleteIdlePeers();
    }
    expect(s.unsquelched.sort()).toEqual([...s.squelched.keys()].sort());
    expect(slot.state).toBe(SlotState.Counting);
    expect(slot.peers.has(source)).toBe(true); // idle, not gone
  });

  it('a new peer puts the slot back to counting (no squelch sent for it yet)', () => {
    const s = setup();
    for (let i = 0; i < ROUNDS_TO_SELECT; i++) s.round(PEERS);
    const slot = s.slots.slot(V)!;
    s.round([11]);
    expect(slot.state).toBe(SlotState.Counting);
    expect(slot.inState(PeerState.Squelched)).toBe(5); // still squelched until their squelch ends
    expect(s.squelched.has(11)).toBe(false);
  });

  it('a squelched peer heard before its squelch ends is counted as ignoring it; after, it counts again', () => {
    const s = setup({ random: (min) => min });
    for (let i = 0; i < ROUNDS_TO_SELECT; i++) s.round(PEERS);
    const slot = s.slots.slot(V)!;
    const [victim] = s.squelched.keys();
    let ignored = 0;
    s.slots.update('late-1', V, victim, () => ignored++);
    expect(ignored).toBe(1);
    expect(slot.peers.get(victim)!.state).toBe(PeerState.Squelched);
    s.advance(300_000 + 1);
    s.slots.update('late-2', V, victim, () => ignored++);
    expect(ignored).toBe(1);
    expect(slot.peers.get(victim)!.state).toBe(PeerState.Counting);
    expect(slot.state).toBe(SlotState.Counting);
  });

  it('the same message from the same peer counts once (the slots\' own hash router)', () => {
    const s = setup();
    s.round(PEERS);
    for (let i = 0; i < 50; i++) s.slots.update('same', V, 1);
    expect(s.slots.slot(V)!.peers.get(1)!.count).toBe(1);
  });

  it('nothing is counted before the wait on boot-up or when disabled', () => {
    let t = 0;
    const handler = { squelch: () => {}, unsquelch: () => {} };
    const waiting = new Slots({ enabled: true, maxSelectedPeers: 5, handler, now: () => t, waitOnBootupMs: 600_000 });
    waiting.update('k', V, 1);
    expect(waiting.size).toBe(0);
    t = 600_001;
    waiting.update('k2', V, 1);
    expect(waiting.size).toBe(1);
    const off = new Slots({ enabled: false, maxSelectedPeers: 5, handler, now: () => t, waitOnBootupMs: 0 });
    off.update('k', V, 1);
    expect(off.size).toBe(0);
  });

  it('a slot not selected for 600 s is forgotten', () => {
    const s = setup();
    s.round(PEERS);
    s.advance(600_001);
    s.slots.deleteIdlePeers();
    expect(s.slots.size).toBe(0);
  });
});

describe('incoming squelch table (rippled Squelch)', () => {
  it('holds a squelch for its duration, then forgets it', () => {
    let t = 0;
    const sq = new PeerSquelches(() => t);
    expect(sq.apply(V, true, 300)).toBe('squelched');
    t = 299_999;
    expect(sq.isSquelched(V)).toBe(true);
    t = 300_000;
    expect(sq.isSquelched(V)).toBe(false);
    expect(sq.size).toBe(0);
  });

  it('refuses durations outside [300, 3600] s and lifts the existing squelch', () => {
    const sq = new PeerSquelches(() => 0);
    sq.apply(V, true, 600);
    expect(sq.apply(V, true, 299)).toBe('bad-duration');
    expect(sq.isSquelched(V)).toBe(false);
    expect(sq.apply(V, true, 3601)).toBe('bad-duration');
    expect(sq.apply(V, true, 3600)).toBe('squelched');
    expect(sq.apply(V, false, 0)).toBe('unsquelched');
    expect(sq.isSquelched(V)).toBe(false);
  });

  it('holds at most its cap of validators, reusing ended entries first', () => {
    let t = 0;
    const sq = new PeerSquelches(() => t, 3);
    for (const k of ['a', 'b', 'c']) expect(sq.apply(k, true, 300)).toBe('squelched');
    expect(sq.apply('d', true, 300)).toBe('too-many');
    t = 300_000;
    expect(sq.apply('d', true, 300)).toBe('squelched');
    expect(sq.size).toBe(1);
  });
});
