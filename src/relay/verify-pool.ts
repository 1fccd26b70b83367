/**
 * Signature verification off the event loop: a pool of worker threads (verify-worker.ts) that run the
 * same checks the relay runs inline (verify-jobs.ts). Jobs submitted in one tick are posted together,
 * one batch per worker (at most two batches in flight per worker: under load the batches grow), and
 * each job is answered through its callback.
 *
 * - Shared: the overlays of one process use one pool (createVerifier), each through a PoolShare with its
 *   own bound; the pool closes with the last of them.
 * - Bounded: at most `queueMax` jobs wait or run at once; `full` says when the caller must not submit
 *   (the relay then drops the item as rippled drops a transaction when its job queue is full).
 * - Never a hang: the jobs of a worker that dies are verified on the event loop and answered, and the
 *   worker is replaced; a worker that cannot even start three times in a row leaves the pool verifying
 *   inline (logged once). Jobs still waiting when the pool closes are answered `undefined` (not verified).
 * - Idle, it verifies on the event loop: while no job waits or runs, the first IDLE_INLINE_PER_TICK jobs of
 *   a tick are checked at once, since a hop to a worker and back costs more than one check (a trickle
 *   of validations never waits, and a small node never starts its threads). A burst, or load that keeps
 *   jobs in flight, goes to the workers.
 * - Workers start with the first job they get; until one has loaded, jobs are verified at once on the event loop.
 * - An idle worker is unref'd (only one with jobs keeps the process alive), and all are terminated on close.
 * - Loads from the built dist/ (verify-worker.js) and from TypeScript sources under tsx or vitest
 *   (verify-worker.ts, through tsx's loader registered in the worker).
 */
import os from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { packBatch, runVerifyJob, type VerifyJob } from './verify-jobs.js';
import type { VerifyAnswer, VerifyBatch } from './verify-worker.js';

/** Called once per job: its verdict (false: verifiably bad signature), or undefined when never verified. */
export type VerifyDone = (ok: boolean | undefined) => void;

export interface Verifier {
  /** Most jobs waiting or running at once. */
  readonly queueMax: number;
  /** Jobs submitted and not yet answered. */
  readonly outstanding: number;
  /** True when a submitted job would exceed the bound: the caller must drop or handle the item itself. */
  readonly full: boolean;
  submit(job: VerifyJob, done: VerifyDone): void;
  close(): Promise<void>;
}

export interface VerifyPoolOptions {
  /** Worker threads; 0: verify on the event loop, synchronously (done is called inside submit). */
  threads: number;
  /** Most jobs waiting or running at once. */
  queueMax: number;
  /** Jobs of one tick checked on the event loop while the pool is idle (default IDLE_INLINE_PER_TICK; tests use 0). */
  idleInlinePerTick?: number;
  log?: Logger;
}

/** While no job waits or runs, this many of a tick's jobs are checked at once on the event loop. */
export const IDLE_INLINE_PER_TICK = 4;

/** [overlay] verify_threads default: one worker per core. */
export function defaultVerifyThreads(): number {
  return os.availableParallelism();
}

/**
 * The verifier of one overlay. The worker threads are the process's: overlays in one process (tests,
 * benches, a library user running several nodes) share one pool per thread count, each with its own
 * queue bound, and the pool closes with the last of them.
 */
export function createVerifier(opts: VerifyPoolOptions): Verifier {
  if (opts.threads <= 0) return new InlineVerifier(opts.queueMax);
  let shared = sharedPools.get(opts.threads);
  if (!shared) {
    shared = { pool: new VerifyPool({ ...opts, queueMax: Infinity }), users: 0 };
    sharedPools.set(opts.threads, shared);
  }
  shared.users++;
  const share = shared;
  return new PoolShare(share.pool, opts.queueMax, async () => {
    if (--share.users > 0) return;
    sharedPools.delete(opts.threads);
    await share.pool.close();
  });
}

const sharedPools = new Map<number, { pool: VerifyPool; users: number }>();

