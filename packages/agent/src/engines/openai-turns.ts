import type { Transcript } from '../stt/speech-to-text.ts';
import { appendText, type TranscriptionEvent } from './openai-transcription-wire.ts';

interface Item {
  text: string;
  startMs: number;
  endMs: number;
  /** The turn's end was signalled (speech stopped, or the buffer committed). */
  ended: boolean;
  /** Its final came (or failed): nothing more is given for it. */
  done: boolean;
  /** Committed by the end of the audio, not by the caller's pause. */
  streamEnd: boolean;
  final: Transcript | undefined;
}

/**
 * Turns OpenAI transcription events into transcripts. Each item is one caller turn: its deltas are
 * appended into an interim, and its `completed` transcript is its one final (`endpoint:
 * 'end-of-turn'`, or `'stream-end'` for the turn the end of the audio committed). The end of a
 * turn (`speech_stopped`, or the commit) comes before its final: if deltas already gave words (the
 * live models stream them while the caller speaks), they are given again as an interim carrying the
 * endpoint, which the llm agent takes as stable at once.
 *
 * The reference does not promise that `completed` events come in audio order across items, so
 * finals are given in the order the turns ended: a later turn's final waits for an earlier one.
 */
export class OpenAiTurns {
  readonly #items = new Map<string, Item>();
  /** Items whose turn ended and whose final has not been given yet, oldest first. */
  readonly #order: string[] = [];
  /**
   * Client commits sent and not answered yet (`committed`, or an error for an empty buffer), oldest
   * first, each true if the end of the audio sent it. The provider answers them in order.
   */
  readonly #commits: boolean[] = [];

  /** A turn ended whose final has not come, or a commit is unanswered: the stream is not done. */
  get outstanding(): boolean {
    return this.#order.length > 0 || this.#commits.length > 0;
  }

  /** The client sent `input_audio_buffer.commit`; `atStreamEnd` when the audio ended. */
  committing(atStreamEnd: boolean): void {
    this.#commits.push(atStreamEnd);
  }

  /** The provider refused a commit (nothing in the buffer): no item will come of it. */
  commitRefused(): void {
    this.#commits.shift();
  }

  /** The transcripts one event gives (most give none). */
  event(event: TranscriptionEvent): Transcript[] {
    switch (event.type) {
      case 'speech_started': {
        if (event.itemId !== undefined) this.#item(event.itemId).startMs = event.audioStartMs ?? 0;
        return [];
      }
      case 'speech_stopped': {
        if (event.itemId === undefined) return [];
        const item = this.#item(event.itemId);
        item.endMs = Math.max(item.startMs, event.audioEndMs ?? item.endMs);
        return this.#ended(event.itemId, item);
      }
      case 'committed': {
        const item = this.#item(event.itemId);
        // The server's VAD commits the item whose speech it saw stop; any other answers our commit.
        if (!item.ended) item.streamEnd = this.#commits.shift() ?? false;
        return this.#ended(event.itemId, item);
      }
      case 'delta': {
        const item = this.#item(event.itemId);
        if (item.done) return [];
        item.text = appendText(item.text, event.delta);
        const text = item.text.trim();
        return text === '' ? [] : [{ text, final: false, startMs: item.startMs, endMs: item.endMs }];
      }
      case 'completed': {
        const item = this.#item(event.itemId);
        if (item.done) return [];
        item.done = true;
        const text = event.transcript.trim();
        const endpoint = item.streamEnd ? 'stream-end' : 'end-of-turn';
        item.final =
          text === '' ? undefined : { text, final: true, startMs: item.startMs, endMs: item.endMs, endpoint };
        if (!this.#order.includes(event.itemId)) return item.final === undefined ? [] : [item.final];
        return this.#release();
      }
      case 'failed': {
        const item = this.#item(event.itemId);
        item.done = true;
        item.final = undefined;
        return this.#release();
      }
      default:
        return [];
    }
  }

  /**
   * The audio ended and the provider did not finish in time: each turn still open that has words
   * from its deltas is given as its final (`stream-end`), oldest first, rather than lost.
   */
  flush(): Transcript[] {
    const out: Transcript[] = [];
    for (const item of this.#items.values()) {
      const text = item.text.trim();
      if (item.final !== undefined) out.push(item.final);
      else if (!item.done && text !== '')
        out.push({ text, final: true, startMs: item.startMs, endMs: item.endMs, endpoint: 'stream-end' });
    }
    this.#items.clear();
    this.#order.length = 0;
    this.#commits.length = 0;
    return out;
  }

  #ended(itemId: string, item: Item): Transcript[] {
    if (item.done || item.ended) return [];
    item.ended = true;
    this.#order.push(itemId);
    const text = item.text.trim();
    return text === ''
      ? []
      : [{ text, final: false, startMs: item.startMs, endMs: item.endMs, endpoint: 'end-of-turn' }];
  }

  /** Finals of the oldest ended turns that are done, in order; their items forgotten. */
  #release(): Transcript[] {
    const out: Transcript[] = [];
    for (;;) {
      const head = this.#order[0];
      if (head === undefined) break;
      const item = this.#items.get(head);
      if (item !== undefined && !item.done) break;
      this.#order.shift();
      this.#items.delete(head);
      if (item?.final !== undefined) out.push(item.final);
    }
    return out;
  }

  #item(itemId: string): Item {
    let item = this.#items.get(itemId);
    if (item === undefined) {
      // Bounded: a provider inventing item ids cannot grow this without limit.
      if (this.#items.size >= 64) {
        const oldest = this.#items.keys().next().value;
        if (oldest !== undefined) this.#items.delete(oldest);
      }
      item = { text: '', startMs: 0, endMs: 0, ended: false, done: false, streamEnd: false, final: undefined };
      this.#items.set(itemId, item);
    }
    return item;
  }
}
