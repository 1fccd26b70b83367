/**
 * One established peer connection: frames in and out over the TLS socket, ping/pong liveness and
 * latency, the peer's reported ledger range, traffic counters and resource charges. It knows
 * nothing of other peers; the overlay listens to its events.
 */
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { decodeMessage, DecodeError, encodeMessage, hasField, isKnownType, type PeerMessage } from '../protocol/codec.js';
import { encodeFrame, FrameDecoder, FrameError, MAX_FRAME_BYTES, type RawFrame } from '../protocol/framing.js';
import type { Features, ProtocolVersion } from '../protocol/handshake.js';
import { formatVersion, networkTimeNow } from '../protocol/handshake.js';
import { MessageType, type MessageTypeName } from '../protocol/message-types.js';
import type { MessageMap, TMPing, TMStatusChange } from '../protocol/messages.js';
import { NodeEvent, PingType, toNumber } from '../protocol/messages.js';
import type { PeerClose } from './reasons.js';
import { Charge, type ChargeKind, DEFAULT_RESOURCE_LIMITS, type ResourceLimits } from '../resource/resource.js';
import { type ResourceConsumer, standaloneConsumer } from '../resource/resource-table.js';
import { DecompressBudget } from './decompress-budget.js';
import { wheelFor, type Ticking } from './tick-wheel.js';
import { TrafficStats } from './traffic.js';

export type Direction = 'in' | 'out';

/** What the handshake established about the other side. */
export interface PeerInfo {
  publicKey: Buffer;
  n9: string;
  direction: Direction;
  remoteIp: string;
  remotePort: number;
  /** The port the peer listens on, when known: the one we dialled, or one it advertised and we verified. */
  listeningPort?: number;
  /** User-Agent (inbound) or Server (outbound) header. */
  version: string;
  protocol: ProtocolVersion;
  features: Features;
  /** Value of the peer's Crawl header ("public" means it may be listed with its address). */
  crawl: string;
  networkId?: number;
  serverDomain?: string;
  instanceCookie?: string;
  closedLedger?: Buffer;
  previousLedger?: Buffer;
  /** Fixed, cluster or reserved peers are exempt from slot limits. */
  fixed?: boolean;
  cluster?: boolean;
  reserved?: boolean;
}

export interface PeerOptions {
  /** Ping period, rippled: 60 s. A ping still unanswered at the next tick ends the connection. */
  pingIntervalMs: number;
  /** After close(), the socket is cut if the peer has not taken our close by then (rippled: 5 s). */
  shutdownTimeoutMs: number;
  /** Frames waiting to be written above which the queue counts as large (rippled: 128). */
  sendQueueTarget: number;
  /** Ticks in a row with a large send queue before disconnecting (rippled: 4). */
  sendQueueIntervals: number;
  maxFrameBytes: number;
  /**
   * Uncompressed bytes this peer may make us decompress per second; past it we stop reading it
   * until the budget refills (ours: see decompress-budget.ts).
   */
  decompressBytesPerSecond: number;
  /** Least time between two "peer charged heavily" lines for one peer. */
  chargeLogIntervalMs: number;
  /** Clock for the budgets and log limits above (ms). */
  now: () => number;
  /** Thresholds for a peer given no `consumer` (it then gets a balance of its own). */
  resource: ResourceLimits;
  /**
   * The entry of the overlay's resource table this peer charges (rippled's Resource::Consumer):
   * shared with every connection of the same address, released when the peer closes.
   */
  consumer?: ResourceConsumer;
  log?: PeerLog;
  /** Every frame handed to the socket, with its message when we encoded it here (traffic categories). */
  onSent?: (type: number, bytes: number, msg?: PeerMessage) => void;
}

export interface PeerLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error?(obj: object, msg: string): void;
}

export const DEFAULT_PEER_OPTIONS: PeerOptions = {
  pingIntervalMs: 60_000,
  shutdownTimeoutMs: 5_000,
  sendQueueTarget: 128,
  sendQueueIntervals: 4,
  maxFrameBytes: MAX_FRAME_BYTES,
  decompressBytesPerSecond: 4 * 1024 * 1024,
  chargeLogIntervalMs: 60_000,
  now: () => performance.now(),
  resource: DEFAULT_RESOURCE_LIMITS,
};

