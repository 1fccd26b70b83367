/**
 * The relay fan-out: consensus traffic (transactions, proposals, validations, manifests) received from one peer is
 * checked as rippled checks it and passed on to every other peer that has not sent it to us, once per item.
 */
import type { Logger } from 'pino';
import { encodeMessage, type PeerMessage } from '../protocol/codec.js';
import { tryEncodeFrame, type RawFrame } from '../protocol/framing.js';
import { MessageType, type MessageTypeName } from '../protocol/message-types.js';
import type { Peer } from '../peer/peer.js';
import { Charge } from '../resource/resource.js';
import type { ValidatorsHub } from '../validators/hub.js';
import type { ValidatorMonitor } from '../monitor/validator-monitor.js';
import { messageSigner, type ValidatorReduceRelay } from '../reduce-relay/vp-relay.js';
import type { TxReduceRelay } from '../reduce-relay/tx-relay.js';
import type { TrafficCount } from '../traffic/traffic-count.js';
import type { HashRouter } from './hash-router.js';
import { checkRelayItem, type RelayFilter } from './relay-checks.js';
import type { Verifier } from './verify-pool.js';
import { relayDecision } from './validator-relay.js';

/**
 * relayed: sent on; duplicate: seen within the relay interval; refused: failed a check rippled makes;
 * overloaded: dropped unchecked, unrelayed and uncharged because the signature verify queue was full.
 */
export type RelayOutcome = 'relayed' | 'duplicate' | 'refused' | 'overloaded';

/** At most one "queue full" warning this often (with the count of items dropped since the last). */
const OVERLOAD_LOG_MS = 10_000;

/** A first copy, past the arrival checks, waiting for its signature verdict. */
interface Verified {
  from: Peer;
  msg: PeerMessage;
  frame: RawFrame;
  key: string;
  skip: Set<number>;
  policy: ReturnType<typeof relayDecision>;
  validator: string | undefined;
  filter: (() => RelayFilter) | undefined;
}

/** One item in its sender's queue: done once its verdict came (ok undefined: never verified). */
interface Waiting {
  item: Verified;
  done: boolean;
  ok: boolean | undefined;
}

const RELAYED_TYPES = new Set<number>([
  MessageType.TRANSACTION,
  MessageType.PROPOSE_LEDGER,
  MessageType.VALIDATION,
  MessageType.MANIFESTS,
]);

export interface RelayFanoutDeps {
  router: HashRouter;
  /** Manifests, validator lists and the untrusted relay policy; none: relay all. */
  validators?: ValidatorsHub;
  /** Every active peer. */
  peers: () => Iterable<Peer>;
  /** The active peer with this id. */
  peer: (id: number) => Peer | undefined;
  /** [overlay] relay_backlog_bytes: no relaying to a peer with this much still unwritten. */
  relayBacklogBytes: number;
  /** What became of one relayable item. */
  onOutcome: (type: MessageTypeName, outcome: RelayOutcome) => void;
  /** A first copy whose signature checks passed, before the relay policy (library events). */
  onVerified: (from: Peer, msg: PeerMessage, payload: Buffer) => void;
  /** The validator monitor, fed every verified validation. */
  monitor?: ValidatorMonitor;
  /** Squelching: which peers carry each validator, and who squelched whom. */
  vpRelay: ValidatorReduceRelay;
  /** Transaction reduce-relay: which peers get a transaction whole, which its hash later. */
  txRelay: TxReduceRelay;
  /** Traffic by rippled's categories. */
  traffic: TrafficCount;
  /** Signature checks, on worker threads (verify-pool.ts) or inline; its bound also caps each peer's queue. */
  verifier: Verifier;
  log: Logger;
}

export class RelayFanout {
  /** Items passed on since start, for the status log. */
  readonly relayed = { items: 0 };
  /**
   * Per sender, its items in arrival order, from the first still waiting for its verdict: an item is
   * relayed only once all before it are, so each peer's items leave in the order they came.
   */
  private readonly queues = new Map<Peer, Waiting[]>();
  private overloadLog = { at: 0, drops: 0 };

