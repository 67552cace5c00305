import { OPENAI_REALTIME_URL, type CallJob, type RealtimeAgentConfig } from '@voicebridge/protocol';
import type { Logger } from 'pino';
import type { RealtimeAgentOptions } from './realtime-agent-options.ts';
import { RealtimeSession } from './realtime-session.ts';
import { sessionUpdate, type G711Format } from './realtime-wire.ts';

/** What opening one call's model session needs besides its instructions. */
export interface RealtimeOpenOptions {
  job: CallJob;
  config: RealtimeAgentConfig;
  policy: RealtimeAgentOptions['policy'];
  headers: Record<string, string>;
  format: G711Format;
  tools: Parameters<typeof sessionUpdate>[0]['tools'];
  log: Logger;
}

/** The session URL: the number's (or OpenAI's) with the model as `?model=`. */
export function realtimeUrl(config: RealtimeAgentConfig): URL {
  const url = new URL(config.realtime.url ?? OPENAI_REALTIME_URL);
  url.searchParams.set('model', config.realtime.model);
  return url;
}

/** The URL policy's check without connecting (a call prepared before its INVITE connects at the answer). */
export function checkRealtimeUrl(options: Pick<RealtimeOpenOptions, 'job' | 'config' | 'policy'>): void {
  options.policy.check(
    realtimeUrl(options.config).href,
    'websocket',
    options.job.config.insecure === true,
    'agent.realtime.url',
  );
}

/** Opens and configures the model's session (`session.update` with the prompt, voice, format, tools). */
export function openRealtime(
  o: RealtimeOpenOptions,
  instructions: string,
  signal: AbortSignal,
): Promise<RealtimeSession> {
  const model = o.config.realtime;
  return RealtimeSession.open(
    {
      url: realtimeUrl(o.config).href,
      headers: o.headers,
      keyName: `agent.realtime.apiKeyEnv ($${model.apiKeyEnv ?? 'none'})`,
      policy: o.policy,
      insecure: o.job.config.insecure === true,
      connectTimeoutMs: model.connectTimeoutMs,
      sessionUpdate: sessionUpdate({ config: o.config, format: o.format, tools: o.tools, instructions }),
      log: o.log,
    },
    signal,
  );
}
