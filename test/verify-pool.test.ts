/**
 * The signature verify pool (src/relay/verify-pool.ts) with real worker threads: real signed and
 * forged transactions judged on the workers, a worker that dies mid-batch, the queue bound, close,
 * a process that exits with the pool left open, and relay through the pool over the wire.
 * Addresses: 127.0.150.1-3, ephemeral ports.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTransactionSignature } from '../src/ledger/signatures.js';
import { createVerifier, IDLE_INLINE_PER_TICK, PoolShare, VerifyPool, type VerifyDone } from '../src/relay/verify-pool.js';
import { packBatch, unpackBatch, type VerifyJob } from '../src/relay/verify-jobs.js';
import { portOf, startNode, stopAllNodes, waitFor } from './support/nodes.js';
import { forgedTransaction, signedTransaction } from './support/transactions.js';
import { TestKey } from './support/validators.js';

const pools: VerifyPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  await stopAllNodes();
});

const key = TestKey.random();
/** Every 5th forged: [raw, genuine?]. */
const items = (n: number, from = 1): [Buffer, boolean][] =>
  Array.from({ length: n }, (_, i) => (i % 5 === 4 ? [forgedTransaction(key, from + i), false] : [signedTransaction(key, from + i), true]));
const txJob = (raw: Buffer): VerifyJob => ({ kind: 'transaction', raw });

/** A pool of 2 with both workers loaded (the job that starts them is verified inline). Loading TypeScript in a worker takes seconds on a loaded machine: 60 s. */
async function readyPool(queueMax = 10_000): Promise<VerifyPool> {
  // No idle inline checks: every job after the first goes to the workers, whatever the timing.
  const pool = new VerifyPool({ threads: 2, queueMax, idleInlinePerTick: 0 });
  pools.push(pool);
  pool.submit(txJob(signedTransaction(key, 1)), () => {});
  await waitFor('both workers loaded', () => pool.startedWorkers === 2, 60_000);
  return pool;
}

function submitAll(pool: VerifyPool, list: [Buffer, boolean][]): { answers: (boolean | undefined)[]; answered: () => number } {
  const answers: (boolean | undefined)[] = new Array(list.length);
  let n = 0;
  list.forEach(([raw], i) => {
    const done: VerifyDone = (ok) => {
      answers[i] = ok;
      n++;
    };
    pool.submit(txJob(raw), done);
  });
  return { answers, answered: () => n };
}

