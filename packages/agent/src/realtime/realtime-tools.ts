import type { CallJob, RealtimeAgentConfig } from '@voicebridge/protocol';
import type { Logger } from 'pino';
import type { CallContext } from '../agents/agent-kind.ts';
import { CallTools } from '../agents/call-tools.ts';
import type { RealtimeAgentOptions } from './realtime-agent-options.ts';

/**
 * The tools a realtime number's model may call, as an `llm` number's: end_call, send_dtmf,
 * transfer_call (the number's allow-list; what was said before is heard first) and webhooks.
 * `call` is the call once it was answered.
 */
export function realtimeTools(
  job: CallJob,
  config: RealtimeAgentConfig,
  options: RealtimeAgentOptions,
  call: () => CallContext | undefined,
  log: Logger,
): CallTools {
  return new CallTools({
    callId: job.callId,
    number: job.number,
    webhooks: config.tools ?? [],
    http: options.outbound,
    insecure: job.config.insecure === true,
    dtmf: { telephoneEvent: () => call()?.telephoneEvent, send: (digits) => call()?.sendDtmf(digits) },
    transfer: {
      targets: job.config.transferTargets ?? [],
      run: async (target, signal) => {
        const current = call();
        if (!current) throw new Error('no call yet');
        await current.audio.mark(signal);
        return current.transfer(target, signal);
      },
    },
    log,
  });
}