/** Options resolved once (defaults filled in), to be shared by every peer made with them. */
const RESOLVED = new WeakSet<PeerOptions>();

/**
 * The full options for `opts`, made once and shared: a Peer given these keeps a reference instead
 * of a copy of its own. Give each peer its `consumer` as the Peer's own argument.
 */
export function peerSettings(opts: Partial<PeerOptions> = {}): Readonly<PeerOptions> {
  const resolved = { ...DEFAULT_PEER_OPTIONS, ...opts };
  RESOLVED.add(resolved);
  return resolved;
}

/** What the peer last told us of its ledgers (TMStatusChange). */
export interface PeerLedgerStatus {
  status?: number;
  event?: number;
  ledgerSeq?: number;
  ledgerHash?: Buffer;
  previousHash?: Buffer;
  firstSeq?: number;
  lastSeq?: number;
  networkTime?: number;
  updatedAt: number;
}

export interface PeerEvents {
  message: [msg: PeerMessage, frame: RawFrame];
  status: [status: PeerLedgerStatus];
  latency: [ms: number];
  close: [close: PeerClose];
  /** A resource charge was laid on this peer. */
  charge: [kind: ChargeKind];
}

let nextPeerId = 1;

const flushPeer = (peer: Peer) => peer.flushWrites();
/** A tick's frames for one peer are written at once from this size on (a TLS record holds 16 KiB). */
const OUTBOX_FLUSH_BYTES = 16 * 1024;

export class Peer extends EventEmitter<PeerEvents> implements Ticking {
  readonly id = nextPeerId++;
  readonly connectedAt = Date.now();
  readonly traffic = new TrafficStats();
  /** The balance this peer is charged to (shared by key; see resource-table.ts). */
  readonly resource: ResourceConsumer;
  latencyMs: number | undefined;
  ledger: PeerLedgerStatus = { updatedAt: 0 };
  closed = false;
  closeReason: PeerClose | undefined;

  /** Made on the first bytes received: an idle peer holds none. */
  private decoder: FrameDecoder | undefined;
  private readonly opts: Readonly<PeerOptions>;
  private pendingPing: { seq: number; sentAt: number } | undefined;
  private pendingWrites = 0;
  private largeSendQueueTicks = 0;
  private initialBytes: Buffer | undefined;
  /** Made on the first compressed frame. */
  private decompressBudget: DecompressBudget | undefined;
  private resumeTimer: NodeJS.Timeout | undefined;
  /** When the last "charged heavily" line was written, and how many were held back since. */
  private chargeLoggedAt: number | undefined;
  private chargeLogsHeld = 0;
  /** Total time this peer was not read for going over its decompression budget (ms). */
  decompressionPauseMs = 0;

