/**
 * Ledger and transaction-set requests this node cannot serve (it holds no ledgers), handled as
 * rippled's PeerImp handles a request it cannot serve itself:
 *
 * - a TMGetLedger with `queryType` and no `requestCookie` goes to the one peer most likely to have
 *   the ledger (hasLedger: the hash among the ledgers it announced, or the sequence in its range
 *   while it tracks our ledger) or the transaction set (hasTxSet: it sent TMHaveTransactionSet),
 *   chosen by rippled's getScore, never the asker; the copy carries the asker's id as cookie;
 * - the TMLedgerData that comes back with that cookie goes to the asker only, cookie cleared.
 *
 * Beyond rippled: a reply is passed on only for a request we routed to that very peer and still
 * hold (rippled trusts any cookie that names a connected peer), and requests in flight are capped
 * per asker and in total, and forgotten after a timeout or when either side leaves. And a request
 * that reaches us with a cookie (a peer routed it to us, since we announce the ledgers we follow)
 * is not a dead end as in rippled, which would try to serve it itself: it goes one hop further
 * under our own cookie, and the answer goes back under the cookie it came with. A request is never
 * passed on while the same one (cookie aside) is in flight through us, so no loop can form.
 * Also here, since they share the per-peer knowledge: the tracking of each peer and the
 * "Not useful" drop of PeerImp::onTimer, and the answers to the other requests rippled gets.
 */
import { createHash } from 'node:crypto';
import { encodeMessage, hasField, type PeerMessage } from '../protocol/codec.js';
import { type TMGetLedger, type TMGetObjectByHash, type TMLedgerData, toNumber } from '../protocol/messages.js';
import type { Peer, PeerLedgerStatus } from '../peer/peer.js';
import { Charge } from '../resource/resource.js';
import { PeerTracking, RecentHashes, REFERENCE_MAX_AGE_MS, type UsefulnessLimits } from './ledger-tracking.js';

/** TMLedgerInfoType, as the metrics `kind` label. */
export const LEDGER_INFO_KINDS = ['base', 'tx_node', 'as_node', 'ts_candidate'] as const;
export type LedgerInfoKind = (typeof LEDGER_INFO_KINDS)[number];
const LI_BASE = 0;
const LI_TS_CANDIDATE = 3;
const LT_CLOSED = 2;
const QT_INDIRECT = 0;
const RE_NO_LEDGER = 1;
const RE_BAD_REQUEST = 3;
const TS_HAVE = 1;
const OT_FETCH_PACK = 6;
const OT_TRANSACTIONS = 7;
/** rippled's Tuning: maxQueryDepth, hardMaxReplyNodes, dropSendQueue. */
const MAX_QUERY_DEPTH = 3;
export const HARD_MAX_REPLY_NODES = 12288;
const DROP_SEND_QUEUE = 192;
/** A ledger sequence more than this past our ledger is refused while our ledger is under 10 s old. */
const SEQ_AHEAD_LIMIT = 10;
const SEQ_CHECK_MAX_AGE_MS = 10_000;

export interface LedgerRequestLimits extends UsefulnessLimits {
  /** Requests routed for one asker and not yet answered ([overlay] ledger_requests_per_peer). */
  perPeer: number;
  /** Requests routed for all askers together ([overlay] ledger_requests_max). */
  total: number;
  /** How long a routed request waits for its answer ([overlay] ledger_request_timeout). */
  timeoutMs: number;
}

export type RouteOutcome = 'routed' | 'unroutable' | 'over-cap' | 'refused' | 'not-routed';

export interface LedgerRequestCounters {
  routedRequests: Record<LedgerInfoKind, number>;
  routedReplies: Record<LedgerInfoKind, number>;
  unroutable: Record<LedgerInfoKind, number>;
  /** Requests dropped because a cap on requests in flight was reached. */
  overCap: Record<LedgerInfoKind, number>;
  /** Replies with a cookie that names no request we routed to their sender. */
  unknownCookie: number;
}

