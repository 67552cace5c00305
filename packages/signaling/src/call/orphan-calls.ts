import type { CallRecord } from '@voicebridge/protocol';
import type { CallRecordRepository } from '@voicebridge/store';
import type { SipStack } from '@voicebridge/sip';
import type { Logger } from 'pino';
import type { MediaPool } from './media-pool.ts';
import { sendOrphanByes } from './orphan-bye.ts';

/**
 * On start, a record of this node still marked live belongs to a signaling process that is gone
 * (the node lease says no other runs this node): nobody will ever end it, so it is closed here with
 * `bridge-restart`. Other nodes' calls are theirs; records without a node id (written before node
 * ids) belong to the first node that sweeps them.
 * `onOrphan` is told each one: a media worker that outlived the old signaling (restarted within
 * its orphan grace) still runs the call and its agent, and the caller is still on the line.
 * Returns how many were closed.
 */
export async function closeOrphanCalls(
  records: Pick<CallRecordRepository, 'listLive' | 'update'>,
  nodeId: string,
  log: Logger,
  onOrphan?: (record: CallRecord) => void,
): Promise<number> {
  const live = await records.listLive({
    nodeId,
    onCorrupt: (error) => log.warn({ err: error }, 'corrupt call record skipped'),
  });
  const endedAtMs = Date.now();
  for (const record of live) {
    await records.update(record.callId, {
      status: 'ended',
      endedAtMs,
      verdict: { by: 'bridge', reason: 'bridge-restart', detail: `was ${record.status} when signaling started` },
    });
    log.warn(
      { callId: record.callId, sipCallId: record.sipCallId, status: record.status },
      'call left live by an earlier run closed: bridge-restart',
    );
    onOrphan?.(record);
  }
  return live.length;
}

/**
 * The start-up sweep: `closeOrphanCalls`, each orphan's media closed on every worker, and each caller sent a BYE.
 * Media is not awaited: a worker may connect later (or be gone too, which ended the call already), and each is told
 * as soon as it is connected. The BYEs leave at once: those callers have been on a dead line since the crash, and the
 * ports are bound.
 */
export async function endOrphanCalls(options: {
  records: Pick<CallRecordRepository, 'listLive' | 'update'>;
  nodeId: string;
  media: Pick<MediaPool, 'closeCallEverywhere'>;
  stack: SipStack;
  userAgent: string;
  log: Logger;
}): Promise<void> {
  const { media, log } = options;
  const orphans: CallRecord[] = [];
  await closeOrphanCalls(options.records, options.nodeId, log, (record) => {
    orphans.push(record);
    void media.closeCallEverywhere(record.callId, 'bridge-restart');
  });
  sendOrphanByes(options.stack, orphans, { userAgent: options.userAgent, log });
}