/** One overlay's use of a shared pool: its own bound, and its own jobs answered `undefined` when it closes. */
export class PoolShare implements Verifier {
  /** Each job's answer callback, to the caller's. */
  private readonly waiting = new Map<VerifyDone, VerifyDone>();
  private closed = false;

  constructor(
    readonly pool: VerifyPool,
    readonly queueMax: number,
    private readonly release: () => Promise<void>,
  ) {}

  get outstanding(): number {
    return this.waiting.size;
  }

  get full(): boolean {
    return this.waiting.size >= this.queueMax;
  }

  /** Workers loaded and taking jobs. */
  get startedWorkers(): number {
    return this.pool.startedWorkers;
  }

  submit(job: VerifyJob, done: VerifyDone): void {
    if (this.closed) return done(undefined);
    const answer: VerifyDone = (ok) => {
      if (this.waiting.delete(answer)) done(ok);
    };
    this.waiting.set(answer, done);
    this.pool.submit(job, answer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const done of waiting) done(undefined);
    await this.release();
  }
}

/** Pool size 0: each job verified at once on the caller's thread. */
export class InlineVerifier implements Verifier {
  readonly outstanding = 0;
  readonly full = false;
  constructor(readonly queueMax = Infinity) {}
  submit(job: VerifyJob, done: VerifyDone): void {
    done(runVerifyJob(job));
  }
  async close(): Promise<void> {}
}

interface Pending {
  job: VerifyJob;
  done: VerifyDone;
}

interface Slot {
  worker: Worker | undefined;
  /** Batches posted and not answered, by id. */
  inflight: Map<number, Pending[]>;
  /** Jobs posted and not answered. */
  load: number;
  /** Set once the worker answered anything (or said it was ready). */
  started: boolean;
  /** Deaths in a row before the worker started. */
  failedStarts: number;
}

/** Batches posted to one worker and not answered, past which jobs wait and join the next batch. */
const MAX_BATCHES_IN_FLIGHT = 2;

/** Starts after a worker that never started, in a row, before the pool gives up on threads. */
const MAX_FAILED_STARTS = 3;

export class VerifyPool implements Verifier {
  /** Counters for tests and the bench. */
  readonly stats = { batches: 0, replaced: 0, inline: 0, idleInline: 0 };
  private readonly slots: Slot[];
  private pending: Pending[] = [];
  private count = 0;
  private flushScheduled = false;
  private closed = false;
  private broken = false;
  private nextBatch = 1;
  private inlineThisTick = 0;
  private readonly idleInline: number;

  constructor(private readonly opts: VerifyPoolOptions) {
    this.idleInline = opts.idleInlinePerTick ?? IDLE_INLINE_PER_TICK;
    this.slots = Array.from({ length: opts.threads }, () => ({ worker: undefined, inflight: new Map(), load: 0, started: false, failedStarts: 0 }));
  }

  get outstanding(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.opts.queueMax;
  }

  get queueMax(): number {
    return this.opts.queueMax;
  }

  /** Workers loaded and taking jobs. */
  get startedWorkers(): number {
    return this.slots.filter((s) => s.started).length;
  }

  /** The live worker threads (tests end one to check that its jobs are still answered). */
  get workers(): Worker[] {
    return this.slots.flatMap((s) => (s.worker ? [s.worker] : []));
  }