describe('verify pool', () => {
  it('idle, checks the first jobs of a tick on the event loop and starts no thread; a burst goes to the workers', { timeout: 90_000 }, async () => {
    const pool = new VerifyPool({ threads: 2, queueMax: 10_000 });
    pools.push(pool);
    const list = items(IDLE_INLINE_PER_TICK + 3, 900);
    const { answers, answered } = submitAll(pool, list.slice(0, IDLE_INLINE_PER_TICK));
    // Answered inside submit: no hop to a worker.
    expect(answered()).toBe(IDLE_INLINE_PER_TICK);
    expect(answers).toEqual(list.slice(0, IDLE_INLINE_PER_TICK).map(([, genuine]) => genuine));
    expect(pool.stats.idleInline).toBe(IDLE_INLINE_PER_TICK);
    expect(pool.workers).toHaveLength(0);
    // The same tick's next jobs are past the idle share: the first of them starts the workers.
    const rest = list.slice(IDLE_INLINE_PER_TICK);
    const burst = submitAll(pool, rest);
    expect(pool.stats.idleInline).toBe(IDLE_INLINE_PER_TICK);
    expect(pool.workers.length).toBeGreaterThan(0);
    await waitFor('the burst answered', () => burst.answered() === rest.length, 60_000);
    expect(burst.answers).toEqual(rest.map(([, genuine]) => genuine));
  });

  it('posts a batch as one buffer that gives back every job, proposals included, byte for byte', () => {
    const proposal: VerifyJob = {
      kind: 'proposal', proposeSeq: 0xfffffffe, closeTime: 812345678, previousledger: Buffer.alloc(32, 1), currentTxHash: Buffer.alloc(32, 2),
      nodePubKey: Buffer.concat([Buffer.from([3]), Buffer.alloc(32, 3)]), signature: Buffer.alloc(71, 4),
    };
    const jobs: VerifyJob[] = [txJob(signedTransaction(key, 7)), proposal, { kind: 'validation', raw: Buffer.alloc(90, 5) }, txJob(Buffer.alloc(0))];
    const normal = (j: VerifyJob) => JSON.parse(JSON.stringify(j, (_k, v) => (v instanceof Uint8Array || v?.type === 'Buffer' ? Buffer.from(v.data ?? v).toString('hex') : v)));
    expect(unpackBatch(packBatch(jobs)).map(normal)).toEqual(jobs.map(normal));
  });

  it('judges real signed transactions and forgeries on the worker threads, one verdict per job', { timeout: 90_000 }, async () => {
    const list = items(60);
    expect(list.filter(([, ok]) => !ok).every(([raw]) => checkTransactionSignature(raw).verdict === 'invalid')).toBe(true);
    const pool = await readyPool();
    const inlineBefore = pool.stats.inline;
    const { answers, answered } = submitAll(pool, list);
    expect(pool.outstanding).toBe(60);
    await waitFor('every job answered', () => answered() === 60, 30_000);
    expect(answers).toEqual(list.map(([, ok]) => ok));
    expect(pool.stats.inline).toBe(inlineBefore); // all of them on the workers
    expect(pool.stats.batches).toBe(2); // one tick's jobs: one batch per worker
    expect(pool.outstanding).toBe(0);
  });

  it('answers the jobs of a worker that dies mid-batch, and starts another in its place', { timeout: 90_000 }, async () => {
    const pool = await readyPool();
    const list = items(1000, 100);
    const { answers, answered } = submitAll(pool, list);
    await new Promise((r) => setImmediate(r)); // posted: about 500 jobs (some 25 ms of work) each
    const victim = pool.workers[0]!;
    const inlineBefore = pool.stats.inline;
    await victim.terminate();
    await waitFor('every job answered', () => answered() === 1000, 30_000);
    expect(answers).toEqual(list.map(([, ok]) => ok));
    expect(pool.stats.replaced).toBe(1);
    expect(pool.stats.inline).toBeGreaterThan(inlineBefore); // the dead worker's jobs, verified here
    pool.submit(txJob(signedTransaction(key, 5000)), () => {}); // the next job starts the replacement
    await waitFor('a new worker in its place', () => pool.startedWorkers === 2 && !pool.workers.includes(victim), 60_000);
  });

  it('says full at its bound and takes jobs again once they are answered', { timeout: 90_000 }, async () => {
    const pool = await readyPool(5);
    const { answered } = submitAll(pool, items(5, 200));
    expect(pool.full).toBe(true);
    await waitFor('answered', () => answered() === 5, 30_000);
    expect(pool.full).toBe(false);
    expect(pool.outstanding).toBe(0);
  });

  it('answers the jobs still waiting when it closes as never verified, and ends its threads', { timeout: 90_000 }, async () => {
    const pool = await readyPool();
    const threads = pool.workers;
    const exited = threads.map((w) => new Promise((r) => w.once('exit', r)));
    const { answers, answered } = submitAll(pool, items(20, 300));
    await pool.close();
    expect(answered()).toBe(20);
    expect(answers).toEqual(new Array(20).fill(undefined));
    await Promise.all(exited);
    expect(pool.workers).toEqual([]);
    let late: boolean | undefined | 'none' = 'none';
    pool.submit(txJob(signedTransaction(key, 1)), (ok) => (late = ok));
    expect(late).toBeUndefined();
  });

  it('gives the overlays of one process one pool, each with its own bound, closed with the last of them', { timeout: 90_000 }, async () => {
    const a = createVerifier({ threads: 2, queueMax: 3, idleInlinePerTick: 0 }) as PoolShare;
    const b = createVerifier({ threads: 2, queueMax: 100, idleInlinePerTick: 0 }) as PoolShare;
    expect(a.pool).toBe(b.pool);
    a.submit(txJob(signedTransaction(key, 1)), () => {}); // starts the workers (verified inline)
    await waitFor('both workers loaded', () => a.pool.startedWorkers === 2, 60_000);
    const got: (boolean | undefined)[] = [];
    for (const [raw] of items(3, 400)) a.submit(txJob(raw), (ok) => got.push(ok));
    expect(a.full).toBe(true);
    expect(b.full).toBe(false);
    await a.close(); // its jobs answered as never verified at once; the pool stays for b
    expect(got).toEqual([undefined, undefined, undefined]);
    const threads = b.pool.workers;
    expect(threads).toHaveLength(2);
    const verdicts = await Promise.all(items(5, 500).map(([raw]) => new Promise((r) => b.submit(txJob(raw), r))));
    expect(verdicts).toEqual([true, true, true, true, false]);
    const exited = threads.map((w) => new Promise((r) => w.once('exit', r)));
    await b.close();
    await Promise.all(exited);
    const next = createVerifier({ threads: 2, queueMax: 1 }) as PoolShare;
    expect(next.pool).not.toBe(a.pool); // a new pool for the next user
    await next.close();
  });

  it('loads its workers from TypeScript sources under tsx, and does not keep the process alive', { timeout: 120_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/verify-pool-child.ts'], { cwd: new URL('..', import.meta.url).pathname });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    // The child never closes its pool: it must exit by itself once its work is done.
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(out).toContain('"verdicts":[true,false,true]');
    expect(code).toBe(0);
    expect(JSON.parse(out.trim().split('\n').pop()!).batches).toBeGreaterThan(0);
  });
});