  constructor(private readonly deps: RelayFanoutDeps) {}

  /** Whether frames of this type are relayed. */
  static relays(type: number): boolean {
    return RELAYED_TYPES.has(type);
  }

  /**
   * Relay consensus traffic to every peer that has not sent it to us, once per item, after the
   * checks rippled makes before it relays (an item rippled would charge us for is dropped here, and
   * its sender charged instead).
   */
  relay(from: Peer, msg: PeerMessage, frame: RawFrame): void {
    const { deps } = this;
    const check = checkRelayItem(msg, frame.payload);
    if (!check.ok) {
      deps.onOutcome(msg.name, 'refused');
      if (check.charge) from.charge(check.charge, check.reason);
      else deps.log.debug({ peer: from.info.n9, reason: check.reason }, 'not relayed');
      return;
    }
    if (msg.name === 'TRANSACTION') deps.txRelay.onTransactionFrom(from.id, msg.message.rawTransaction);
    // Duplicates are found here, on arrival, so that a copy never costs a verification.
    const skip = deps.router.receive(check.key, from.id);
    const hub = deps.validators;
    // Parsed once per message: the relay policy, the trust check and the squelch slots all need it.
    const signer = messageSigner(msg);
    const validator = signer?.toString('hex');
    if (!skip) {
      const dup = msg.name === 'TRANSACTION' ? 'transactions_duplicate' : msg.name === 'PROPOSE_LEDGER' ? 'proposals_duplicate' : msg.name === 'VALIDATION' ? 'validations_duplicate' : undefined;
      if (dup) deps.traffic.add(dup, true, frame.wireBytes);
      // A later copy still tells the slots which peers carry this validator (rippled counts it too).
      if (validator !== undefined && (!hub || relayDecision(hub, msg, signer) !== 'drop')) deps.vpRelay.observe(check.key, validator, [from.id]);
      return void deps.onOutcome(msg.name, 'duplicate');
    }
    const policy = hub ? relayDecision(hub, msg, signer) : 'relay';
    const trusted = hub !== undefined && signer !== undefined && hub.list.trusted(signer);
    if (hub && validator !== undefined && !trusted) {
      deps.traffic.add(msg.name === 'VALIDATION' ? 'validations_untrusted' : 'proposals_untrusted', true, frame.wireBytes);
    }
    if (policy === 'drop') return;
    const item: Verified = { from, msg, frame, key: check.key, skip, policy, validator, filter: check.filter };
    const queue = this.queues.get(from);
    if (!check.job) {
      // Nothing to verify: relayed now, unless this peer's earlier items still wait for theirs.
      if (!queue) return this.afterVerify(item, true);
      if (queue.length >= deps.verifier.queueMax) return this.overloaded(item);
      queue.push({ item, done: true, ok: true });
      return;
    }
    if (deps.verifier.full) {
      // As rippled: a validator we trust is always heard; the rest waits for the queue to drain.
      if (!trusted) return this.overloaded(item);
      if (!queue) return this.afterVerify(item, check.verify!());
    }
    const entry: Waiting = { item, done: false, ok: undefined };
    if (queue) queue.push(entry);
    else this.queues.set(from, [entry]);
    const answer = (ok: boolean | undefined): void => {
      entry.done = true;
      entry.ok = ok;
      this.drain(from);
    };
    if (deps.verifier.full) answer(check.verify!());
    else deps.verifier.submit(check.job, answer);
  }

  /** Items of one peer whose turn came (all before them done), relayed in the order they arrived. */
  private drain(from: Peer): void {
    const queue = this.queues.get(from);
    if (!queue) return;
    while (queue.length > 0 && queue[0]!.done) {
      const { item, ok } = queue.shift()!;
      // undefined: never verified (the pool closed with the overlay): neither relayed nor charged.
      if (ok !== undefined) this.afterVerify(item, ok);
    }
    if (queue.length === 0) this.queues.delete(from);
  }