interface InFlight {
  askerId: number;
  answererId: number;
  expiresAt: number;
  /** The request without its cookie, to refuse a copy coming round again. */
  content: string;
  /** The cookie the asker's request carried (it was routed to us), restored on the reply. */
  upstreamCookie?: number;
}

interface PeerState {
  tracking: PeerTracking;
  ledgers: RecentHashes;
  txSets: RecentHashes;
}

export interface LedgerRequestsOptions {
  peers: () => Iterable<Peer>;
  /** Our announced ledger: the one we measure peers against. */
  ourLedger: () => { seq: number; at: number } | undefined;
  limits: LedgerRequestLimits;
  now?: () => number;
  /** Uniform in [0, 1): rippled's random part of a peer's score. */
  random?: () => number;
  log: { debug(o: object, m: string): void; info(o: object, m: string): void; warn(o: object, m: string): void };
}

const zeroKinds = (): Record<LedgerInfoKind, number> => ({ base: 0, tx_node: 0, as_node: 0, ts_candidate: 0 });

export class LedgerRequests {
  readonly counters: LedgerRequestCounters = {
    routedRequests: zeroKinds(),
    routedReplies: zeroKinds(),
    unroutable: zeroKinds(),
    overCap: zeroKinds(),
    unknownCookie: 0,
  };
  private readonly state = new Map<number, PeerState>();
  /** Routed requests awaiting their reply, by answerer|asker|hash|type. */
  private readonly inFlight = new Map<string, InFlight[]>();
  private readonly perAsker = new Map<number, number>();
  private readonly contentInFlight = new Map<string, number>();
  private total = 0;
  private readonly now: () => number;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** When each peer's last refusal was logged: one line a second per peer, so bad traffic cannot flood the log. */
  private readonly loggedAt = new Map<number, number>();

