/**
 * The agent side of the capacity benchmark (its run (b)): a separate process on the real audio
 * channel (binary Redis pub/sub) that says `ready` and plays every caller frame straight back, the
 * way the echo agent does. It measures caller packet (generator send stamp) → frame here, and runs
 * the clear-to-silence probe (d): queue 1 s of marked tone, `clear` 300 ms later, note when.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisAudioChannel, type CallChannel } from '@voicebridge/channel';
import { encodeAudioFrame, encodeControl, FRAME_KIND_AUDIO } from '@voicebridge/protocol';
import {
  epochMicros,
  pcmOfCode,
  readFrameStamp,
  SampleBuffer,
  sinceStampMs,
  summarize,
  TONE_MAGIC,
} from './bench-stats.ts';

export type AgentCommand =
  | { type: 'setup'; prefix: string }
  | { type: 'open'; callIds: string[] }
  | { type: 'measure' }
  | { type: 'clear-probe'; callIds: string[] }
  | { type: 'report' }
  | { type: 'close-calls' }
  | { type: 'exit' };

const conns: Redis[] = [];
let channel: RedisAudioChannel | undefined;
const ends = new Map<string, CallChannel>();
const probing = new Set<string>();
let frameLatency = new SampleBuffer();
const tone = encodeAudioFrame({
  sampleRateHz: 8000,
  sampleOffset: 0,
  samples: new Int16Array(160 * 50).fill(pcmOfCode(TONE_MAGIC)),
  filled: false,
});

function reply(message: unknown): void {
  process.send?.(message);
}

process.on('message', (command: AgentCommand) => {
  void handle(command).catch((error: unknown) => reply({ type: 'error', message: String(error) }));
});

async function handle(command: AgentCommand): Promise<void> {
  switch (command.type) {
    case 'setup':
      conns.push(new Redis({ enableAutoPipelining: false }), new Redis({ enableAutoPipelining: false }));
      channel = new RedisAudioChannel({
        publisher: conns[0] as Redis,
        subscriber: conns[1] as Redis,
        keyPrefix: command.prefix,
      });
      reply({ type: 'ready' });
      return;
    case 'open':
      for (const callId of command.callIds) {
        const end = (channel as RedisAudioChannel).open(callId, 'agent', (message) => {
          if (message[0] !== FRAME_KIND_AUDIO) return;
          const stamp = readFrameStamp(message);
          const ageMs = stamp >= 0 ? sinceStampMs(stamp, epochMicros()) : 0;
          if (stamp >= 0) frameLatency.push(ageMs);
          // Like the echo agent's clear on start: audio media held for us before `ready` is not
          // echoed, or it would sit in the send queue as a standing delay for the whole run.
          if (!probing.has(callId) && ageMs < 200) end.send(message);
        });
        ends.set(callId, end);
      }
      await Promise.all([...ends.values()].map((end) => end.ready));
      for (const callId of command.callIds) ends.get(callId)?.send(encodeControl({ event: 'ready' }));
      reply({ type: 'opened' });
      return;
    case 'measure':
      frameLatency = new SampleBuffer();
      reply({ type: 'measuring' });
      return;
    case 'clear-probe': {
      // A probe starts every 100 ms, each on its own call (four under way at a time), so the probes
      // sample the load rather than cause it, and there are enough of them for a p99.
      const clears: Record<string, number> = {};
      await Promise.all(
        command.callIds.map(async (callId, i) => {
          await sleep(100 * i);
          const end = ends.get(callId);
          if (!end) return;
          probing.add(callId);
          end.send(encodeControl({ event: 'clear' })); // drop echo audio still queued
          end.send(tone);
          await sleep(300);
          clears[callId] = epochMicros();
          end.send(encodeControl({ event: 'clear' }));
        }),
      );
      await sleep(400);
      for (const callId of command.callIds) probing.delete(callId);
      reply({ type: 'cleared', clears });
      return;
    }
    case 'report':
      reply({ type: 'report', frameLatency: summarize(frameLatency.toFloat64Array()) });
      return;
    case 'close-calls':
      for (const end of ends.values()) end.close();
      ends.clear();
      reply({ type: 'closed' });
      return;
    case 'exit':
      await channel?.close();
      for (const c of conns) c.disconnect();
      reply({ type: 'bye' });
      process.exit(0);
  }
}
