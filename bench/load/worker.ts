/**
 * One process of the load tool's peers. The parent (tool.ts) sends a Job over IPC; the worker
 * reports a WorkerReport with its own CPU, so that the bench can show the tool was not the limit.
 * Peers speak the peer protocol (full handshake, then frames); with `bare` they only do TLS and
 * write the same frames, for the bare-Node baseline.
 */
import net from 'node:net';
import tls from 'node:tls';
import https from 'node:https';
import { dialPeer } from '../../src/connect/handshake-io.js';
import { makeSelfSignedCertificate, tlsClientOptions } from '../../src/identity/certificate.js';
import { NodeIdentity } from '../../src/identity/node-key.js';
import { NO_FEATURES } from '../../src/protocol/handshake.js';
import { encodeFrame, FrameDecoder } from '../../src/protocol/framing.js';
import { encodeMessage } from '../../src/protocol/codec.js';
import { MessageType } from '../../src/protocol/message-types.js';

export interface Endpoint {
  host: string;
  port: number;
}

export type Job =
  | { mode: 'handshake'; target: Endpoint; sources: string[]; seconds: number; concurrency: number; bare: boolean }
  /**
   * perSecond: each peer pings at that rate (open loop). window: each peer keeps that many pings in
   * flight and sends the next as each answer comes (closed loop, to find the target's saturation).
   */
  | { mode: 'ping'; target: Endpoint; sources: string[]; peers: number; perSecond: number; seconds: number; bare: boolean; window?: number }
  | { mode: 'hold'; target: Endpoint; sources: string[]; peers: number; bare: boolean }
  /**
   * One sender peer and one pilot receiver (on `receiver`, from sources[1]): the sender keeps at most
   * `window` unique items sent and not yet at the pilot, so the target runs saturated but never
   * drops for a full queue. The other receivers are `hold` peers in another process. The first
   * `warmup` items go first, unmeasured (JIT, the target's worker threads starting); then the worker
   * says it is held and waits for release before the measured run.
   */
  | { mode: 'send'; target: Endpoint; receiver: Endpoint; sources: string[]; seconds: number; items: string[]; warmup: number; duplicateEvery: number; window: number; bare: boolean }
  | { mode: 'crawl'; target: Endpoint; seconds: number; perSecond: number; path?: string };

export interface WorkerReport {
  cpuMicros: number;
  wallMs: number;
  done?: number;
  failed?: number;
  sent?: number;
  answered?: number;
  /** hold: TRANSACTION frames received by all held peers. */
  received?: number;
  latenciesMs?: number[];
  /** send: from the first item written to the last unique item at the pilot receiver. */
  spanMs?: number;
}

export type WorkerMessage = { held: number } | { report: WorkerReport };

const material = makeSelfSignedCertificate();
const identities: NodeIdentity[] = [];
let nextIdentity = 0;
/** Up to 64 keys, made as needed and then reused (never two at once: the node refuses a duplicate). */
function identity(): NodeIdentity {
  const i = nextIdentity++ % 64;
  return (identities[i] ??= NodeIdentity.generate());
}

interface Conn {
  socket: tls.TLSSocket;
  rest: Buffer;
}

/** `pooled`: a key from the pool (handshake loops); else a fresh one (peers held at once). */
async function connect(target: Endpoint, source: string, bare: boolean, pooled = false): Promise<Conn> {
  if (bare) {
    return new Promise((resolve, reject) => {
      const raw = net.connect({ host: target.host, port: target.port, localAddress: source });
      raw.once('error', reject);
      const s = tls.connect({ ...tlsClientOptions(material), socket: raw, rejectUnauthorized: false }, () => resolve({ socket: s, rest: Buffer.alloc(0) }));
      s.once('error', reject);
    });
  }
  const est = await dialPeer({
    host: target.host,
    port: target.port,
    localAddress: source,
    local: { identity: pooled ? identity() : NodeIdentity.generate(), tls: material, userAgent: 'xrpl-overlay-load', crawlPublic: true, features: NO_FEATURES, instanceCookie: 1n },
  });
  return { socket: est.socket, rest: est.rest };
}

const PONG_FRAME = (seq: number) => encodeFrame(MessageType.PING, encodeMessage('PING', { type: 1, seq }));
const PING_FRAME = (seq: number) => encodeFrame(MessageType.PING, encodeMessage('PING', { type: 0, seq }));

