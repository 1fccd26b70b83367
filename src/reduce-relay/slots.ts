/**
 * Validator/proposal reduce-relay, the selecting side (rippled's reduce_relay::Slot and Slots):
 * for each validator, count the peers that bring us its validations and proposals, pick a few of
 * them as the sources, and ask the rest (TMSquelch) to stop relaying that validator to us for a
 * random while. When a source goes (disconnects or falls idle) the others are unsquelched and
 * counting starts again. Pure state on an injected clock and random source; the overlay sends the
 * messages through `SquelchHandler`.
 */

/** rippled's reduce_relay constants (ReduceRelayCommon.h), in milliseconds or counts. */
export const REDUCE_RELAY = {
  /** Shortest squelch a peer may ask for, and the low end of ours (300 s). */
  minUnsquelchExpireMs: 300_000,
  /** Upper end of our squelch duration with few peers (600 s). */
  maxUnsquelchExpireDefaultMs: 600_000,
  /** The upper end grows by this per squelchable peer (10 s). */
  squelchPerPeerMs: 10_000,
  /** Longest squelch a peer may ask for, and the cap of ours (3600 s). */
  maxUnsquelchExpirePeersMs: 3_600_000,
  /** A peer silent this long about a validator is idle (8 s). */
  idledMs: 8_000,
  /** Messages past which a peer joins the pool considered for selection (19). */
  minMessageThreshold: 19,
  /** Messages at which a peer counts toward starting a selection (20). */
  maxMessageThreshold: 20,
  /** Squelching starts this long after start-up, to let connections settle (10 min). */
  waitOnBootupMs: 600_000,
} as const;

export enum PeerState {
  Counting = 'counting',
  Selected = 'selected',
  Squelched = 'squelched',
}

export enum SlotState {
  Counting = 'counting',
  Selected = 'selected',
}

/** What the slots ask of the overlay: send a TMSquelch on or off for `validator` to peer `peerId`. */
export interface SquelchHandler {
  squelch(validator: string, peerId: number, durationSeconds: number): void;
  unsquelch(validator: string, peerId: number): void;
}

export interface SlotsOptions {
  /** [reduce_relay] vp_base_squelch_enable. */
  enabled: boolean;
  /** [reduce_relay] vp_base_squelch_max_selected_peers (rippled: 5). */
  maxSelectedPeers: number;
  handler: SquelchHandler;
  /** Milliseconds, monotonic; the wait on boot-up counts from the first reading. */
  now: () => number;
  /** An integer in [min, max], both included (rippled's rand_int). */
  randomInt?: (min: number, max: number) => number;
  /** Override of rippled's 10 minute wait before squelching starts (tests, labs). */
  waitOnBootupMs?: number;
}

interface PeerEntry {
  state: PeerState;
  count: number;
  /** When a squelch we asked for ends. */
  expire: number;
  lastMessage: number;
}

export interface SlotPeerView {
  state: PeerState;
  count: number;
  expire: number;
  lastMessage: number;
}

const defaultRandomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

/** One validator's slot. */
export class Slot {
  readonly peers = new Map<number, PeerEntry>();
  /** Peers past the lower threshold: the pool the sources are drawn from. */
  private readonly considered = new Set<number>();
  /** Peers that reached the upper threshold this round. */
  private reachedThreshold = 0;
  lastSelected: number;
  state = SlotState.Counting;

  constructor(
    private readonly validator: string,
    private readonly opts: Required<Pick<SlotsOptions, 'maxSelectedPeers' | 'handler' | 'now' | 'randomInt'>>,
  ) {
    this.lastSelected = opts.now();
  }

  /** A validation or proposal of this validator came from `id`; `onIgnored` when `id` is squelched. */
  update(id: number, onIgnored?: () => void): void {
    const now = this.opts.now();
    const peer = this.peers.get(id);
    if (!peer) {
      this.peers.set(id, { state: PeerState.Counting, count: 0, expire: now, lastMessage: now });
      this.initCounting();
      return;
    }
    if (peer.state === PeerState.Squelched && now > peer.expire) {
      peer.state = PeerState.Counting;
      peer.lastMessage = now;
      this.initCounting();
      return;
    }
    peer.lastMessage = now;
    if (peer.state === PeerState.Squelched) onIgnored?.();
    if (this.state !== SlotState.Counting || peer.state === PeerState.Squelched) return;

    peer.count++;
    if (peer.count > REDUCE_RELAY.minMessageThreshold) this.considered.add(id);
    if (peer.count === REDUCE_RELAY.maxMessageThreshold + 1) this.reachedThreshold++;

    if (now - this.lastSelected > 2 * REDUCE_RELAY.maxUnsquelchExpireDefaultMs) {
      this.initCounting();
      return;
    }
    if (this.reachedThreshold === this.opts.maxSelectedPeers) this.select(now);
  }

  /** Draw the sources at random from the pool (idle ones left out) and squelch every other peer. */
  private select(now: number): void {
    const max = this.opts.maxSelectedPeers;
    const pool = [...this.considered];
    const selected = new Set<number>();
    while (selected.size !== max && pool.length) {
      const i = pool.length === 1 ? 0 : this.opts.randomInt(0, pool.length - 1);
      const [id] = pool.splice(i, 1);
      const p = this.peers.get(id);
      if (p && now - p.lastMessage < REDUCE_RELAY.idledMs) selected.add(id);
    }
    this.considered.clear();
    if (selected.size !== max) {
      this.initCounting();
      return;
    }
    this.lastSelected = now;
    for (const [id, p] of this.peers) {
      p.count = 0;
      if (selected.has(id)) p.state = PeerState.Selected;
      else if (p.state !== PeerState.Squelched) {
        p.state = PeerState.Squelched;
        const seconds = this.squelchDurationSeconds(this.peers.size - max);
        p.expire = now + seconds * 1000;
        this.opts.handler.squelch(this.validator, id, seconds);
      }
    }
    this.reachedThreshold = 0;
    this.state = SlotState.Selected;
  }

