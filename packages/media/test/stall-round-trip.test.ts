import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisAudioChannel } from '@voicebridge/channel';
import { encodeControl, FRAME_KIND_AUDIO, type MediaStats } from '@voicebridge/protocol';
import { parseRtp, writeRtpHeader } from '@voicebridge/rtp';
import { freeRtpPortRange } from '../../../test/support/free-port.ts';
import { sendPaced, withTimeout } from '../../../test/support/wait-for.ts';
import { pcmuCallParams } from './media-worker-rig.ts';
import type { StallWorkerCommand } from './stall-worker-process.ts';

const HARNESS = fileURLToPath(new URL('./stall-worker-process.ts', import.meta.url));

/**
 * The caller's packet number rides in its payload: μ-law codes 0x20–0x2F (one per nibble) after a
 * magic 0x3c, codes that decode and re-encode to themselves, so it survives the echo (decode →
 * agent → encode). The rest of the payload is a loud constant, so nothing of it counts as silence.
 */
const MAGIC = 0x3c;
const LOUD = 0x10;

function payloadOf(seq: number): Buffer {
  const payload = Buffer.alloc(160, LOUD);
  payload[0] = MAGIC;
  for (let i = 0; i < 4; i++) payload[1 + i] = 0x20 + ((seq >> (4 * (3 - i))) & 0xf);
  return payload;
}

