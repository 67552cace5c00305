/**
 * The realtime latency bench's model, in its own process (forked by realtime-latency.bench.ts,
 * driven over IPC): the local OpenAI Realtime server of the agent's tests (realtime-wire-server.ts,
 * written from the GA reference: it configures the session and answers truncate and cancel), which
 * here also speaks unasked, as a server-VAD session does after a caller's turn: while `speak` is on,
 * each connection gets a response about every RESPONSE_EVERY_MS (jittered, so responses fall at
 * every phase of media's clock): `response.created`, `conversation.item.added`, RESPONSE_MS of
 * μ-law as DELTA_MS deltas sent at once (the GA server streams faster than real time), `.done`,
 * the transcript, `response.done` with usage. The first frame of each response's first delta
 * carries a stamp (call, response); the gap between responses lets each one start a new talkspurt.
 *
 * While recording it notes (monotonic µs) each stamped `input_audio_buffer.append` as it arrives,
 * before any parsing, and each stamped first delta just after it was handed to the socket.
 */
import type { WireConnection } from '../../packages/agent/test/engines/wire-server.ts';
import { RealtimeWireServer } from '../../packages/agent/test/realtime/realtime-wire-server.ts';
import { SampleBuffer } from '../../packages/media/bench/bench-stats.ts';
import { fillQuiet, monoMicros, readStamp, stampId, writeStamp } from './realtime-stamp.ts';

export type ModelCommand =
  | { type: 'setup' }
  | { type: 'record'; on: boolean }
  | { type: 'speak'; on: boolean }
  | { type: 'report' }
  | { type: 'exit' };

export interface ModelReport {
  type: 'report';
  connections: number;
  /** Stamped appends that arrived while recording: stamp ids and monotonic µs. */
  appendIds: Float64Array;
  appendAtUs: Float64Array;
  /** First deltas of responses sent while recording. */
  deltaIds: Float64Array;
  deltaAtUs: Float64Array;
  responses: number;
  /** Client events that were not JSON, or errors the server sent. */
  malformed: number;
}

const RESPONSE_EVERY_MS = 1000;
const RESPONSE_MS = 400;
const DELTA_MS = 100;
const APPEND_PREFIX = Buffer.from('{"type":"input_audio_buffer.append","audio":"');

/** The agent tests' server, told of each connection: the bench adds its own listeners and speaks unasked. */
class BenchModelServer extends RealtimeWireServer {
  onConnection: (connection: WireConnection) => void = () => undefined;

  static async open(): Promise<BenchModelServer> {
    const server = new BenchModelServer();
    await server.listen();
    return server;
  }

  protected override accept(connection: WireConnection): void {
    super.accept(connection);
    this.onConnection(connection);
  }
}

let server: BenchModelServer | undefined;
let recording = false;
let speaking = false;
let appends = { ids: new SampleBuffer(), atUs: new SampleBuffer() };
let deltas = { ids: new SampleBuffer(), atUs: new SampleBuffer() };
let responses = 0;
let malformed = 0;
const timers = new Set<NodeJS.Timeout>();

function reply(message: unknown): void {
  process.send?.(message);
}

function onAppend(data: Buffer): void {
  if (!recording) return;
  const atUs = monoMicros();
  if (data.length < APPEND_PREFIX.length + 16 || !data.subarray(0, APPEND_PREFIX.length).equals(APPEND_PREFIX)) return;
  const head = Buffer.from(data.toString('latin1', APPEND_PREFIX.length, APPEND_PREFIX.length + 16), 'base64');
  const id = readStamp(head);
  if (id < 0) return;
  appends.ids.push(id);
  appends.atUs.push(atUs);
}

/** One response's audio: stamped first frame, quiet after, cut in DELTA_MS deltas. */
function responseAudio(id: number): string[] {
  const audio = new Uint8Array(8 * RESPONSE_MS);
  fillQuiet(audio);
  writeStamp(audio, id);
  const out: string[] = [];
  for (let at = 0; at < audio.length; at += 8 * DELTA_MS)
    out.push(Buffer.from(audio.subarray(at, at + 8 * DELTA_MS)).toString('base64'));
  return out;
}

