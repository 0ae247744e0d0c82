/**
 * Worker-thread entry of `floodgate compare`: runs the jobs it is sent, one at a time, and posts
 * back { id, figures } or { id, error } (known errors keep their code and message).
 */
import { parentPort } from 'node:worker_threads';
import { FloodgateError } from '../errors.ts';
import { type CompareJob, runJob } from './job.ts';

parentPort?.on('message', async (msg: { id: number; job: CompareJob }) => {
  try {
    parentPort!.postMessage({ id: msg.id, figures: await runJob(msg.job) });
  } catch (e) {
    const known = e instanceof FloodgateError;
    parentPort!.postMessage({
      id: msg.id,
      error: { message: (e as Error).message, code: known ? e.code : undefined, stack: (e as Error).stack },
    });
  }
});
