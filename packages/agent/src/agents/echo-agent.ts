import { agentConfigOf, type CallJob, type EchoAgentConfig } from '@voicebridge/protocol';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import { greetingPause } from './greeting-pause.ts';
import { speak } from './agent-context.ts';
import type { AgentKind, CallContext } from './agent-kind.ts';
import { checkEngines } from './engine-check.ts';

export interface EchoAgentOptions {
  job: CallJob;
  /** Says the number's greeting and the guards' lines. */
  tts: TextToSpeech;
}

/**
 * Plays the caller's audio straight back: an operator's line check (one-way audio, codec, latency
 * by ear) and the cheapest agent for load tests. Audio heard during the greeting is not echoed.
 */
export class EchoAgent implements AgentKind {
  readonly #config: EchoAgentConfig;
  readonly #job: CallJob;
  readonly #tts: TextToSpeech;

  constructor(options: EchoAgentOptions) {
    this.#job = options.job;
    this.#config = agentConfigOf(options.job.config.agent, 'echo');
    this.#tts = options.tts;
  }

  /** Needs nothing outside the worker: accepts when its voice exists here. */
  prepare(): Promise<void> {
    return checkEngines(this.#job, this.#tts);
  }

  async run(call: CallContext): Promise<void> {
    await greetingPause(call);
    if (this.#config.greeting) await speak(call, this.#tts, this.#config.greeting);
    await this.#echo(call);
  }

  /** Taken over mid-call: the caller was greeted already. */
  resume(call: CallContext): Promise<void> {
    return this.#echo(call);
  }

  say(call: CallContext, text: string): Promise<boolean> {
    return speak(call, this.#tts, text);
  }

  close(): void {}

  async #echo(call: CallContext): Promise<void> {
    // What the caller said over the greeting is not echoed: start from live audio.
    call.callerAudio.clear();
    for await (const frame of call.callerAudio) await call.audio.write(frame);
  }
}
