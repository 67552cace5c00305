/**
 * The connector benchmark's bot, in its own process (forked by bot-connector.bench.ts, driven over
 * IPC): a WebSocket server speaking Twilio Media Streams from the bot's side
 * (https://www.twilio.com/docs/voice/media-streams/websocket-messages) that echoes every caller
 * `media` payload back as it came, checks the stream (`chunk` contiguous from 1, `sequenceNumber`
 * too), and on request runs clear probes: on one stream at a time it stops echoing, sends 1 s of
 * tone (every byte TONE_MAGIC, one message) and a mark, and 300 ms later a `clear`, noting when.
 * Counts only: nothing per message is kept, so the bot stays small beside what it measures.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import {
  epochMicros,
  readStamp,
  SampleBuffer,
  sinceStampMs,
  summarize,
  TONE_MAGIC,
} from '../../packages/media/bench/bench-stats.ts';

export type BotCommand =
  | { type: 'setup' }
  | { type: 'measure' }
  | { type: 'probe'; spacingMs: number; max: number }
  | { type: 'report' }
  | { type: 'exit' };

/** One caller's stream as the bot saw it, keyed by the caller's RTP port (its `from_number`). */
export interface BotStreamReport {
  callerPort: number;
  /** Caller frames carrying the benchmark's send stamp. */
  stampedIn: number;
  /** Every stamp that reached the bot, in arrival order (the bench finds the ones that did not). */
  stampsIn: number[];
  stampedEchoed: number;
  /** The stamps echoed, in order, and how many of them went before the probe's tone. */
  echoedStamps: number[];
  echoedBeforeProbe: number;
  /** Stamped frames not echoed because a clear probe was playing its tone. */
  stampedWithheld: number;
  /** Media messages whose `chunk` was not the one after the last (gaps and repeats), and the frames skipped. */
  chunkBreaks: number;
  chunksSkipped: number;
  sequenceBreaks: number;
  echoedBytes: number;
  toneBytes: number;
  /** epochMicros() just before the probe's `clear` went out; 0 when this stream had no probe. */
  clearAtUs: number;
  marksSent: number;
  marksEchoed: number;
  stopped: boolean;
}

export interface BotReport {
  type: 'report';
  streams: BotStreamReport[];
  /** Caller send stamp → the frame at the bot (cross-process wall clock, ±~1 ms), since `measure`. */
  inbound: ReturnType<typeof summarize>;
  /** Text frames that were not the JSON the reference describes. */
  malformed: number;
}

const TONE_MS = 1000;
const CLEAR_AFTER_MS = 300;
const TONE = Buffer.alloc(8 * TONE_MS, TONE_MAGIC).toString('base64');

interface Stream extends BotStreamReport {
  socket: WebSocket;
  streamSid: string;
  lastChunk: number;
  lastSequence: number;
  probing: boolean;
}

const streams: Stream[] = [];
let server: WebSocketServer | undefined;
let inbound = new SampleBuffer();
let malformed = 0;
const timers = new Set<NodeJS.Timeout>();

function reply(message: unknown): void {
  process.send?.(message);
}

function send(stream: Stream, message: unknown): void {
  if (stream.socket.readyState === stream.socket.OPEN) stream.socket.send(JSON.stringify(message));
}