function seqOf(payload: Buffer): number | undefined {
  if (payload[0] !== MAGIC) return undefined;
  let seq = 0;
  for (let i = 0; i < 4; i++) {
    const nibble = (payload[1 + i] as number) - 0x20;
    if (nibble < 0 || nibble > 15) return undefined;
    seq = (seq << 4) | nibble;
  }
  return seq;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * ADR 0014, end to end: the caller and an echo agent (on the real audio channel over Redis) in this
 * process, the media worker in a child process whose event loop is blocked for 200 ms mid-call. The
 * round trip is counted in frames, not milliseconds: when the echo of caller packet n arrives, how
 * many packets the caller has sent since n. That does not depend on the machine's speed.
 */
describe('media worker: the round trip after a 200 ms stall of its event loop (real UDP, real Redis)', function () {
  this.timeout(60_000);
  let child: ChildProcess;
  let caller: Socket;
  let agentSide: RedisAudioChannel;
  const conns: Redis[] = [];
  const replies: { type: string; [key: string]: unknown }[] = [];

  function request(command: StallWorkerCommand, answer: string): Promise<Record<string, unknown>> {
    const at = replies.length;
    child.send(command);
    return withTimeout(
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = replies.slice(at).find((r) => r.type === answer || r.type === 'error');
          if (!found) return;
          child.off('message', check);
          if (found.type === 'error') reject(new Error(String(found.message)));
          else resolve(found);
        };
        child.on('message', check);
        check();
      }),
      `the media process's ${answer}`,
      10_000,
    );
  }

  beforeEach(async () => {
    child = fork(HARNESS, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (message: { type: string }) => replies.push(message));
    caller = createSocket('udp4');
    await new Promise<void>((resolve) => caller.bind(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    await request({ type: 'exit' }, 'bye').catch(() => child.kill('SIGKILL'));
    caller.close();
    await agentSide?.close();
    for (const c of conns.splice(0)) c.disconnect();
  });

  const STEADY_FROM = 25;
  const PACKETS = 200;

  /** For each echo that came back: [caller packets sent by then, frames of lag]. */
  type Echoes = [number, number][];

  /**
   * One call to the echo agent: the caller sends PACKETS packets, one every 20 ms, through
   * `send(seq, packet)` (which may hold some back), and `during(seq)` runs after each.
   */
  async function echoCall(
    callId: string,
    send: (seq: number, packet: Buffer, port: number) => void,
    during: (seq: number) => void = () => undefined,
  ): Promise<{ echoes: Echoes; stats: () => Promise<MediaStats> }> {
    const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
    conns.push(new Redis(), new Redis());
    agentSide = new RedisAudioChannel({ publisher: conns[0]!, subscriber: conns[1]!, keyPrefix: prefix });
    await request({ type: 'setup', prefix, ...(await freeRtpPortRange(4)) }, 'ready');
    const params = pcmuCallParams(callId, caller.address().port);
    const allocated = await request(
      { type: 'allocate', params: { ...params, telephoneEventPayloadType: undefined } },
      'allocated',
    );
    // The echo agent: every caller frame straight back, as the echo kind and the benchmark's agent do.
    const end = agentSide.open(callId, 'agent', (message) => {
      if (message[0] === FRAME_KIND_AUDIO) end.send(message);
    });
    await end.ready;
    end.send(encodeControl({ event: 'ready' }));
    await request({ type: 'start', callId }, 'started');

    let lastSent = -1;
    const echoes: Echoes = [];
    caller.on('message', (packet) => {
      const rtp = parseRtp(packet);
      if (!rtp) return;
      const seq = seqOf(packet.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength));
      if (seq !== undefined) echoes.push([lastSent, lastSent - seq]);
    });
    const port = allocated.port as number;
    await sendPaced(PACKETS, 20, (seq) => {
      const packet = Buffer.alloc(12 + 160);
      writeRtpHeader(packet, 0, {
        marker: seq === 0,
        payloadType: 0,
        sequenceNumber: seq,
        timestamp: 160 * seq,
        ssrc: 0x5eed,
      });
      payloadOf(seq).copy(packet, 12);
      send(seq, packet, port);
      lastSent = seq;
      during(seq);
    });
    const stats = async (): Promise<MediaStats> =>
      (await request({ type: 'stats', callId }, 'stats')).stats as MediaStats;
    return { echoes, stats };
  }

  const lagWhile = (echoes: Echoes, from: number, to: number): number[] =>
    echoes.filter(([sent]) => sent >= from && sent < to).map(([, lag]) => lag);

  /** The most caller packets sent between two consecutive echoes. */
  function longestWithoutEcho(echoes: Echoes): number {
    let packets = 0;
    for (let i = 1; i < echoes.length; i++) packets = Math.max(packets, echoes[i]![0] - echoes[i - 1]![0]);
    return packets;
  }

  /**
   * Ten packets' worth of trouble starting at packet `at` (a stall of ours, or the caller's pause):
   * about that long without an echo, then a second later (50 packets) and for a second more, the
   * lag no more than a frame above what it was before; and the late frames were sent, not dropped
   * (the echo is a live stream: its slots were held for them), so every packet came back.
   */
  function expectBackToSteady(echoes: Echoes, at: number, stats: MediaStats): void {
    const steady = lagWhile(echoes, STEADY_FROM, at);
    const after = lagWhile(echoes, at + 10 + 50, PACKETS);
    expect(steady.length, 'echoes before').to.be.greaterThan(40);
    expect(after.length, 'echoes a second after').to.be.greaterThan(40);
    expect(longestWithoutEcho(echoes), 'packets sent with no echo back').to.be.at.least(8);
    expect(median(after), `lag after; steady ${median(steady)}`).to.be.at.most(median(steady) + 1);
    const echoed = new Set(echoes.map(([sent, lag]) => sent - lag));
    const missing: number[] = [];
    for (let seq = STEADY_FROM; seq < PACKETS - 10; seq++) if (!echoed.has(seq)) missing.push(seq);
    // A caller packet the jitter buffer gave up on (concealed, then too late) never reaches the agent:
    // that is the inbound side's cap at work on a loaded machine, not a frame the sender dropped.
    const concealed = stats.framesConcealed ?? 0;
    const around = JSON.stringify(echoes.filter(([sent]) => missing.some((seq) => Math.abs(sent - seq) < 15)));
    expect(missing, `packets never echoed (concealed ${concealed}; echoes near: ${around})`).to.have.length.at.most(
      1 + concealed,
    );
    expect(stats.framesDroppedLate, 'frames dropped late').to.be.at.most(1);
  }

  it('is back to its steady value within 1 s, and every frame the stall made late is sent', async () => {
    const STALL_AT = 75; // packet 75: 1.5 s in
    let stalled: Promise<unknown> | undefined;
    const { echoes, stats } = await echoCall(
      'stall-1',
      (_seq, packet, port) => caller.send(packet, port, '127.0.0.1'),
      (seq) => {
        if (seq === STALL_AT) stalled = request({ type: 'stall', ms: 200 }, 'stalled');
      },
    );
    await stalled;
    // Without the bound the echo stays ~9 frames late for good.
    expectBackToSteady(echoes, STALL_AT, await stats());
  });

  it('a caller whose packets stop for 200 ms and then come all at once (its jitter, no stall of ours) leaves no standing delay a second later, and nothing lost', async () => {
    const PAUSE_AT = 75;
    const held: Buffer[] = [];
    const { echoes, stats } = await echoCall('burst-1', (seq, packet, port) => {
      // The caller's sender stalls for 10 packets, then sends what it held with the next one.
      if (seq >= PAUSE_AT && seq < PAUSE_AT + 10) {
        held.push(packet);
        return;
      }
      for (const late of held.splice(0)) caller.send(late, port, '127.0.0.1');
      caller.send(packet, port, '127.0.0.1');
    });
    // Queued behind slots sent as silence, the ten frames that came late in the burst would keep the
    // echo ten frames late to the end of the call.
    expectBackToSteady(echoes, PAUSE_AT, await stats());
  });
});
