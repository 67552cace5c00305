import { agentConfigOf, type CallJob, type ConversationState, type ScriptedAgentConfig } from '@voicebridge/protocol';
import { DEFAULT_SOUND_THRESHOLD, PronunciationMatcher } from '../scripted/pronunciation-matcher.ts';
import type { PronouncingDictionary } from '../scripted/pronouncing-dictionary.ts';
import { ScriptedDialogue } from '../scripted/scripted-dialogue.ts';
import { scriptedResumeLine } from '../scripted/scripted-resume.ts';
import type { SpeechToText } from '../stt/speech-to-text.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import { BargeInDetector } from '../turns/barge-in-detector.ts';
import { speakInterruptibly } from '../turns/interruptible-speech.ts';
import { greetingPause } from './greeting-pause.ts';
import { speakGreeting } from '../turns/interruptible-greeting.ts';
import { speak } from './agent-context.ts';
import type { AgentKind, CallContext } from './agent-kind.ts';
import { checkEngines } from './engine-check.ts';
import { ScriptedCallEvents } from './scripted-call-events.ts';

/** Said by the caller, it ends the call after a farewell (unless the number configures that word). */
const GOODBYE = /\b(goodbye|good bye|bye bye)\b/i;

export interface ScriptedAgentOptions {
  job: CallJob;
  stt: SpeechToText;
  tts: TextToSpeech;
  /** Keywords are also matched by how they sound, through it (shared by the process's calls). */
  pronunciations?: PronouncingDictionary;
}

/**
 * The offline default: greets, recognises what the caller says with the offline recogniser
 * (biased towards the number's keywords), answers the configured text for a keyword, else the
 * fallback that says what it heard; "goodbye" ends the call. Deterministic: what it answers
 * follows from what it heard. Key presses and hold are answered once the greeting is over.
 */
export class ScriptedAgent implements AgentKind {
  readonly #config: ScriptedAgentConfig;
  readonly #job: CallJob;
  readonly #stt: SpeechToText;
  readonly #tts: TextToSpeech;
  readonly #dialogue: ScriptedDialogue;
  readonly #pronunciations: PronouncingDictionary | undefined;
  #events: ScriptedCallEvents | undefined;

  constructor(options: ScriptedAgentOptions) {
    this.#job = options.job;
    this.#config = agentConfigOf(options.job.config.agent, 'scripted');
    this.#stt = options.stt;
    this.#tts = options.tts;
    this.#pronunciations = options.pronunciations;
    const sounds = this.#pronunciations && new PronunciationMatcher(this.#pronunciations, DEFAULT_SOUND_THRESHOLD);
    this.#dialogue = new ScriptedDialogue(this.#config, sounds);
  }

  /** Runs on the worker's own engines: accepts when its voice exists here. */
  prepare(): Promise<void> {
    return checkEngines(this.#job, this.#tts);
  }

  async run(call: CallContext): Promise<void> {
    const loading = this.#loadPronunciations(call);
    await greetingPause(call);
    await speakGreeting(call, this.#tts, this.#dialogue.greeting());
    await loading;
    await this.#converse(call);
  }

  /** Taken over: one short line (`scriptedResumeLine`) instead of the greeting, the caller heard meanwhile. */
  async resume(call: CallContext, state: ConversationState): Promise<void> {
    await this.#loadPronunciations(call);
    await this.#converse(call, scriptedResumeLine(state, this.#dialogue));
  }

  onDtmf(digit: string): void {
    this.#events?.dtmf(digit);
  }

  onHold(held: boolean): void {
    this.#events?.hold(held);
  }

  say(call: CallContext, text: string): Promise<boolean> {
    return speak(call, this.#tts, text);
  }

  close(): void {
    this.#events = undefined;
  }

  /** Without the dictionary the agent still matches keywords by spelling: worth a warning, not the call. */
  async #loadPronunciations(call: CallContext): Promise<void> {
    if (!this.#pronunciations) return;
    try {
      await this.#pronunciations.load(call.signal);
    } catch (error) {
      if (!call.signal.aborted)
        call.log.warn(
          { err: String(error), path: this.#pronunciations.path },
          'pronouncing dictionary not read: keywords match by spelling only',
        );
    }
  }

  /** Listens and answers; `opening` (a takeover's line) is said interruptibly while it already listens. */
  async #converse(call: CallContext, opening?: string): Promise<void> {
    const { signal, log } = call;
    this.#events = new ScriptedCallEvents(call, this.#tts);
    const keywords = [...this.#config.answers.map((a) => a.keyword), 'goodbye'];
    const configuresGoodbye = this.#config.answers.some((a) => GOODBYE.test(a.keyword));
    // The caller may talk over an answer (and the greeting, unless the number says not; never the farewell): see docs/conversation.md.
    const bargeIn = new BargeInDetector();
    const unobserve = call.observeCallerFrames((frame) => bargeIn.onCallerFrame(frame.samples));
    const openingSaid =
      opening === undefined
        ? Promise.resolve()
        : speakInterruptibly(call, this.#tts, opening, bargeIn).then(
            () => undefined,
            (error: unknown) => void (signal.aborted || log.warn({ err: error }, 'resume line not said')),
          );
    try {
      const transcripts = this.#stt.transcribe(call.callerAudio, {
        sampleRateHz: 8000,
        keywords,
        signal,
        onSpeechStart: () => bargeIn.onSpeechStart(),
      });
      for await (const transcript of transcripts) {
        if (!transcript.final || transcript.text.trim() === '') continue;
        if (call.held) continue; // what the recogniser finishes after a hold is not answered
        if (bargeIn.absorbs(transcript.text)) continue; // a cough or "mm-hm" the answer resumed over
        await openingSaid; // cut already when the caller talked over it
        call.transcript('caller', transcript.text);
        call.turns.heard();
        if (!configuresGoodbye && GOODBYE.test(transcript.text)) {
          await speak(call, this.#tts, 'Thank you for calling. Goodbye.');
          call.hangup('agent-hangup');
          return;
        }
        const answer = this.#dialogue.reply(transcript.text);
        call.turns.answering();
        log.debug({ heard: transcript.text, said: answer }, 'turn');
        await speakInterruptibly(call, this.#tts, answer, bargeIn);
      }
    } finally {
      await openingSaid;
      unobserve();
    }
  }
}
