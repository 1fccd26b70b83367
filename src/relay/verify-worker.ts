/**
 * A verify-pool worker thread (verify-pool.ts): runs each batch of signature jobs it is posted and
 * answers one verdict per job, in order (1: relay, 0: verifiably bad signature).
 */
import { parentPort } from 'node:worker_threads';
import { runVerifyJob, type VerifyJob } from './verify-jobs.js';

export interface VerifyBatch {
  id: number;
  jobs: VerifyJob[];
}

export interface VerifyAnswer {
  id: number;
  verdicts: Uint8Array;
}

parentPort?.on('message', (batch: VerifyBatch) => {
  const verdicts = new Uint8Array(batch.jobs.length);
  for (let i = 0; i < batch.jobs.length; i++) verdicts[i] = runVerifyJob(batch.jobs[i]!) ? 1 : 0;
  const answer: VerifyAnswer = { id: batch.id, verdicts };
  parentPort!.postMessage(answer, [verdicts.buffer]);
});
parentPort?.postMessage('ready');
