/**
 * A verify-pool worker thread (verify-pool.ts): runs each batch of signature jobs it is posted and
 * answers one verdict per job, in order (1: relay, 0: verifiably bad signature).
 */
import { parentPort } from 'node:worker_threads';
import { runVerifyJob, unpackBatch, type PackedBatch } from './verify-jobs.js';

export interface VerifyBatch extends PackedBatch {
  id: number;
}

export interface VerifyAnswer {
  id: number;
  verdicts: Uint8Array;
}

parentPort?.on('message', (batch: VerifyBatch) => {
  const jobs = unpackBatch(batch);
  const verdicts = new Uint8Array(jobs.length);
  for (let i = 0; i < jobs.length; i++) verdicts[i] = runVerifyJob(jobs[i]!) ? 1 : 0;
  const answer: VerifyAnswer = { id: batch.id, verdicts };
  parentPort!.postMessage(answer, [verdicts.buffer]);
});
parentPort?.postMessage('ready');
