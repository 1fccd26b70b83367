/**
 * Run as its own process by test/verify-pool.test.ts (and by hand against the build: the first
 * argument is the verify-pool module to load, src/ or dist/). Verifies a genuine and a forged
 * transaction on a pool of 2 workers, prints the verdicts as JSON, and never closes the pool: the
 * process must still exit on its own (workers are unref'd).
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { TestKey } from './validators.js';
import { forgedTransaction, signedTransaction } from './transactions.js';

const modulePath = process.argv[2] ?? new URL('../../src/relay/verify-pool.ts', import.meta.url).pathname;
const { VerifyPool } = (await import(pathToFileURL(resolve(modulePath)).href)) as typeof import('../../src/relay/verify-pool.js');
// No idle inline checks: the first job starts the workers and the rest go to them.
const pool = new VerifyPool({ threads: 2, queueMax: 100, idleInlinePerTick: 0 });
const key = TestKey.random();
const jobs = [signedTransaction(key, 1), forgedTransaction(key, 2), signedTransaction(key, 3)];
// The first job starts the workers (and is verified at once); the rest wait until they are up.
pool.submit({ kind: 'transaction', raw: jobs[0]! }, () => {});
while (pool.startedWorkers < 2) await new Promise((r) => setTimeout(r, 20));
const verdicts = await Promise.all(jobs.map((raw) => new Promise((done) => pool.submit({ kind: 'transaction', raw }, done))));
console.log(JSON.stringify({ verdicts, batches: pool.stats.batches }));
