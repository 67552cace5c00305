import { expect } from 'chai';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { RedisAudioChannel } from '@voicebridge/channel';
import { encodeAudioFrame, encodeControl, type AllocateParams } from '@voicebridge/protocol';
import { pcmuEncode, writeRtpHeader } from '@voicebridge/rtp';
import { RecordingRetention, type MediaWorker } from '../src/index.ts';
import { sendPaced, waitFor } from '../../../test/support/wait-for.ts';
import { useMediaWorker } from './media-worker-rig.ts';
import { rtpPeer, type RtpPeer } from './rtp-peer.ts';

const log = pino({ level: 'silent' });

function tone(samples: number, hz: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000)),
  );
}

/** First frame of a channel (0 = left) whose sample exceeds `threshold` in magnitude. */
function onset(data: Buffer, channel: number, threshold: number): number {
  for (let frame = 0; frame * 4 + 4 <= data.length; frame++)
    if (Math.abs(data.readInt16LE(frame * 4 + channel * 2)) > threshold) return frame;
  return -1;
}

describe('call recording (real UDP, real files)', () => {
  const rig = useMediaWorker({ ports: 10, quarantineMs: 100, advertisedAddress: '127.0.0.1', recordings: true });

  /** The worker and its agents' end, and a caller that notes when each RTP packet arrived. */
  async function setup(): Promise<{ worker: MediaWorker; agentSide: RedisAudioChannel; caller: RtpPeer }> {
    const caller = await rtpPeer();
    rig.cleanup(() => caller.socket.close());
    return { worker: rig.worker, agentSide: rig.agentSide, caller };
  }

  function params(callId: string, port: number, recording?: { retentionDays: number }): AllocateParams {
    return {
      callId,
      remoteRtp: { address: '127.0.0.1', port },
      codec: { name: 'PCMU', payloadType: 0 },
      ptimeMs: 20,
      direction: 'sendrecv',
      recording,
    };
  }

  it('writes a stereo 16-bit 8 kHz WAV, caller left and agent right, aligned to when each crossed the wire (within 20 ms)', async () => {
    const { worker, agentSide, caller } = await setup();
    const arrivals = caller.packets;
    const { localRtp } = await worker.allocate(params('r1', caller.port, { retentionDays: 7 }));
    const end = agentSide.open('r1', 'agent', () => undefined);
    await end.ready;
    end.send(encodeControl({ event: 'ready' }));
    worker.start('r1', Date.now());
    // The caller speaks first: its own packets latch the path, and nothing reaches it before them.
    // The caller: 10 packets of a 500 Hz tone, 20 ms apart; the time the first one left is noted.
    const callerTone = tone(160 * 10, 500, 8000);
    let callerSentAtMs = 0;
    await sendPaced(10, 20, (i) => {
      const pkt = Buffer.alloc(12 + 160);
      writeRtpHeader(pkt, 0, {
        marker: i === 0,
        payloadType: 0,
        sequenceNumber: 10 + i,
        timestamp: 1000 + 160 * i,
        ssrc: 77,
      });
      pcmuEncode(callerTone.subarray(160 * i, 160 * (i + 1)), pkt.subarray(12));
      if (i === 0) callerSentAtMs = performance.now();
      caller.socket.send(pkt, localRtp.port, '127.0.0.1');
    });
    // The agent answers 300 ms (15 more of our packets) later with a 1 kHz tone; the time its first
    // packet reached the caller is noted.
    const answerAfter = arrivals.length + 15;
    await waitFor('300 ms more of our RTP at the caller', 5000, () => arrivals.length >= answerAfter);
    end.send(encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 0, samples: tone(1600, 1000, 8000), filled: false }));
    const firstToned = await waitFor('the agent tone at the caller', 5000, () => {
      const index = arrivals.findIndex((a) => a.payload.some((b) => b !== 0xff));
      return index < 0 ? undefined : index;
    });
    const agentHeardAtMs = arrivals[firstToned]!.atMs;
    // The 200 ms tone and as much silence after it, so both sides are in the file.
    await waitFor('the agent tone played out', 5000, () => arrivals.length >= firstToned + 20);
    const { stats } = worker.closeCall('r1', 'caller-bye');
    await worker.recordingsSettled();

    expect(stats?.recording?.path).to.match(/\.r7d\.wav$/);
    const wav = await readFile(stats!.recording!.path);
    expect(wav.toString('ascii', 0, 4)).to.equal('RIFF');
    expect(wav.readUInt16LE(22), 'channels').to.equal(2);
    expect(wav.readUInt32LE(24), 'rate').to.equal(8000);
    expect(wav.readUInt16LE(34), 'bits').to.equal(16);
    expect(wav.readUInt32LE(40), 'data size').to.equal(wav.length - 44);
    expect(Math.abs((wav.length - 44) / 32 - stats!.recording!.durationMs)).to.be.lessThan(2);
    const data = wav.subarray(44);
    const left = onset(data, 0, 2000);
    const right = onset(data, 1, 2000);
    expect(left, 'caller tone in the left channel').to.be.greaterThan(0);
    expect(right, 'agent tone in the right channel').to.be.greaterThan(left);
    expect(onset(data.subarray(0, right * 4), 1, 2000), 'nothing on the right before the agent spoke').to.equal(-1);
    const wireMs = agentHeardAtMs - callerSentAtMs;
    const fileMs = (right - left) / 8;
    expect(Math.abs(fileMs - wireMs), `file ${fileMs} ms vs wire ${wireMs.toFixed(1)} ms`).to.be.at.most(20);
  });

  it('records nothing for a call that did not ask for it', async () => {
    const { worker, caller } = await setup();
    await worker.allocate(params('r2', caller.port));
    worker.start('r2', Date.now());
    const { stats } = worker.closeCall('r2', 'caller-bye');
    await worker.recordingsSettled();
    expect(stats?.recording).to.equal(undefined);
    expect(await readdir(rig.recordingsDir)).to.deep.equal([]);
  });

  it('the retention sweep deletes recordings older than the days in their name and nothing else', async () => {
    const dir = rig.recordingsDir;
    const names = [
      '20260101T000000Z-a.r1d.wav',
      '20260101T000000Z-b.r7d.wav',
      '20260101T000000Z-c.r1d.wav',
      'notes.r1d.txt',
      'mine.wav',
    ];
    for (const name of names) await writeFile(join(dir, name), 'x');
    const nowMs = Date.now();
    const twoDaysAgo = new Date(nowMs - 2 * 86_400_000);
    for (const name of ['20260101T000000Z-a.r1d.wav', '20260101T000000Z-b.r7d.wav', 'notes.r1d.txt', 'mine.wav']) {
      await utimes(join(dir, name), twoDaysAgo, twoDaysAgo);
    }
    const retention = new RecordingRetention({ dir, log, now: () => nowMs });
    rig.cleanup(() => retention.close());
    expect(await retention.sweep()).to.equal(1);
    expect((await readdir(dir)).sort()).to.deep.equal([
      '20260101T000000Z-b.r7d.wav',
      '20260101T000000Z-c.r1d.wav',
      'mine.wav',
      'notes.r1d.txt',
    ]);
  });
});