  constructor(private readonly opts: LedgerRequestsOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** PeerImp::onTimer checks usefulness at each ping tick: every `periodMs`. */
  start(periodMs: number): void {
    this.timer = setInterval(() => this.dropUseless(), periodMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get inFlightCount(): number {
    return this.total;
  }

  inFlightFor(askerId: number): number {
    return this.perAsker.get(askerId) ?? 0;
  }

  trackingOf(peer: Peer): PeerState['tracking']['state'] {
    return this.peerState(peer).tracking.state;
  }

  onPeerClosed(peer: Peer): void {
    this.state.delete(peer.id);
    this.loggedAt.delete(peer.id);
    for (const [key, list] of this.inFlight) {
      const kept = list.filter((e) => e.askerId !== peer.id && e.answererId !== peer.id);
      for (const e of list) if (!kept.includes(e)) this.release(e);
      if (kept.length) this.inFlight.set(key, kept);
      else this.inFlight.delete(key);
    }
  }

  /** A TMStatusChange from a peer (after Peer has applied it): its recent ledgers and its tracking. */
  onStatus(peer: Peer, s: PeerLedgerStatus): void {
    const st = this.peerState(peer);
    if (s.ledgerHash) st.ledgers.add(s.ledgerHash);
    if (s.previousHash) st.ledgers.add(s.previousHash);
    const ours = this.opts.ourLedger();
    const now = this.now();
    if (s.ledgerSeq !== undefined && ours && now - ours.at < REFERENCE_MAX_AGE_MS) st.tracking.check(s.ledgerSeq, ours.seq, now);
  }

  /** We announce a new ledger: each peer's newest complete ledger is compared with it (OverlayImpl::checkTracking). */
  onOurLedger(seq: number): void {
    const now = this.now();
    for (const p of this.opts.peers()) {
      if (p.ledger.lastSeq) this.peerState(p).tracking.check(p.ledger.lastSeq, seq, now);
    }
  }

  /** Outbound peers that stayed unknown or diverged past the limits are dropped (PeerImp::onTimer). */
  dropUseless(now = this.now()): Peer[] {
    const dropped: Peer[] = [];
    for (const p of this.opts.peers()) {
      if (!this.peerState(p).tracking.notUseful(p.info.direction === 'out', now, this.opts.limits)) continue;
      this.opts.log.info({ peer: p.info.n9, tracking: this.trackingOf(p) }, 'peer not useful, dropping it');
      p.close({ reason: 'not-useful' });
      dropped.push(p);
    }
    this.expire(now);
    return dropped;
  }

  /** Handles the request and reply types rippled serves from its ledgers; true when the message was one of them. */
  onMessage(peer: Peer, msg: PeerMessage): boolean {
    switch (msg.name) {
      case 'GET_LEDGER':
        this.onGetLedger(peer, msg.message);
        return true;
      case 'LEDGER_DATA':
        this.onLedgerData(peer, msg.message);
        return true;
      case 'HAVE_SET':
        if (msg.message.hash?.length !== 32) peer.charge(Charge.malformed, 'have_set: bad hash');
        else if (msg.message.status === TS_HAVE && !this.peerState(peer).txSets.add(msg.message.hash)) peer.charge(Charge.useless, 'have_set: repeated');
        return true;
      case 'GET_OBJECTS':
        this.onGetObjects(peer, msg.message);
        return true;
      case 'PROOF_PATH_REQ':
      case 'REPLAY_DELTA_REQ':
        // rippled: without the ledgerreplay feature a malformed request; with it, one it cannot
        // satisfy (no such ledger here), charged and not answered.
        if (!peer.info.features.ledgerReplay) peer.charge(Charge.malformed, `${msg.name}: ledger replay not enabled`);
        else peer.charge(Charge.moderate, msg.name) && peer.charge(Charge.requestNoReply, `${msg.name}: no such ledger`);
        return true;
      case 'PROOF_PATH_RESPONSE':
      case 'REPLAY_DELTA_RESPONSE':
        // Never asked for: rippled charges bad data (or a malformed request without the feature).
        peer.charge(peer.info.features.ledgerReplay ? Charge.invalidData : Charge.malformed, `${msg.name}: not requested`);
        return true;
      default:
        return false;
    }
  }

  // ------------------------------------------------------------ TMGetLedger

  private onGetLedger(peer: Peer, m: TMGetLedger): RouteOutcome {
    const bad = checkGetLedger(m, this.seqLimit());
    if (bad) {
      this.logRefusal(peer, 'warn', `TMGetLedger: ${bad}`);
      peer.charge(Charge.invalidData, `get_ledger: ${bad}`);
      return 'refused';
    }
    const cookie = hasField(m, 'requestCookie') ? toNumber(m.requestCookie) : undefined;
    // processLedgerRequest: a request costs its asker (not a peer answering a relay) a moderate fee.
    if (cookie === undefined && !peer.charge(Charge.moderate, 'get_ledger')) return 'refused';
    const kind = LEDGER_INFO_KINDS[m.itype]!;
    const isTxSet = m.itype === LI_TS_CANDIDATE;
    // Only a request with queryType and a hash is routed (getLedger by hash, getTxSet).
    if (!hasField(m, 'queryType') || !hasField(m, 'ledgerHash')) {
      this.opts.log.debug({ peer: peer.info.n9, kind }, 'ledger request not routable (no queryType or no hash)');
      return 'not-routed';
    }
    if (!isTxSet && peer.sendQueueLength >= DROP_SEND_QUEUE) return 'not-routed';
    const content = contentKey(m);
    if (cookie !== undefined && (cookie > 0xffffffff || this.contentInFlight.has(content))) {
      this.opts.log.debug({ peer: peer.info.n9, kind }, 'routed ledger request already passing through us, not passed on');
      return 'not-routed';
    }
    const seq = hasField(m, 'ledgerSeq') ? m.ledgerSeq! : 0;
    const target = this.pickPeer(peer, (p) => (isTxSet ? this.peerState(p).txSets.has(m.ledgerHash!) : this.hasLedger(p, m.ledgerHash!, seq)));
    if (!target) {
      this.counters.unroutable[kind]++;
      this.opts.log.debug({ peer: peer.info.n9, kind, hash: m.ledgerHash!.toString('hex') }, 'no peer to route the ledger request to');
      return 'unroutable';
    }
    const now = this.now();
    this.expire(now);
    if (this.total >= this.opts.limits.total || this.inFlightFor(peer.id) >= this.opts.limits.perPeer) {
      this.counters.overCap[kind]++;
      this.opts.log.debug({ peer: peer.info.n9, kind, inFlight: this.inFlightFor(peer.id), total: this.total }, 'too many ledger requests in flight, dropped');
      return 'over-cap';
    }
    const entry: InFlight = { askerId: peer.id, answererId: target.id, expiresAt: now + this.opts.limits.timeoutMs, content, upstreamCookie: cookie };
    const key = flightKey(target.id, peer.id, m.ledgerHash!, m.itype);
    const list = this.inFlight.get(key);
    if (list) list.push(entry);
    else this.inFlight.set(key, [entry]);
    this.perAsker.set(peer.id, this.inFlightFor(peer.id) + 1);
    this.contentInFlight.set(content, (this.contentInFlight.get(content) ?? 0) + 1);
    this.total++;
    this.counters.routedRequests[kind]++;
    target.send('GET_LEDGER', { ...m, requestCookie: peer.id });
    return 'routed';
  }

  /** PeerImp::hasLedger: one of its recent ledgers, or in its range while it tracks our ledger. */
  private hasLedger(p: Peer, hash: Buffer, seq: number): boolean {
    const st = this.peerState(p);
    const { firstSeq, lastSeq } = p.ledger;
    if (seq !== 0 && firstSeq !== undefined && lastSeq !== undefined && seq >= firstSeq && seq <= lastSeq && st.tracking.state === 'converged') return true;
    return st.ledgers.has(hash);
  }

  /** getPeerWithLedger / getPeerWithTree: the best getScore(true) among the peers that have it, never the asker. */
  private pickPeer(asker: Peer, has: (p: Peer) => boolean): Peer | undefined {
    let best: Peer | undefined;
    let bestScore = 0;
    for (const p of this.opts.peers()) {
      if (p === asker || p.closed || !has(p)) continue;
      const score = this.score(p);
      if (!best || score > bestScore) {
        best = p;
        bestScore = score;
      }
    }
    return best;
  }

  /** PeerImp::getScore(true): random 0–9999, plus 10000 for having it, less 30 a millisecond of latency (8000 when unknown). */
  private score(p: Peer): number {
    const latency = p.latencyMs === undefined ? undefined : Math.round(p.latencyMs);
    return Math.floor(this.random() * 10000) + 10000 - (latency === undefined ? 8000 : latency * 30);
  }

  // ------------------------------------------------------------ TMLedgerData

  private onLedgerData(peer: Peer, m: TMLedgerData): void {
    const bad = checkLedgerData(m, this.seqLimit());
    if (bad) {
      this.logRefusal(peer, 'warn', `TMLedgerData: ${bad}`);
      peer.charge(Charge.invalidData, `ledger_data: ${bad}`);
      return;
    }
    // Without a cookie it would be an answer to a request of ours; we make none.
    if (!hasField(m, 'requestCookie')) return;
    const askerId = m.requestCookie!;
    const key = flightKey(peer.id, askerId, m.ledgerHash, m.type);
    const list = this.inFlight.get(key);
    const entry = list?.shift();
    const asker = entry && [...this.opts.peers()].find((p) => p.id === askerId && !p.closed);
    if (entry) {
      if (!list!.length) this.inFlight.delete(key);
      this.release(entry);
    }
    if (!asker) {
      this.counters.unknownCookie++;
      this.logRefusal(peer, 'info', `Unable to route TX/ledger data reply [${askerId}]`);
      return;
    }
    const { requestCookie: _cookie, ...reply } = m;
    this.counters.routedReplies[LEDGER_INFO_KINDS[m.type]!]++;
    const upstream = entry.upstreamCookie;
    asker.send('LEDGER_DATA', upstream === undefined ? (reply as TMLedgerData) : { ...(reply as TMLedgerData), requestCookie: upstream });
  }

  // ------------------------------------------------------------ TMGetObjectByHash

  /** rippled with none of the objects: an empty reply for a plain query; fetch packs and transactions as below. */
  private onGetObjects(peer: Peer, m: TMGetObjectByHash): void {
    if (!m.query) return; // a reply to a query we never made
    if (peer.sendQueueLength >= DROP_SEND_QUEUE) return;
    // doFetchPack: no validated ledger of ours is recent, so "too busy to make fetch pack".
    if (m.type === OT_FETCH_PACK) return this.opts.log.debug({ peer: peer.info.n9 }, 'Too busy to make fetch pack');
    // Transactions by hash exist only with tx reduce-relay, which we never enable.
    if (m.type === OT_TRANSACTIONS) {
      peer.charge(Charge.malformed, 'get_objects: tx reduce-relay is disabled');
      return;
    }
    // rippled sets the moderate fee, then replaces it with the malformed one for a bad hash.
    if (hasField(m, 'ledgerHash') && m.ledgerHash!.length !== 32) {
      peer.charge(Charge.malformed, 'get_objects: bad ledger hash');
      return;
    }
    if (!peer.charge(Charge.moderate, 'get_objects')) return;
    const reply: TMGetObjectByHash = { type: m.type, query: false, objects: [] };
    if (hasField(m, 'seq')) reply.seq = m.seq;
    if (hasField(m, 'ledgerHash')) reply.ledgerHash = m.ledgerHash;
    peer.send('GET_OBJECTS', reply);
  }

  // ------------------------------------------------------------ bookkeeping

  private peerState(p: Peer): PeerState {
    let st = this.state.get(p.id);
    if (!st) {
      st = { tracking: new PeerTracking(p.connectedAt), ledgers: new RecentHashes(), txSets: new RecentHashes() };
      if (!p.closed) this.state.set(p.id, st); // nothing kept for a peer that has gone
    }
    return st;
  }

  /** rippled's log line for a refused message, at most one a second per peer (the charges go on regardless). */
  private logRefusal(peer: Peer, level: 'warn' | 'info', msg: string): void {
    const now = this.now();
    if (now - (this.loggedAt.get(peer.id) ?? -Infinity) < 1000) return;
    this.loggedAt.set(peer.id, now);
    this.opts.log[level]({ peer: peer.info.n9 }, msg);
  }

  private seqLimit(): number | undefined {
    const ours = this.opts.ourLedger();
    return ours && this.now() - ours.at <= SEQ_CHECK_MAX_AGE_MS ? ours.seq + SEQ_AHEAD_LIMIT : undefined;
  }

  private release(e: InFlight): void {
    this.total--;
    const c = (this.contentInFlight.get(e.content) ?? 1) - 1;
    if (c > 0) this.contentInFlight.set(e.content, c);
    else this.contentInFlight.delete(e.content);
    const n = this.inFlightFor(e.askerId) - 1;
    if (n > 0) this.perAsker.set(e.askerId, n);
    else this.perAsker.delete(e.askerId);
  }

  private expire(now: number): void {
    for (const [key, list] of this.inFlight) {
      while (list.length && list[0]!.expiresAt <= now) this.release(list.shift()!);
      if (!list.length) this.inFlight.delete(key);
    }
  }
}

/** The request as rippled hashes it for duplicates: everything but the cookie. */
function contentKey(m: TMGetLedger): string {
  const { requestCookie: _cookie, ...rest } = m;
  return createHash('sha256').update(encodeMessage('GET_LEDGER', rest as TMGetLedger)).digest('hex');
}

function flightKey(answererId: number, askerId: number, hash: Buffer, itype: number): string {
  return `${answererId}|${askerId}|${hash.toString('hex')}|${itype}`;
}

/** rippled's deserializeSHAMapNodeID: 32 id bytes and a depth byte ≤ 64, no id bits below the depth. */
export function isShaMapNodeId(b: Buffer): boolean {
  if (b.length !== 33) return false;
  const depth = b[32]!;
  if (depth > 64) return false;
  for (let nibble = depth; nibble < 64; nibble++) {
    const byte = b[nibble >> 1]!;
    if ((nibble & 1 ? byte & 0x0f : byte >> 4) !== 0) return false;
  }
  return true;
}

/** The checks of PeerImp::onMessage(TMGetLedger), each charged as bad data; undefined when it passes. */
export function checkGetLedger(m: TMGetLedger, seqLimit: number | undefined): string | undefined {
  if (!(m.itype >= LI_BASE && m.itype <= LI_TS_CANDIDATE)) return 'Invalid ledger info type';
  const ltype = hasField(m, 'ltype') ? m.ltype : undefined;
  if (m.itype === LI_TS_CANDIDATE) {
    if (!hasField(m, 'ledgerHash')) return 'Invalid TX candidate set, missing TX set hash';
  } else if (!hasField(m, 'ledgerHash') && !hasField(m, 'ledgerSeq') && ltype !== LT_CLOSED) {
    return 'Invalid request';
  }
  if (ltype !== undefined && !(ltype >= 0 && ltype <= LT_CLOSED)) return 'Invalid ledger type';
  if (hasField(m, 'ledgerHash') && m.ledgerHash!.length !== 32) return 'Invalid ledger hash';
  if (hasField(m, 'ledgerSeq') && seqLimit !== undefined && m.ledgerSeq! > seqLimit) return `Invalid ledger sequence ${m.ledgerSeq}`;
  if (m.itype !== LI_BASE) {
    if (!m.nodeIDs?.length) return 'Invalid ledger node IDs';
    if (!m.nodeIDs.every((id) => isShaMapNodeId(Buffer.from(id)))) return 'Invalid SHAMap node ID';
  }
  if (hasField(m, 'queryType') && m.queryType !== QT_INDIRECT) return 'Invalid query type';
  if (hasField(m, 'queryDepth') && (m.queryDepth! > MAX_QUERY_DEPTH || m.itype === LI_BASE)) return 'Invalid query depth';
  return undefined;
}

/** The checks of PeerImp::onMessage(TMLedgerData), each charged as bad data; undefined when it passes. */
export function checkLedgerData(m: TMLedgerData, seqLimit: number | undefined): string | undefined {
  if (m.ledgerHash?.length !== 32) return 'Invalid ledger hash';
  if (m.type === LI_TS_CANDIDATE) {
    if (m.ledgerSeq !== 0) return `Invalid ledger sequence ${m.ledgerSeq}`;
  } else if (seqLimit !== undefined && m.ledgerSeq > seqLimit) {
    return `Invalid ledger sequence ${m.ledgerSeq}`;
  }
  if (!(m.type >= LI_BASE && m.type <= LI_TS_CANDIDATE)) return 'Invalid ledger info type';
  if (hasField(m, 'error') && !(m.error! >= RE_NO_LEDGER && m.error! <= RE_BAD_REQUEST)) return 'Invalid reply error';
  const n = m.nodes?.length ?? 0;
  if (n <= 0 || n > HARD_MAX_REPLY_NODES) return `Invalid Ledger/TXset nodes ${n}`;
  return undefined;
}
