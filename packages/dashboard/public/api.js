// API v1 with the token in memory only: never in storage, so a reload asks for it again, and a
// script that ran on the page (there should be none: see the CSP) would find nothing persisted.

export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super(error.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error.code;
    this.field = error.field;
  }
}

export class Api {
  #token = '';

  setToken(token) {
    this.#token = token;
  }

  get signedIn() {
    return this.#token !== '';
  }

  #headers(extra) {
    return { authorization: `Bearer ${this.#token}`, ...extra };
  }

  async request(method, path, body, contentType = 'application/json') {
    const response = await fetch(path, {
      method,
      headers: this.#headers(body === undefined ? {} : { 'content-type': contentType }),
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw new ApiError(response.status, parsed);
    return parsed;
  }

  get(path) {
    return this.request('GET', path);
  }

  async blobUrl(path) {
    const response = await fetch(path, { headers: this.#headers() });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => undefined));
    return URL.createObjectURL(await response.blob());
  }

  /**
   * Server-sent events read with fetch (EventSource cannot send the Authorization header): calls
   * `onEvent(name, data)` per event and `onState(text)` as the connection comes and goes;
   * reconnects after 2 s until `signal` aborts.
   */
  async events(path, signal, onEvent, onState) {
    while (!signal.aborted) {
      try {
        const response = await fetch(path, { headers: this.#headers({ accept: 'text/event-stream' }), signal });
        if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => undefined));
        onState('connected');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let name = 'message';
            const data = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) name = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
            }
            if (data.length > 0) onEvent(name, JSON.parse(data.join('\n')));
          }
        }
        onState('disconnected, reconnecting');
      } catch (error) {
        if (signal.aborted) return;
        onState(`disconnected (${error.message}), reconnecting`);
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return;
      }
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 2000);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }
}