/** Read frames; answer the node's pings; call onFrame for every frame. */
function readFrames(c: Conn, onFrame: (type: number, payload: Buffer) => void, answerPings: boolean): void {
  const decoder = new FrameDecoder({ compression: false });
  const handle = (chunk: Buffer) => {
    let frames;
    try {
      frames = decoder.push(chunk);
    } catch {
      c.socket.destroy();
      return;
    }
    for (const f of frames) {
      if (answerPings && f.type === MessageType.PING && f.payload[1] === 0) {
        // TMPing{type=PING(0), seq}: field 1 varint 0 is bytes 08 00.
        const seqAt = f.payload.indexOf(0x10, 2);
        c.socket.write(PONG_FRAME(seqAt >= 0 ? readVarint(f.payload, seqAt + 1) : 0));
      }
      onFrame(f.type, f.payload as Buffer);
    }
  };
  if (c.rest.length > 0) handle(c.rest);
  c.socket.on('data', handle);
  c.socket.resume(); // dialPeer leaves it paused after the HTTP head
  c.socket.on('error', () => c.socket.destroy());
}

function readVarint(b: Buffer, at: number): number {
  let v = 0;
  let shift = 0;
  for (let i = at; i < b.length && i < at + 5; i++) {
    v += (b[i]! & 0x7f) * 2 ** shift;
    if (!(b[i]! & 0x80)) break;
    shift += 7;
  }
  return v;
}

const sourceOf = (sources: string[], i: number) => sources[i % sources.length]!;

async function openPeers(target: Endpoint, sources: string[], n: number, bare: boolean): Promise<Conn[]> {
  const conns: Conn[] = [];
  const BATCH = 20;
  for (let i = 0; i < n; i += BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => connect(target, sourceOf(sources, i + k), bare)));
    conns.push(...batch);
  }
  return conns;
}

