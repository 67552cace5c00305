import { AsyncQueue, createOfflineEngines, type OfflineEngines } from '@voicebridge/agent';
import { results } from '../../packages/agent/test/engines/deepgram-wire-server.ts';
import { WireServer, type WireConnection } from '../../packages/agent/test/engines/wire-server.ts';

/**
 * A Deepgram live-transcription server that really listens: the wire as in deepgram-wire-server.ts
 * (written from https://developers.deepgram.com/reference/speech-to-text/listen-streaming:
 * `Token` auth, linear16 binary frames up, `Results` with `is_final`/`speech_final` down,
 * `KeepAlive`, `Finalize`, `CloseStream` answered with `Metadata` and a 1000 close), the words
 * from pocketsphinx, so a real call's caller audio is transcribed by the "cloud". pocketsphinx
 * gives no partials: each utterance it closes is one `Results` with `is_final` and `speech_final`.
 */
export class PocketsphinxDeepgramServer extends WireServer {
  readonly key: string;
  /** Words the recogniser is biased to (a real call's questions). */
  readonly keywords: string[];
  /** Every final transcript sent, in order. */
  readonly sent: string[] = [];
  readonly #engines: OfflineEngines;
  readonly #lifetime = new AbortController();

  private constructor(key: string, keywords: string[]) {
    super();
    this.key = key;
    this.keywords = keywords;
    this.#engines = createOfflineEngines({ poolSize: 1 });
  }

  static async start(keywords: string[], key = 'dg-local-key'): Promise<PocketsphinxDeepgramServer> {
    const server = new PocketsphinxDeepgramServer(key, keywords);
    await server.listen();
    return server;
  }

  get url(): string {
    return `${this.origin}/v1/listen`;
  }

  override async close(): Promise<void> {
    this.#lifetime.abort();
    await super.close();
    await this.#engines.close();
  }

  protected accept(connection: WireConnection): void {
    const { socket } = connection;
    if (connection.headers.authorization !== `Token ${this.key}`) {
      socket.close(1008, 'invalid credentials');
      return;
    }
    // 30 s of audio at most waits for the recogniser: bounded like every test load.
    const audio = new AsyncQueue<Int16Array>(1500);
    const send = (frame: unknown): void => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
    };
    socket.once('close', () => audio.close());
    socket.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        const samples = new Int16Array(data.length >> 1);
        for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(i * 2);
        audio.push(samples);
        return;
      }
      const type = (connection.texts.at(-1) as { type?: unknown } | undefined)?.type;
      if (type === 'CloseStream' || type === 'Finalize') audio.close();
    });
    const signal = this.#lifetime.signal;
    void (async () => {
      for await (const t of this.#engines.stt.transcribe(audio, {
        sampleRateHz: 8000,
        keywords: this.keywords,
        signal,
      })) {
        if (!t.final || t.text.trim() === '') continue;
        this.sent.push(t.text);
        send(
          results(t.text, {
            isFinal: true,
            speechFinal: true,
            startS: t.startMs / 1000,
            durationS: (t.endMs - t.startMs) / 1000,
          }),
        );
      }
      send({ type: 'Metadata', request_id: 'local', duration: connection.binaryBytes / 16000, channels: 1 });
      socket.close(1000);
    })().catch(() => socket.terminate());
  }
}