  /** rippled's getSquelchDuration: seconds in [300, min(max(600, 10 × npeers), 3600)]. */
  squelchDurationSeconds(npeers: number): number {
    const upper = Math.min(
      Math.max(REDUCE_RELAY.maxUnsquelchExpireDefaultMs, REDUCE_RELAY.squelchPerPeerMs * npeers),
      REDUCE_RELAY.maxUnsquelchExpirePeersMs,
    );
    return this.opts.randomInt(REDUCE_RELAY.minUnsquelchExpireMs / 1000, upper / 1000);
  }

  /**
   * A peer went (erase) or fell idle (kept): if it was a source, every squelched peer is unsquelched
   * and the slot counts again.
   */
  deletePeer(id: number, erase: boolean): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    const now = this.opts.now();
    const toUnsquelch: number[] = [];
    if (peer.state === PeerState.Selected) {
      for (const [k, p] of this.peers) {
        if (p.state === PeerState.Squelched) toUnsquelch.push(k);
        p.state = PeerState.Counting;
        p.count = 0;
        p.expire = now;
      }
      this.considered.clear();
      this.reachedThreshold = 0;
      this.state = SlotState.Counting;
    } else if (this.considered.has(id)) {
      if (peer.count > REDUCE_RELAY.maxMessageThreshold) this.reachedThreshold--;
      this.considered.delete(id);
    }
    peer.lastMessage = now;
    peer.count = 0;
    if (erase) this.peers.delete(id);
    for (const k of toUnsquelch) this.opts.handler.unsquelch(this.validator, k);
  }

  deleteIdlePeers(): void {
    const now = this.opts.now();
    for (const [id, p] of [...this.peers]) if (now - p.lastMessage > REDUCE_RELAY.idledMs) this.deletePeer(id, false);
  }

  inState(state: PeerState): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.state === state) n++;
    return n;
  }

  selected(): number[] {
    return [...this.peers].flatMap(([id, p]) => (p.state === PeerState.Selected ? [id] : []));
  }

  private initCounting(): void {
    this.state = SlotState.Counting;
    this.considered.clear();
    this.reachedThreshold = 0;
    for (const p of this.peers.values()) p.count = 0;
  }
}

/** Every validator's slot, with the per-message dedupe rippled keeps in front of them. */
export class Slots {
  private readonly slots = new Map<string, Slot>();
  /** Message key → when first seen and the peers seen with it; forgotten after the idle time. */
  private readonly messages = new Map<string, { at: number; peers: Set<number> }>();
  private readonly startedAt: number;
  private ready = false;
  private readonly slotOpts: Required<Pick<SlotsOptions, 'maxSelectedPeers' | 'handler' | 'now' | 'randomInt'>>;

  constructor(private readonly opts: SlotsOptions) {
    this.startedAt = opts.now();
    this.slotOpts = { maxSelectedPeers: opts.maxSelectedPeers, handler: opts.handler, now: opts.now, randomInt: opts.randomInt ?? defaultRandomInt };
  }

  /** Enabled, and the wait on boot-up is over (rippled's baseSquelchReady). */
  get active(): boolean {
    if (!this.opts.enabled) return false;
    if (!this.ready) this.ready = this.opts.now() - this.startedAt > (this.opts.waitOnBootupMs ?? REDUCE_RELAY.waitOnBootupMs);
    return this.ready;
  }

  /**
   * Peer `peerId` brought the message `key` of `validator`. Counted once per message and peer, and
   * only within the idle time of the message's first sighting (a late copy says nothing of the path).
   */
  update(key: string, validator: string, peerId: number, onIgnored?: () => void): void {
    if (!this.active) return;
    const now = this.opts.now();
    this.expireMessages(now);
    const seen = this.messages.get(key);
    if (!seen) this.messages.set(key, { at: now, peers: new Set([peerId]) });
    else if (seen.peers.has(peerId)) return;
    else seen.peers.add(peerId);
    let slot = this.slots.get(validator);
    if (!slot) this.slots.set(validator, (slot = new Slot(validator, this.slotOpts)));
    slot.update(peerId, onIgnored);
  }

  /** A peer disconnected: out of every slot (unsquelching the rest where it was a source). */
  deletePeer(peerId: number): void {
    for (const slot of this.slots.values()) slot.deletePeer(peerId, true);
  }

  /** Periodic: idle peers out of their selection, and slots unselected for 600 s forgotten. */
  deleteIdlePeers(): void {
    const now = this.opts.now();
    this.expireMessages(now);
    for (const [validator, slot] of this.slots) {
      slot.deleteIdlePeers();
      if (now - slot.lastSelected > REDUCE_RELAY.maxUnsquelchExpireDefaultMs) this.slots.delete(validator);
    }
  }

  slot(validator: string): Slot | undefined {
    return this.slots.get(validator);
  }

  get size(): number {
    return this.slots.size;
  }

  private expireMessages(now: number): void {
    for (const [k, m] of this.messages) {
      if (now - m.at <= REDUCE_RELAY.idledMs) break; // insertion order: the rest are newer
      this.messages.delete(k);
    }
  }
}