function onMessage(stream: Stream, data: Buffer): void {
  let message: Record<string, unknown>;
  try {
    message = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
  } catch {
    malformed++;
    return;
  }
  const sequence = Number(message['sequenceNumber']);
  if (message['sequenceNumber'] !== undefined) {
    if (sequence !== stream.lastSequence + 1) stream.sequenceBreaks++;
    stream.lastSequence = sequence;
  }
  switch (message['event']) {
    case 'start': {
      const start = message['start'] as { streamSid: string; customParameters: Record<string, string> };
      stream.streamSid = start.streamSid;
      stream.callerPort = Number(start.customParameters['from_number']);
      return;
    }
    case 'media': {
      const media = message['media'] as { chunk: string; payload: string };
      const chunk = Number(media.chunk);
      if (chunk !== stream.lastChunk + 1) {
        stream.chunkBreaks++;
        stream.chunksSkipped += Math.max(0, chunk - stream.lastChunk - 1);
      }
      stream.lastChunk = chunk;
      const payload = Buffer.from(media.payload, 'base64');
      const stamp = readStamp(payload);
      if (stamp >= 0) {
        stream.stampedIn++;
        stream.stampsIn.push(stamp);
        inbound.push(sinceStampMs(stamp, epochMicros()));
        if (stream.probing) {
          stream.stampedWithheld++;
          return;
        }
        stream.stampedEchoed++;
        stream.echoedStamps.push(stamp);
      } else if (stream.probing) return;
      stream.echoedBytes += payload.length;
      send(stream, { event: 'media', streamSid: stream.streamSid, media: { payload: media.payload } });
      return;
    }
    case 'mark':
      stream.marksEchoed++;
      return;
    case 'stop':
      stream.stopped = true;
      return;
    case 'connected':
    case 'dtmf':
      return;
    default:
      malformed++;
  }
}

function probe(stream: Stream): void {
  stream.probing = true;
  stream.echoedBeforeProbe = stream.echoedStamps.length;
  send(stream, { event: 'media', streamSid: stream.streamSid, media: { payload: TONE } });
  stream.toneBytes += 8 * TONE_MS;
  send(stream, { event: 'mark', streamSid: stream.streamSid, mark: { name: 'probe' } });
  stream.marksSent++;
  const timer = setTimeout(() => {
    timers.delete(timer);
    stream.clearAtUs = epochMicros();
    send(stream, { event: 'clear', streamSid: stream.streamSid });
    stream.probing = false;
  }, CLEAR_AFTER_MS);
  timers.add(timer);
}

/** Probes the open streams one after the other, `spacingMs` apart, at most `max` of them, spread over all. */
function probeAll(spacingMs: number, max: number): number {
  const open = streams.filter((s) => !s.stopped && s.streamSid !== '' && s.socket.readyState === s.socket.OPEN);
  const every = Math.max(1, Math.floor(open.length / max));
  const chosen = open.filter((_, i) => i % every === 0).slice(0, max);
  chosen.forEach((stream, i) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stream.stopped) probe(stream);
    }, i * spacingMs);
    timers.add(timer);
  });
  return chosen.length;
}

function report(): BotReport {
  const fields = (s: Stream): BotStreamReport => {
    const { socket: _s, streamSid: _id, lastChunk: _c, lastSequence: _q, probing: _p, ...counts } = s;
    return counts;
  };
  return { type: 'report', streams: streams.map(fields), inbound: summarize(inbound.toFloat64Array()), malformed };
}

process.on('message', (command: BotCommand) => {
  switch (command.type) {
    case 'setup': {
      server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
      server.on('connection', (socket) => {
        const stream: Stream = {
          socket,
          streamSid: '',
          callerPort: 0,
          lastChunk: 0,
          lastSequence: 0,
          probing: false,
          stampedIn: 0,
          stampsIn: [],
          stampedEchoed: 0,
          echoedStamps: [],
          echoedBeforeProbe: 0,
          stampedWithheld: 0,
          chunkBreaks: 0,
          chunksSkipped: 0,
          sequenceBreaks: 0,
          echoedBytes: 0,
          toneBytes: 0,
          clearAtUs: 0,
          marksSent: 0,
          marksEchoed: 0,
          stopped: false,
        };
        streams.push(stream);
        socket.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? malformed++ : onMessage(stream, data)));
        socket.on('error', () => undefined);
      });
      server.once('listening', () => {
        const address = server?.address();
        reply({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
      });
      return;
    }
    case 'measure':
      inbound = new SampleBuffer();
      reply({ type: 'measuring' });
      return;
    case 'probe':
      reply({ type: 'probing', count: probeAll(command.spacingMs, command.max) });
      return;
    case 'report':
      reply(report());
      return;
    case 'exit':
      for (const timer of timers) clearTimeout(timer);
      for (const stream of streams) stream.socket.terminate();
      server?.close();
      reply({ type: 'bye' });
      process.disconnect();
      return;
  }
});
