import type { CallJob } from '@voicebridge/protocol';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import { AgentRefusal } from './agent-kind.ts';

/**
 * The check every kind that speaks through the worker's engines makes in `prepare`: the number's
 * voice exists here. Refused before the answer (`agent-misconfigured`, the reason listing the valid
 * voices) rather than answered and hung up when the greeting cannot be synthesised.
 */
export function checkEngines(job: CallJob, tts: TextToSpeech): Promise<void> {
  const problem = tts.voiceProblem?.(job.config.engines?.tts?.voice);
  return problem === undefined ? Promise.resolve() : Promise.reject(new AgentRefusal('VB_CONFIG_INVALID', problem));
}
