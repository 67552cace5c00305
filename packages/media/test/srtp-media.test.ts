import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel } from '@voicebridge/channel';
import {
  decodeAudioFrame,
  encodeAudioFrame,
  encodeControl,
  FRAME_KIND_AUDIO,
  type AllocateParams,
  type AudioFrame,
} from '@voicebridge/protocol';
import { MediaClock, SrtpSession, parseRtcp, parseRtp, pcmuDecode, pcmuEncode, writeRtpHeader } from '@voicebridge/rtp';
import { MediaWorker, PortPool } from '../src/index.ts';
import { freeRtpPortRange } from '../../../test/support/free-port.ts';

const log = pino({ level: 'silent' });

function key(): { base64: string; key: Buffer; salt: Buffer } {
  const bytes = randomBytes(30);
  return { base64: bytes.toString('base64'), key: bytes.subarray(0, 16), salt: bytes.subarray(16) };
}

describe('MediaWorker with SDES-SRTP (real UDP, real Redis)', () => {
  const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('decrypts the caller SRTP for the agent, encrypts the agent audio and RTCP, and drops plain or forged packets', async () => {
    const conns = [new Redis(), new Redis(), new Redis(), new Redis()];
    cleanup.push(() => conns.forEach((c) => c.disconnect()));
    const mediaChannel = new RedisAudioChannel({ publisher: conns[0]!, subscriber: conns[1]!, keyPrefix: prefix });
    const agentSide = new RedisAudioChannel({ publisher: conns[2]!, subscriber: conns[3]!, keyPrefix: prefix });
    const clock = new MediaClock();
    const pool = new PortPool({ bindAddress: '127.0.0.1', ...(await freeRtpPortRange(20)), quarantineMs: 200 });
    const worker = new MediaWorker({
      pool,
      clock,
      channel: mediaChannel,
      advertisedAddress: '127.0.0.1',
      log,
      onEvent: () => undefined,
      rtcpIntervalMs: 200,
    });
    const rtpSocket: Socket = createSocket('udp4');
    const rtcpSocket: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => rtpSocket.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => rtcpSocket.bind(0, '127.0.0.1', resolve));
    cleanup.push(
      () => rtpSocket.close(),
      () => rtcpSocket.close(),
    );
    cleanup.push(
      () => worker.close(),
      () => clock.close(),
      () => pool.close(),
      () => mediaChannel.close(),
      () => agentSide.close(),
    );

    const callerKey = key();
    const workerKey = key();
    const callerSrtp = new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', local: callerKey, remote: workerKey });
    const params: AllocateParams = {
      callId: 's1',
      remoteRtp: { address: '127.0.0.1', port: rtpSocket.address().port },
      remoteRtcp: { address: '127.0.0.1', port: rtcpSocket.address().port },
      codec: { name: 'PCMU', payloadType: 0 },
      ptimeMs: 20,
      direction: 'sendrecv',
      srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', localKey: workerKey.base64, remoteKey: callerKey.base64 },
    };
    const { localRtp } = await worker.allocate(params);

    const frames: AudioFrame[] = [];
    let frameWaiter: (() => void) | undefined;
    const end = agentSide.open('s1', 'agent', (message) => {
      if (message[0] !== FRAME_KIND_AUDIO) return;
      const frame = decodeAudioFrame(message);
      if (frame && frame.samples.some((s) => s !== 0)) frames.push(frame);
      if (frames.length >= 3) frameWaiter?.();
    });
    await end.ready;
    end.send(encodeControl({ event: 'ready' }));
    worker.start('s1', Date.now());

    // What the caller hears: SRTP that only the worker's key opens.
    const heard: Buffer[] = [];
    let forgedAccepted = 0;
    let heardWaiter: (() => void) | undefined;
    rtpSocket.on('message', (packet) => {
      expect(parseRtp(packet), 'SRTP keeps a readable RTP header').to.not.equal(undefined);
      const plain = callerSrtp.unprotectRtp(packet);
      if (!plain) return forgedAccepted++;
      const payload = plain.subarray(12);
      if (payload.some((b) => b !== 0xff)) heard.push(Buffer.from(payload));
      if (heard.length >= 2) heardWaiter?.();
    });
    const reports: ReturnType<typeof parseRtcp>[] = [];
    let reportWaiter: (() => void) | undefined;
    rtcpSocket.on('message', (packet) => {
      reports.push(parseRtcp(callerSrtp.unprotectRtcp(packet) ?? Buffer.alloc(0)));
      reportWaiter?.();
    });

    // A plain RTP packet and one with a forged tag: neither may reach the agent.
    const tone = new Int16Array(160).fill(3000);
    const payload = Buffer.alloc(160);
    pcmuEncode(tone, payload);
    const plainPacket = Buffer.alloc(172);
    writeRtpHeader(plainPacket, 0, { marker: true, payloadType: 0, sequenceNumber: 999, timestamp: 0, ssrc: 77 });
    payload.copy(plainPacket, 12);
    rtpSocket.send(plainPacket, localRtp.port, '127.0.0.1');
    const forged = callerSrtp.protectRtp(plainPacket) as Buffer;
    forged[forged.length - 1]! ^= 0xff;
    rtpSocket.send(forged, localRtp.port, '127.0.0.1');

    const gotFrames = new Promise<void>((resolve) => (frameWaiter = resolve));
    for (let i = 0; i < 6; i++) {
      const packet = Buffer.alloc(172);
      writeRtpHeader(packet, 0, {
        marker: i === 0,
        payloadType: 0,
        sequenceNumber: 1000 + i,
        timestamp: 160 * i,
        ssrc: 78,
      });
      payload.copy(packet, 12);
      rtpSocket.send(callerSrtp.protectRtp(packet) as Buffer, localRtp.port, '127.0.0.1');
    }
    await gotFrames;
    const expected = new Int16Array(160);
    pcmuDecode(payload, expected);
    expect(frames[0]?.samples.slice(0, 160)).to.deep.equal(expected);

    // The agent speaks; the caller decrypts exactly that audio.
    const speech = new Int16Array(160).fill(-2000);
    const gotHeard = new Promise<void>((resolve) => (heardWaiter = resolve));
    for (let i = 0; i < 3; i++)
      end.send(encodeAudioFrame({ sampleOffset: i * 160, sampleRateHz: 8000, samples: speech, filled: false }));
    await gotHeard;
    const encoded = Buffer.alloc(160);
    pcmuEncode(speech, encoded);
    expect(heard[0]?.equals(encoded)).to.equal(true);
    expect(forgedAccepted, 'every packet to the caller authenticates').to.equal(0);

    const gotReport = new Promise<void>((resolve) => (reportWaiter = resolve));
    await gotReport;
    expect(reports[0]?.[0]?.type).to.be.oneOf(['SR', 'RR']);
    const closed = worker.closeCall('s1', 'caller-bye');
    expect(closed.stats?.packetsReceived, 'only the six genuine packets count').to.equal(6);
  });
});