describe('relay through the verify pool on the wire', () => {
  it('relays real signed transactions verified on the workers, in the order sent, and charges the forgeries', { timeout: 120_000 }, async () => {
    const HUB = '127.0.150.1';
    const hub = await startNode({ ip: HUB, port: 0, overlay: ['verify_threads = 2'] });
    const fixed = `[peer_private]\n1\n[ips_fixed]\n${HUB} ${portOf(hub)}`;
    const sender = await startNode({ ip: '127.0.150.2', port: 0, extra: fixed });
    const receiver = await startNode({ ip: '127.0.150.3', port: 0, extra: fixed });
    await waitFor('both connected to the hub', () => hub.overlay.peers().length === 2 && sender.overlay.peers().length === 1 && receiver.overlay.peers().length === 1);
    const heard: string[] = [];
    receiver.overlay.on('message', (_p, m) => {
      if (m.name === 'TRANSACTION') heard.push(m.message.rawTransaction.toString('hex'));
    });
    const toHub = sender.overlay.peers()[0]!;
    const pool = (hub.overlay.verifyPool as PoolShare).pool;
    // A first burst (one write: a tick's frames leave together) is more than the idle pool checks
    // inline, so it starts the hub's workers (its jobs verified inline meanwhile).
    const firstBurst = Array.from({ length: IDLE_INLINE_PER_TICK + 4 }, (_, i) => signedTransaction(key, 990 + i));
    for (const raw of firstBurst) toHub.send('TRANSACTION', { rawTransaction: raw, status: 1 });
    await waitFor('the hub\'s workers loaded', () => pool.startedWorkers === 2, 60_000);
    const senderAtHub = hub.overlay.peers().find((x) => x.info.n9 === sender.identity.n9)!;
    const before = senderAtHub.resource.balance;
    const batchesBefore = pool.stats.batches;
    const list = items(100, 1001);
    for (const [raw] of list) toHub.send('TRANSACTION', { rawTransaction: raw, status: 1 });
    const genuine = list.filter(([, ok]) => ok).map(([raw]) => raw.toString('hex'));
    await waitFor('every genuine transaction at the receiver', () => heard.length >= genuine.length + firstBurst.length, 30_000);
    expect(heard).toEqual([...firstBurst.map((raw) => raw.toString('hex')), ...genuine]); // in the order sent, no forgery
    expect(pool.stats.batches).toBeGreaterThan(batchesBefore);
    // 20 bad signatures at rippled's 2000 each, divided by the 32 s window; plain messages cost 1 each.
    await waitFor('the forgeries charged', () => senderAtHub.resource.balance - before > 20 * 60, 30_000);
  });
});