async function handshakes(job: Extract<Job, { mode: 'handshake' }>): Promise<Partial<WorkerReport>> {
  let done = 0;
  let failed = 0;
  const until = Date.now() + job.seconds * 1000;
  let i = 0;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (Date.now() < until) {
        try {
          const c = await connect(job.target, sourceOf(job.sources, i++), job.bare, true);
          c.socket.destroy();
          done++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { done, failed };
}

async function pings(job: Extract<Job, { mode: 'ping' }>): Promise<Partial<WorkerReport>> {
  if (job.window) return pingsInFlight(job, job.window);
  const conns = await openPeers(job.target, job.sources, job.peers, job.bare);
  let sent = 0;
  let answered = 0;
  // Bare: the echo server sends our PING back. Peer: the node answers with a PONG.
  for (const c of conns) readFrames(c, (type, p) => type === MessageType.PING && p[1] === (job.bare ? 0 : 1) && answered++, !job.bare);
  process.send!({ held: conns.length } satisfies WorkerMessage);
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const period = 1000 / job.perSecond;
  const timers = conns.map((c, k) =>
    setTimeout(() => {
      const t = setInterval(() => {
        c.socket.write(PING_FRAME(++sent));
      }, period);
      timers[k] = t;
    }, Math.random() * period),
  );
  await new Promise((r) => setTimeout(r, job.seconds * 1000));
  for (const t of timers) clearInterval(t);
  await new Promise((r) => setTimeout(r, 500)); // answers in flight
  for (const c of conns) c.socket.destroy();
  return { sent, answered };
}

/**
 * Closed loop: every peer keeps `window` pings in flight; the answers that came in one read are
 * replaced in one write. One ping frame made once (the target answers any seq), so that the tool's
 * own work per ping is small.
 */
async function pingsInFlight(job: Extract<Job, { mode: 'ping' }>, window: number): Promise<Partial<WorkerReport>> {
  const conns = await openPeers(job.target, job.sources, job.peers, job.bare);
  const one = PING_FRAME(1);
  const burst = Buffer.concat(Array.from({ length: window }, () => one));
  let sent = 0;
  let answered = 0;
  let running = false;
  for (const c of conns) {
    let owed = 0;
    const flush = () => {
      const n = owed;
      owed = 0;
      if (!running || n === 0 || c.socket.destroyed) return;
      sent += n;
      c.socket.write(burst.subarray(0, n * one.length));
    };
    readFrames(
      c,
      (type, p) => {
        if (type !== MessageType.PING || p[1] !== (job.bare ? 0 : 1)) return;
        answered++;
        if (owed++ === 0) setImmediate(flush);
      },
      !job.bare,
    );
  }
  process.send!({ held: conns.length } satisfies WorkerMessage);
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  running = true;
  const answeredAtStart = answered;
  for (const c of conns) {
    sent += window;
    c.socket.write(burst);
  }
  await new Promise((r) => setTimeout(r, job.seconds * 1000));
  running = false;
  const answeredInTime = answered - answeredAtStart;
  await new Promise((r) => setTimeout(r, 500)); // answers in flight
  for (const c of conns) c.socket.destroy();
  // `done`: answers within the timed seconds (the rate); `answered`: all, for the CPU per answer.
  return { sent, answered, done: answeredInTime };
}

async function hold(job: Extract<Job, { mode: 'hold' }>): Promise<Partial<WorkerReport>> {
  const conns = await openPeers(job.target, job.sources, job.peers, job.bare);
  let received = 0;
  let failed = 0;
  for (const c of conns) {
    readFrames(c, (type) => type === MessageType.TRANSACTION && received++, !job.bare);
    c.socket.on('close', () => failed++);
  }
  // Bare fan-out forwards the sender's bytes: count TRANSACTION frames the same way.
  process.send!({ held: conns.length } satisfies WorkerMessage);
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  for (const c of conns) c.socket.destroy();
  return { received, failed };
}

async function sendItems(job: Extract<Job, { mode: 'send' }>): Promise<Partial<WorkerReport>> {
  const [pilot] = await openPeers(job.receiver, [job.sources[1]!], 1, job.bare);
  const [c] = await openPeers(job.target, [job.sources[0]!], 1, job.bare);
  readFrames(c!, () => {}, !job.bare);
  const payloads = job.items.map((hex) => encodeMessage('TRANSACTION', { rawTransaction: Buffer.from(hex, 'hex'), status: 1 } as never));
  const frames = payloads.map((p) => encodeFrame(MessageType.TRANSACTION, p));
  // The pilot counts each item once (the bare fan-out forwards duplicates too), known by its bytes.
  const unseen = new Set(payloads.map((p) => p.toString('latin1')));
  let delivered = 0;
  let lastAt = 0;
  let wake: (() => void) | undefined;
  readFrames(pilot!, (type, payload) => {
    if (type !== MessageType.TRANSACTION || !unseen.delete(payload.toString('latin1'))) return;
    delivered++;
    lastAt = performance.now();
    wake?.();
  }, !job.bare);
  /** Until the pilot's count moves (true), or nothing arrived for 3 s (false: the target lost items). */
  const progress = () => new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), 3000);
    wake = () => {
      clearTimeout(t);
      wake = undefined;
      resolve(true);
    };
  });
  let sent = 0;
  let dups = 0;
  /** Sends items [from, to) keeping the window, then waits until all are at the pilot (or lost). */
  const run = async (from: number, to: number, until: number) => {
    for (let i = from; i < to && Date.now() < until; i++) {
      while (sent - delivered >= job.window) if (!(await progress())) break;
      let ok = c!.socket.write(frames[i]!);
      sent++;
      if (job.duplicateEvery > 0 && i % job.duplicateEvery === job.duplicateEvery - 1) {
        ok = c!.socket.write(frames[i - 1]!) && ok;
        dups++;
      }
      if (!ok) await new Promise((r) => c!.socket.once('drain', r));
    }
    while (delivered < sent) if (!(await progress())) break;
  };
  await run(0, job.warmup, Infinity);
  const warm = { sent, delivered, dups };
  process.send!({ held: 1 } satisfies WorkerMessage);
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const t0 = performance.now();
  await run(job.warmup, frames.length, Date.now() + job.seconds * 1000);
  const spanMs = (lastAt || performance.now()) - t0;
  c!.socket.destroy();
  pilot!.socket.destroy();
  return { sent: sent - warm.sent, done: dups - warm.dups, received: delivered - warm.delivered, spanMs };
}

async function crawl(job: Extract<Job, { mode: 'crawl' }>): Promise<Partial<WorkerReport>> {
  const latenciesMs: number[] = [];
  let failed = 0;
  const agent = new https.Agent({ keepAlive: false });
  const until = Date.now() + job.seconds * 1000;
  while (Date.now() < until) {
    const t0 = performance.now();
    const ok = await new Promise<boolean>((resolve) => {
      const req = https.get({ host: job.target.host, port: job.target.port, path: job.path ?? '/crawl', agent, rejectUnauthorized: false, headers: { Connection: 'close' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      });
      req.on('error', () => resolve(false));
    });
    if (ok) latenciesMs.push(performance.now() - t0);
    else failed++;
    await new Promise((r) => setTimeout(r, 1000 / job.perSecond));
  }
  return { latenciesMs, failed };
}

const run: { [M in Job['mode']]: (job: Extract<Job, { mode: M }>) => Promise<Partial<WorkerReport>> } = { handshake: handshakes, ping: pings, hold, send: sendItems, crawl };

process.once('message', async (job: Job) => {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await (run[job.mode] as (j: Job) => Promise<Partial<WorkerReport>>)(job);
  const cpu = process.cpuUsage(cpu0);
  process.send!({ report: { ...result, cpuMicros: cpu.user + cpu.system, wallMs: performance.now() - t0 } } satisfies WorkerMessage, () => process.exit(0));
});