function respond(model: BenchModelServer, connection: WireConnection, index: number, seq: number): void {
  if (connection.socket.readyState !== connection.socket.OPEN) return;
  const id = stampId(index, seq);
  const responseId = `resp_bench_${index}_${seq}`;
  const itemId = `item_bench_${index}_${seq}`;
  const at = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 };
  model.send({ type: 'response.created', response: { id: responseId, status: 'in_progress' } }, connection);
  model.send({ type: 'conversation.item.added', item: { id: itemId, type: 'message', role: 'assistant' } }, connection);
  responseAudio(id).forEach((delta, i) => {
    model.send({ type: 'response.output_audio.delta', ...at, delta }, connection);
    if (i === 0 && recording) {
      deltas.ids.push(id);
      deltas.atUs.push(monoMicros());
    }
  });
  model.send({ type: 'response.output_audio.done', ...at }, connection);
  model.send({ type: 'response.output_audio_transcript.done', ...at, transcript: 'One moment please.' }, connection);
  const usage = {
    total_tokens: 60,
    input_tokens: 40,
    output_tokens: 20,
    input_token_details: { text_tokens: 0, audio_tokens: 40, cached_tokens: 0 },
    output_token_details: { text_tokens: 4, audio_tokens: 16 },
  };
  model.send(
    { type: 'response.done', response: { id: responseId, status: 'completed', output: [{ id: itemId }], usage } },
    connection,
  );
  responses++;
}

/** Speaks on `connection` every ~RESPONSE_EVERY_MS while `speaking`, until its socket closes. */
function speakOn(model: BenchModelServer, connection: WireConnection, index: number): void {
  let seq = 0;
  const next = (): void => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (connection.socket.readyState !== connection.socket.OPEN) return;
        if (speaking) respond(model, connection, index, seq++);
        next();
      },
      RESPONSE_EVERY_MS * (0.9 + 0.2 * Math.random()),
    );
    timers.add(timer);
  };
  next();
}

process.on('message', (command: ModelCommand) => {
  switch (command.type) {
    case 'setup':
      void BenchModelServer.open().then((model) => {
        server = model;
        model.onConnection = (connection) => {
          const index = model.connections.length - 1;
          // Before the server's own listeners: the arrival time excludes their JSON parsing.
          connection.socket.prependListener('message', (data: Buffer, isBinary: boolean) => {
            if (!isBinary) onAppend(data);
          });
          connection.socket.on('error', () => undefined);
          speakOn(model, connection, index);
        };
        // Every client event is kept by the test server; the bench reads its own notes instead.
        const trim = setInterval(() => {
          for (const connection of model.connections) {
            malformed += connection.texts.filter((t) => typeof t === 'string').length;
            connection.texts.length = 0;
            connection.textAtMs.length = 0;
          }
        }, 1000);
        timers.add(trim);
        reply({ type: 'ready', url: model.url() });
      });
      return;
    case 'record':
      recording = command.on;
      if (command.on) {
        appends = { ids: new SampleBuffer(), atUs: new SampleBuffer() };
        deltas = { ids: new SampleBuffer(), atUs: new SampleBuffer() };
        responses = 0;
      }
      reply({ type: 'recording', on: command.on });
      return;
    case 'speak':
      speaking = command.on;
      reply({ type: 'speaking', on: command.on });
      return;
    case 'report': {
      const report: ModelReport = {
        type: 'report',
        connections: server?.connections.length ?? 0,
        appendIds: appends.ids.toFloat64Array(),
        appendAtUs: appends.atUs.toFloat64Array(),
        deltaIds: deltas.ids.toFloat64Array(),
        deltaAtUs: deltas.atUs.toFloat64Array(),
        responses,
        malformed,
      };
      reply(report);
      return;
    }
    case 'exit':
      for (const timer of timers) clearTimeout(timer);
      void (server?.close() ?? Promise.resolve()).finally(() => {
        reply({ type: 'bye' });
        process.disconnect();
      });
      return;
  }
});