  submit(job: VerifyJob, done: VerifyDone): void {
    if (this.closed) return done(undefined);
    if (this.count === 0 && this.inlineThisTick < this.idleInline) {
      if (this.inlineThisTick++ === 0) setImmediate(() => (this.inlineThisTick = 0));
      this.stats.idleInline++;
      return done(runVerifyJob(job));
    }
    if (this.broken || !this.ready()) {
      // Until a worker is up (a worker takes a while to load), items are verified here, at once.
      this.stats.inline++;
      return done(runVerifyJob(job));
    }
    this.count++;
    this.pending.push({ job, done });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const waiting = [...this.pending, ...this.slots.flatMap((s) => [...s.inflight.values()].flat())];
    this.pending = [];
    const workers = this.workers;
    for (const s of this.slots) {
      s.inflight.clear();
      s.worker = undefined;
    }
    this.count = 0;
    for (const p of waiting) p.done(undefined);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /**
   * Posts the waiting jobs, split evenly into one batch per worker that has fewer than
   * MAX_BATCHES_IN_FLIGHT, the least loaded first. When every worker has that many, the jobs wait for
   * the next answer: under load batches grow instead of multiplying (a post costs as much as a few jobs).
   */
  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.pending.length === 0) return;
    const started = this.slots.filter((s) => s.started);
    if (this.broken || started.length === 0) {
      const jobs = this.pending;
      this.pending = [];
      this.count -= jobs.length;
      for (const p of jobs) this.answerInline(p);
      return;
    }
    const order = started.filter((s) => s.inflight.size < MAX_BATCHES_IN_FLIGHT).sort((a, b) => a.load - b.load);
    if (order.length === 0) return; // an answer will flush
    const jobs = this.pending;
    this.pending = [];
    const per = Math.ceil(jobs.length / order.length);
    for (let i = 0, at = 0; at < jobs.length; i++, at += per) this.post(order[i]!, jobs.slice(at, at + per));
  }

  /** True once a worker can take jobs; starts the missing workers. */
  private ready(): boolean {
    let any = false;
    for (const slot of this.slots) {
      slot.worker ??= this.spawn(slot);
      any ||= slot.started;
    }
    return any;
  }

  private post(slot: Slot, items: Pending[]): void {
    const worker = slot.worker!;
    const id = this.nextBatch++;
    const batch: VerifyBatch = { id, ...packBatch(items.map((p) => p.job)) };
    slot.inflight.set(id, items);
    if (slot.load === 0) worker.ref(); // busy: keeps the process alive until its answers are in
    slot.load += items.length;
    this.stats.batches++;
    worker.postMessage(batch, [batch.kinds.buffer, batch.ends.buffer, batch.bytes.buffer] as ArrayBuffer[]);
  }

  private spawn(slot: Slot): Worker {
    const worker = startWorker();
    worker.on('message', (m: VerifyAnswer | 'ready') => {
      if (slot.worker !== worker) return;
      slot.started = true;
      slot.failedStarts = 0;
      if (m === 'ready') return;
      const items = slot.inflight.get(m.id);
      if (!items) return;
      slot.inflight.delete(m.id);
      slot.load -= items.length;
      if (slot.load === 0) worker.unref(); // idle: never what keeps the process alive
      this.count -= items.length;
      for (let i = 0; i < items.length; i++) items[i]!.done(m.verdicts[i] === 1);
      if (this.pending.length > 0) this.scheduleFlush();
    });
    worker.on('error', (err) => {
      this.opts.log?.error({ err: err.message }, 'signature verify worker failed');
    });
    worker.on('exit', () => {
      if (slot.worker !== worker || this.closed) return;
      this.onDeath(slot);
    });
    worker.unref(); // after the listeners, which would ref it again; ref'd only while it has jobs
    return worker;
  }

  /** A worker died: its jobs are verified here and answered, and the next batch starts a new worker. */
  private onDeath(slot: Slot): void {
    const lost = [...slot.inflight.values()].flat();
    slot.inflight.clear();
    slot.load = 0;
    slot.worker = undefined;
    if (!slot.started) slot.failedStarts++;
    slot.started = false;
    this.stats.replaced++;
    if (slot.failedStarts >= MAX_FAILED_STARTS && !this.broken) {
      this.broken = true;
      this.opts.log?.error({ tries: slot.failedStarts }, 'signature verify workers do not start: verifying on the main thread');
    }
    this.count -= lost.length;
    for (const p of lost) this.answerInline(p);
    if (this.pending.length > 0) this.scheduleFlush();
  }

  private answerInline(p: Pending): void {
    this.stats.inline++;
    p.done(runVerifyJob(p.job));
  }
}

/** The worker script next to this module: .js when built, .ts under tsx or vitest (tsx's loader registered first). */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./verify-worker.js', here));
  const tsxApi = pathToFileURL(createRequire(here).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const script = new URL('./verify-worker.ts', here).href;
  const boot = `const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(script)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`));
}
