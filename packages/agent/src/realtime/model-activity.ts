import type { ServerEvent } from './realtime-wire.ts';

/**
 * What is under way on a call's model session, from its events: a response (between
 * `response.created` and `response.done`), the caller talking (between `speech_started` and
 * `speech_stopped`), tools running. A session is switched only when none is (a renewal).
 */
export class ModelActivity {
  responding = false;
  callerSpeaking = false;
  toolsRunning = 0;

  onEvent(event: ServerEvent): void {
    if (event.type === 'response_created') this.responding = true;
    else if (event.type === 'response_done') this.responding = false;
    else if (event.type === 'speech_started') this.callerSpeaking = true;
    else if (event.type === 'speech_stopped') this.callerSpeaking = false;
  }

  /** Nothing would be cut by a switch: `playing` is the model's audio still on its way to the caller. */
  quiet(playing: boolean): boolean {
    return !playing && !this.responding && !this.callerSpeaking && this.toolsRunning === 0;
  }

  /** The session is gone: its response and the caller's turn in it with it. */
  reset(): void {
    this.responding = false;
    this.callerSpeaking = false;
  }
}
