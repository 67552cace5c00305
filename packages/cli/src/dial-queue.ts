import type { Queue } from 'bullmq';
import { DialRequestSchema, type DialRequest } from '@voicebridge/protocol';

/** How long finished dial jobs stay visible in the queue (the record is the lasting trace). */
const KEEP_FINISHED_S = 86_400;

/**
 * Puts a checked dial on the `dial` queue, jobId = callId so a resubmission cannot double it. A job
 * that throws is retried (attempts); a job whose worker died is handed to another by BullMQ's
 * stalled check. Either way the worker finds `inviteSentAt` and never redials a call whose INVITE
 * left (DialWorker).
 */
export function dialEnqueuer(queue: Queue): (request: DialRequest) => Promise<void> {
  return async (request) => {
    await queue.add('dial', request, {
      jobId: request.callId,
      attempts: 3,
      backoff: { type: 'fixed', delay: 1000 },
      removeOnComplete: { age: KEEP_FINISHED_S },
      removeOnFail: { age: KEEP_FINISHED_S },
    });
  };
}

/**
 * Takes a dial off the queue while it waits (waiting or delayed): its request, or undefined when
 * there is no such job or a node has it already (active, done). Removing an active job throws.
 */
export function dialCanceller(queue: Queue): (callId: string) => Promise<DialRequest | undefined> {
  return async (callId) => {
    const job = await queue.getJob(callId);
    if (job === undefined) return undefined;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') {
      if (state === 'active') throw new Error(`dial ${callId} is being placed`);
      return undefined;
    }
    await job.remove();
    return DialRequestSchema.parse(job.data);
  };
}
