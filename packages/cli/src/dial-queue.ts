import type { Queue } from 'bullmq';
import type { DialRequest } from '@voicebridge/protocol';

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