  /** Queue full: dropped, unrelayed and uncharged, as rippled drops a transaction when its job queue is full. */
  private overloaded(item: Verified): void {
    this.deps.onOutcome(item.msg.name, 'overloaded');
    this.overloadLog.drops++;
    const now = Date.now();
    if (now - this.overloadLog.at < OVERLOAD_LOG_MS) return;
    this.deps.log.warn({ dropped: this.overloadLog.drops, queued: this.deps.verifier.outstanding }, 'signature verify queue full: items dropped unrelayed');
    this.overloadLog = { at: now, drops: 0 };
  }

  /** The part of relay after the signature check: charge a forgery, or pass the item on. */
  private afterVerify(item: Verified, ok: boolean): void {
    const { deps } = this;
    const { from, msg, frame, policy, validator } = item;
    const hub = deps.validators;
    if (!ok) {
      deps.onOutcome(msg.name, 'refused');
      from.charge(Charge.invalidSignature, `${msg.name}: bad signature`); // a no-op once it has left
      return;
    }
    let payload = frame.payload;
    if (item.filter) {
      const kept = item.filter();
      const why = `${msg.name}: ${kept.dropped} left out (${kept.reason ?? 'failed'})`;
      if (kept.charge) from.charge(kept.charge, kept.reason ?? why);
      else if (kept.dropped > 0) deps.log.debug({ peer: from.info.n9, reason: why }, 'partly relayed');
      if (!kept.payload) return void deps.onOutcome(msg.name, 'refused');
      payload = kept.payload;
    }
    if (msg.name === 'VALIDATION' && deps.monitor) {
      try {
        deps.monitor.onValidation(msg.message.validation);
      } catch (err) {
        // The monitor reports; it must never stop relay.
        deps.log.debug({ peer: from.info.n9, err: (err as Error).message }, 'validation not monitored');
      }
    }
    deps.onVerified(from, msg, payload);
    if (hub && msg.name === 'MANIFESTS') {
      // rippled relays only the manifests that changed what it knows, in a message of their own.
      const fresh = hub.onManifests(msg.message);
      if (!fresh) return void deps.onOutcome(msg.name, 'duplicate');
      payload = encodeMessage('MANIFESTS', fresh);
    } else if (policy === 'hold') return;
    deps.onOutcome(msg.name, 'relayed');
    this.relayed.items++;
    // Peers whose copies came while this one was checked have it already.
    const later = deps.router.takeSenders(item.key);
    const skip = later ? new Set([...item.skip, ...later]) : item.skip;
    if (validator !== undefined) deps.vpRelay.observe(item.key, validator, skip);
    // With transaction reduce-relay and its metrics off, every peer gets it whole: no plan to make.
    const planned = msg.name === 'TRANSACTION' && (deps.txRelay.enabled || deps.txRelay.metricsOn);
    const txPlan = planned ? deps.txRelay.plan(msg.message.rawTransaction, [...deps.peers()], skip) : undefined;
    for (const f of txPlan?.flushes ?? []) deps.peer(f.peerId)?.send('HAVE_TRANSACTIONS', f.message);
    // Framed once for the peers that compress and once for those that do not, not once per peer.
    // A 64 MiB payload (accepted, as rippled does) fits only a compressed frame: none for the others.
    const framed: { plain?: Buffer | null; lz4?: Buffer | null } = {};
    for (const p of deps.peers()) {
      if (p === from || skip.has(p.id)) continue;
      if (p.unwrittenBytes >= deps.relayBacklogBytes) continue; // not reading: no more for it
      if (!deps.vpRelay.mayRelay(p.id, validator)) {
        deps.traffic.add('squelch_suppressed', false, payload.length + 6); // it squelched this validator
        continue;
      }
      if (txPlan && !txPlan.send.has(p.id)) continue; // gets the hash in its next TMHaveTransactions
      const lz4 = p.info.features.compression;
      const out = lz4 ? (framed.lz4 ??= tryEncodeFrame(frame.type, payload, true) ?? null) : (framed.plain ??= tryEncodeFrame(frame.type, payload, false) ?? null);
      // Peer.sendFrame gathers a tick's frames for one peer into one write.
      if (out) p.sendFrame(frame.type, out);
    }
  }
}
