import { createSocket, type Socket } from 'node:dgram';
import { encoderFor, MediaClock } from '@voicebridge/rtp';
import { OutboundQueue } from '../src/outbound-queue.ts';
import { OutboundSender } from '../src/outbound-sender.ts';
import { PlayoutLag } from '../src/playout-lag.ts';
import { RtpSender } from '../src/rtp-sender.ts';
import { FakeTime } from './fake-time.ts';

/**
 * An OutboundSender as its tests drive it: a clock on fake time (it moves only when the test says
 * so) and real loopback sockets (every packet really leaves one), PCMU at 20 ms, a playout target of
 * 4 frames.
 */
export interface SenderRig {
  time: FakeTime;
  clock: MediaClock;
  queue: OutboundQueue;
  lag: PlayoutLag;
  out: OutboundSender;
  /** Where the packets go: a test that looks at them listens on it. */
  receiver: Socket;
  /** Packets handed to the socket so far: counted synchronously, before any of them arrives. */
  readonly sent: number;
  /** Stops the sender, the clock and both sockets. */
  close(): void;
}

export interface SenderRigOptions {
  /** The queue's capacity in frames; default 100. */
  maxFrames?: number;
  /** Whether the call sends (not on hold); default always. */
  active?: () => boolean;
  onMarksPlayed?: (names: readonly string[]) => void;
}

export async function senderRig(options: SenderRigOptions = {}): Promise<SenderRig> {
  const time = new FakeTime();
  const clock = new MediaClock({ now: time.now, timers: time });
  const sender = createSocket('udp4');
  const receiver = createSocket('udp4');
  await Promise.all([
    new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve)),
    new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve)),
  ]);
  let sent = 0;
  const rtp = new RtpSender({
    socket: sender,
    frameSamples: 160,
    target: () => ({ address: '127.0.0.1', port: receiver.address().port }),
    onSent: () => sent++,
  });
  rtp.encode = encoderFor('PCMU');
  const queue = new OutboundQueue(160, options.maxFrames ?? 100);
  const lag = new PlayoutLag({ targetFrames: 4 });
  const out = new OutboundSender({
    clock,
    ptimeMs: 20,
    rtp,
    queue,
    lag,
    dtmf: undefined,
    recorder: undefined,
    active: options.active ?? (() => true),
    onMarksPlayed: options.onMarksPlayed ?? (() => undefined),
  });
  return {
    time,
    clock,
    queue,
    lag,
    out,
    receiver,
    get sent() {
      return sent;
    },
    close: () => {
      out.close();
      clock.close();
      sender.close();
      receiver.close();
    },
  };
}