  constructor(
    readonly info: PeerInfo,
    private readonly socket: Duplex,
    initialBytes: Buffer,
    /** Partial options, or ones made once by peerSettings() and shared by many peers. */
    opts: Partial<PeerOptions> | Readonly<PeerOptions> = {},
    /** This peer's resource entry; overrides `opts.consumer`. */
    consumer?: ResourceConsumer,
  ) {
    super();
    this.opts = RESOLVED.has(opts as PeerOptions) ? (opts as PeerOptions) : { ...DEFAULT_PEER_OPTIONS, ...opts };
    this.resource = consumer ?? this.opts.consumer ?? standaloneConsumer(this.opts.resource, info.remoteIp);
    wheelFor(this.opts.pingIntervalMs).add(this);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.close({ reason: 'socket-error', detail: err.message }));
    socket.on('close', () => this.close({ reason: 'remote-closed' }));
    socket.on('end', () => this.close({ reason: 'remote-closed' }));
    this.initialBytes = initialBytes;
  }

  /** Begin reading, once the owner has attached its listeners: first the bytes that came with the HTTP head. */
  start(): void {
    const first = this.initialBytes;
    this.initialBytes = undefined;
    if (first?.length) this.onData(first);
    this.socket.resume(); // the handshake paused it after reading the HTTP head
  }

  get uptimeSeconds(): number {
    return Math.floor((Date.now() - this.connectedAt) / 1000);
  }

  get protocolName(): string {
    return formatVersion(this.info.protocol);
  }

  get sendQueueLength(): number {
    return this.pendingWrites;
  }

  /** "min-max" from the last status change, or undefined. */
  get completeLedgers(): string | undefined {
    const { firstSeq, lastSeq } = this.ledger;
    return firstSeq !== undefined && lastSeq !== undefined && firstSeq <= lastSeq ? `${firstSeq}-${lastSeq}` : undefined;
  }

  send<K extends MessageTypeName>(name: K, message: MessageMap[K]): void {
    this.sendRaw(MessageType[name], encodeMessage(name, message), { name, type: MessageType[name], message } as PeerMessage);
  }

  /** Send an already-encoded payload, framed (and compressed when negotiated) for this peer. */
  sendRaw(type: number, payload: Buffer, msg?: PeerMessage): void {
    if (this.closed) return;
    this.sendFrame(type, encodeFrame(type, payload, this.info.features.compression), msg);
  }

  /**
   * Send a frame made once for many peers (relay): it must be framed for this peer's compression
   * setting, i.e. encodeFrame(type, payload, peer.info.features.compression).
   */
  sendFrame(type: number, frame: Buffer, msg?: PeerMessage): void {
    if (this.closed) return;
    this.traffic.record('out', type, frame.length);
    this.opts.onSent?.(type, frame.length, msg);
    this.pendingWrites++;
    // Everything sent to this peer in one tick (the pongs for a read full of pings, a relay burst)
    // goes out as one write: one TLS record and one system call instead of one each.
    if (this.outbox) {
      this.outbox.push(frame);
      this.outboxBytes += frame.length;
      if (this.outboxBytes >= OUTBOX_FLUSH_BYTES) this.flushWrites();
      return;
    }
    this.outbox = [frame];
    this.outboxBytes = frame.length;
    process.nextTick(flushPeer, this);
  }

  /** Frames sent in this tick, not yet handed to the socket. */
  private outbox: Buffer[] | undefined;
  private outboxBytes = 0;

  /** Hands this tick's frames to the socket in one write (at the end of the tick, or when many). */
  flushWrites(): void {
    const box = this.outbox;
    if (!box) return;
    this.outbox = undefined;
    this.outboxBytes = 0;
    const n = box.length;
    this.socket.write(n === 1 ? box[0]! : Buffer.concat(box), () => {
      this.pendingWrites -= n;
    });
  }

  /** Bytes handed to the socket and not yet written out. */
  get unwrittenBytes(): number {
    return this.socket.writableLength + this.outboxBytes;
  }

  /** Charge the peer; past the drop threshold it is disconnected. Returns false once dropped. */
  charge(kind: ChargeKind, why: string): boolean {
    if (this.closed) return false; // its hold on the table entry is released already
    this.emit('charge', kind);
    const outcome = this.resource.charge(kind.cost);
    // As PeerImp::charge: a drop is confirmed by Consumer::disconnect, which also adds the drop fee.
    if (outcome === 'drop' && this.resource.disconnect()) {
      this.opts.log?.warn({ peer: this.info.n9, balance: this.resource.balance, why }, 'resource limit reached, dropping peer');
      this.close({ reason: 'resource-limit', detail: why });
      return false;
    }
    if (outcome === 'warn') this.logHeavyCharge(why);
    return true;
  }

  /** rippled logs charges at trace; we keep one line per peer per interval, with the count held back. */
  private logHeavyCharge(why: string): void {
    const t = this.opts.now();
    if (this.chargeLoggedAt !== undefined && t - this.chargeLoggedAt < this.opts.chargeLogIntervalMs) {
      this.chargeLogsHeld++;
      return;
    }
    const held = this.chargeLogsHeld;
    this.chargeLoggedAt = t;
    this.chargeLogsHeld = 0;
    this.opts.log?.info({ peer: this.info.n9, balance: this.resource.balance, why, ...(held ? { alsoCharged: held } : {}) }, 'peer charged heavily');
  }

  close(close: PeerClose): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = close;
    wheelFor(this.opts.pingIntervalMs).remove(this);
    clearTimeout(this.resumeTimer);
    // The entry outlives the connection for the table's expiration time (rippled: 300 s).
    this.resource.release();
    this.socket.removeAllListeners('data');
    this.socket.on('error', () => {});
    if (close.reason === 'remote-closed') {
      // They closed: nothing more of ours will be read, so the socket goes at once (rippled closes
      // it too), without a TLS shutdown of our own and a timer to wait for it.
      this.outbox = undefined;
      this.socket.destroy();
    } else {
      this.flushWrites(); // what was sent before the close goes out before it
      this.socket.end();
    }
    if (!this.socket.destroyed) {
      // A peer that stops reading must not keep the socket (and its buffers) forever.
      const cut = setTimeout(() => this.socket.destroy(), this.opts.shutdownTimeoutMs);
      cut.unref();
      this.socket.once('close', () => clearTimeout(cut));
    }
    this.emit('close', close);
  }

  /** Send a ping now (the timer also does this every interval). */
  ping(): void {
    const seq = randomInt(0, 2 ** 32 - 1);
    this.pendingPing = { seq, sentAt: performance.now() };
    this.send('PING', { type: PingType.PING, seq });
  }

  /** Once per ping interval (the shared wheel calls it). */
  tick(): void {
    if (this.closed) return;
    if (this.pendingWrites >= this.opts.sendQueueTarget) {
      if (++this.largeSendQueueTicks >= this.opts.sendQueueIntervals) return this.close({ reason: 'large-send-queue' });
    } else {
      this.largeSendQueueTicks = 0;
    }
    if (this.pendingPing) return this.close({ reason: 'ping-timeout' });
    this.ping();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: RawFrame[];
    try {
      // Only types we read are decompressed: an unknown type is skipped as it came.
      this.decoder ??= new FrameDecoder({ compression: this.info.features.compression, maxFrameBytes: this.opts.maxFrameBytes, decompress: isKnownType });
      frames = this.decoder.push(chunk);
    } catch (err) {
      const reason = err instanceof FrameError ? err.message : String(err);
      this.opts.log?.warn({ peer: this.info.n9, err: reason }, 'bad frame from peer');
      return this.close({ reason: 'bad-frame', detail: reason });
    }
    this.spendDecompression(frames);
    for (const frame of frames) {
      if (this.closed) return;
      try {
        this.onFrame(frame);
      } catch (err) {
        // A bug in a listener (or anything else handling one message) must not escape the socket's
        // 'data' handler as an uncaught exception and take the whole node down: end this peer only.
        return this.onHandlerError(frame, err);
      }
    }
  }

  /** Past its decompression budget the peer is not read until the budget has refilled. */
  private spendDecompression(frames: RawFrame[]): void {
    let bytes = 0;
    for (const f of frames) if (f.compressed && !f.skipped) bytes += f.payload.length;
    if (bytes === 0) return;
    this.decompressBudget ??= new DecompressBudget(this.opts.decompressBytesPerSecond, this.opts.now);
    const waitMs = this.decompressBudget.spend(bytes);
    if (waitMs === 0 || this.resumeTimer) return;
    this.decompressionPauseMs += waitMs;
    this.socket.pause();
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      if (!this.closed) this.socket.resume();
    }, waitMs);
    this.resumeTimer.unref();
  }

  private onHandlerError(frame: RawFrame, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    const log = this.opts.log;
    const fields = { peer: this.info.n9, type: frame.type, err: reason, stack: err instanceof Error ? err.stack : undefined };
    const msg = 'internal error while handling a message from peer; closing the connection';
    if (log?.error) log.error(fields, msg);
    else log?.warn(fields, msg);
    try {
      this.close({ reason: 'internal-error', detail: `message type ${frame.type}: ${reason}` });
    } catch (closeErr) {
      // A 'close' listener that throws too: the peer is closed already; keep the node going.
      log?.warn({ peer: this.info.n9, err: String(closeErr) }, 'close listener failed');
    }
  }

  private onFrame(frame: RawFrame): void {
    this.traffic.record('in', frame.type, frame.wireBytes);
    if (!isKnownType(frame.type)) {
      // As rippled: an unknown type is skipped, and costs nothing (no fee is charged for it).
      this.opts.log?.debug({ peer: this.info.n9, type: frame.type }, 'skipping unknown message type');
      return;
    }
    let msg: PeerMessage;
    try {
      msg = decodeMessage(frame.type, frame.payload);
    } catch (err) {
      const reason = err instanceof DecodeError ? err.message : String(err);
      this.opts.log?.warn({ peer: this.info.n9, err: reason }, 'undecodable message from peer');
      return this.close({ reason: 'malformed-message', detail: reason });
    }
    // rippled charges one fee per message: the trivial one, or more where answering costs more (a
    // ping request costs a reply).
    const fee = msg.name === 'PING' && msg.message.type === PingType.PING ? Charge.moderate : Charge.trivial;
    if (!this.charge(fee, msg.name === 'PING' ? 'ping' : 'message')) return;
    if (msg.name === 'PING') this.onPing(msg.message, frame.payload);
    else if (msg.name === 'STATUS_CHANGE') this.onStatusChange(msg.message);
    this.emit('message', msg, frame);
  }

  private onPing(m: TMPing, payload: Uint8Array): void {
    if (m.type === PingType.PING) {
      // rippled answers with the same message, its type changed: seq, pingTime and netTime come back.
      // Encoders write field 1 (type) first, as the bytes 08 00 for PING: then the answer is the
      // same bytes with 08 01, with no decode-and-encode round.
      if (payload.length >= 2 && payload[0] === 0x08 && payload[1] === PingType.PING) {
        const pong = Buffer.from(payload);
        pong[1] = PingType.PONG;
        this.sendRaw(MessageType.PING, pong); // a ping's traffic category needs no message
      } else {
        this.send('PING', { ...m, type: PingType.PONG });
      }
      return;
    }
    if (this.pendingPing && hasField(m, 'seq') && m.seq === this.pendingPing.seq) {
      const rtt = performance.now() - this.pendingPing.sentAt;
      this.pendingPing = undefined;
      this.latencyMs = this.latencyMs === undefined ? rtt : (this.latencyMs * 7 + rtt) / 8;
      this.emit('latency', this.latencyMs);
    }
  }

  /**
   * As rippled's PeerImp::onMessage(TMStatusChange): the message replaces the last one (only a
   * missing status keeps the old status); the ledger hashes are the message's, cleared when absent
   * or not 32 bytes, and both cleared by LOST_SYNC (which leaves the ledger range alone); the range
   * changes only when both ends are sent, and a zero or inverted one means "unknown".
   */
  private onStatusChange(m: TMStatusChange): void {
    const prev = this.ledger;
    const next: PeerLedgerStatus = { updatedAt: Date.now(), firstSeq: prev.firstSeq, lastSeq: prev.lastSeq };
    const status = hasField(m, 'newStatus') ? m.newStatus : prev.status;
    if (status !== undefined) next.status = status;
    if (hasField(m, 'newEvent')) next.event = m.newEvent;
    if (hasField(m, 'ledgerSeq')) next.ledgerSeq = m.ledgerSeq;
    // rippled stamps a status change that carries no time with its own network time.
    next.networkTime = hasField(m, 'networkTime') ? toNumber(m.networkTime) : networkTimeNow();
    if (next.event !== NodeEvent.LOST_SYNC) {
      // Copies: a view would keep the whole received frame in memory for as long as we keep the hash.
      if (hasField(m, 'ledgerHash') && m.ledgerHash?.length === 32) next.ledgerHash = Buffer.from(m.ledgerHash);
      if (hasField(m, 'ledgerHashPrevious') && m.ledgerHashPrevious?.length === 32) {
        next.previousHash = Buffer.from(m.ledgerHashPrevious);
      }
      if (hasField(m, 'firstSeq') && hasField(m, 'lastSeq')) {
        const first = m.firstSeq!;
        const last = m.lastSeq!;
        if (first === 0 || last === 0 || last < first) {
          delete next.firstSeq;
          delete next.lastSeq;
        } else {
          next.firstSeq = first;
          next.lastSeq = last;
        }
      }
    }
    if (next.firstSeq === undefined || next.lastSeq === undefined) {
      delete next.firstSeq;
      delete next.lastSeq;
    }
    this.ledger = next;
    this.emit('status', next);
  }
}
