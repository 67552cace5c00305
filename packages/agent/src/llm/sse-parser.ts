/** One dispatched Server-Sent Event. `event` is `message` unless the stream named it. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * An incremental Server-Sent Events parser, per the WHATWG HTML "event stream interpretation"
 * (§9.2.6): lines end in CRLF, LF or CR, and a chunk may end anywhere, even between the CR and the
 * LF of one line ending; `data:` lines of one event are joined with LF; a line starting with `:` is
 * a comment (keep-alives); one space after the colon is dropped; a blank line dispatches the event,
 * unless it has no data; a leading byte-order mark is ignored; an unfinished event at the end of the
 * stream is discarded. Takes decoded text (decode bytes with a streaming `TextDecoder`). Pure.
 *
 * ```
 * stream  = [ BOM ] *event end-of-stream
 * event   = *( comment / field ) end-of-line
 * comment = ":" any-char* end-of-line
 * field   = name [ ":" [ " " ] any-char* ] end-of-line
 * ```
 */
export class SseParser {
  #buffer = '';
  #started = false;
  /** A chunk ended in CR: if the next one starts with LF, that LF belongs to the same line ending. */
  #skipLeadingLf = false;
  #data: string[] = [];
  #event = '';
  #lastId: string | undefined;

  /** Parses the next piece of the stream; returns the events it completed. */
  push(text: string): SseEvent[] {
    let chunk = text;
    if (!this.#started && chunk !== '') {
      this.#started = true;
      if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1);
    }
    if (this.#skipLeadingLf && chunk !== '') {
      this.#skipLeadingLf = false;
      if (chunk.startsWith('\n')) chunk = chunk.slice(1);
    }
    this.#buffer += chunk;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const char = this.#buffer[i];
      if (char !== '\n' && char !== '\r') continue;
      const line = this.#buffer.slice(start, i);
      if (char === '\r') {
        if (i + 1 === this.#buffer.length) this.#skipLeadingLf = true;
        else if (this.#buffer[i + 1] === '\n') i++;
      }
      start = i + 1;
      const event = this.#line(line);
      if (event !== undefined) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') this.#data.push(value);
    else if (name === 'event') this.#event = value;
    else if (name === 'id' && !value.includes('\0')) this.#lastId = value;
    // `retry` and unknown fields are ignored: the client does not reconnect on its own.
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    const data = this.#data;
    const event = this.#event;
    this.#data = [];
    this.#event = '';
    if (data.length === 0) return undefined;
    const dispatched: SseEvent = { event: event === '' ? 'message' : event, data: data.join('\n') };
    if (this.#lastId !== undefined) dispatched.id = this.#lastId;
    return dispatched;
  }
}
