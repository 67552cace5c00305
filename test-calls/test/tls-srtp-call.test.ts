import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { SrtpSession, pcmuEncode, writeRtpHeader } from '@voicebridge/rtp';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { freePort } from '../../test/support/free-port.ts';
import { selfSignedCertificate, TlsSipClient, type SipTextMessage } from '../src/tls-sip-client.ts';
import { assertBridgeIdle, endedRecord } from '../src/sipp.ts';
import { repeatEvery, schedule } from '../../test/support/wait-for.ts';

const ECHO = '+15550199';

/** 20 ms of a tone whose pitch and level differ per packet, so every payload is recognisable. */
function tonePayload(index: number): Buffer {
  const samples = new Int16Array(160);
  const hz = 300 + (index % 40) * 25;
  for (let i = 0; i < 160; i++)
    samples[i] = Math.round((4000 + (index % 7) * 500) * Math.sin((2 * Math.PI * hz * (index * 160 + i)) / 8000));
  const payload = Buffer.alloc(160);
  pcmuEncode(samples, payload);
  return payload;
}

function status(message: SipTextMessage): number {
  return Number(message.startLine.split(' ')[1]);
}

describe('a call over SIP/TLS with SDES-SRTP media (node:tls client, echo number)', function () {
  this.timeout(120_000);
  let bridge: RunningBridge;
  let tlsPort: number;
  const certificate = selfSignedCertificate();
  const cleanup: (() => unknown)[] = [];

  before(async () => {
    tlsPort = await freePort('tcp');
    bridge = await startBridge({
      env: {
        SIP_TRANSPORTS: 'udp,tcp,tls',
        SIP_TLS_PORT: String(tlsPort),
        SIP_TLS_CERT: certificate.cert,
        SIP_TLS_KEY: certificate.key,
        MEDIA_TIMEOUT_MS: '4000',
      },
    });
  });
  after(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await bridge?.stop();
    certificate.remove();
  });

  it('INVITE with RTP/SAVP → 200 with our own key → ACK → SRTP both ways, the echo decrypts to what we sent → BYE', async () => {
    const client = await TlsSipClient.connect(tlsPort, readFileSync(certificate.cert));
    cleanup.push(() => client.close());
    expect(client.socket.getProtocol()).to.be.oneOf(['TLSv1.2', 'TLSv1.3']);
    const rtp: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', resolve));
    cleanup.push(() => rtp.close());
    const rtpPort = rtp.address().port;

    const ourKey = randomBytes(30);
    const callId = `tls-${randomBytes(6).toString('hex')}@127.0.0.1`;
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${rtpPort} RTP/SAVP 0 101`,
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${ourKey.toString('base64')}|2^31`,
      'a=sendrecv',
      '',
    ].join('\r\n');
    const local = `127.0.0.1:${client.localPort}`;
    const via = (branch: string) => `Via: SIP/2.0/TLS ${local};branch=z9hG4bK${branch};rport`;
    const common = [
      `From: <sips:tester@127.0.0.1>;tag=tlsfrom`,
      `To: <sips:${ECHO}@127.0.0.1>`,
      `Call-ID: ${callId}`,
      'Max-Forwards: 70',
      `Contact: <sips:tester@${local}>`,
    ];
    client.send(
      [
        `INVITE sips:${ECHO}@127.0.0.1:${tlsPort} SIP/2.0`,
        via('inv1'),
        ...common,
        'CSeq: 1 INVITE',
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(sdp)}`,
        '',
        sdp,
      ].join('\r\n'),
    );
    const ok = await client.next((m) => m.startLine.startsWith('SIP/2.0 ') && status(m) >= 200, 60_000);
    expect(status(ok), ok.raw).to.equal(200);
    // RFC 3261 §12.1.1: a SIPS Request-URI gets a SIPS Contact; the Via is answered over TLS.
    expect(ok.headers.get('contact')?.[0]).to.match(/^<sips:127\.0\.0\.1:\d+>/);
    expect(ok.headers.get('via')?.[0]).to.include('SIP/2.0/TLS');
    const mline = /m=audio (\d+) RTP\/SAVP 0/.exec(ok.body);
    expect(mline, ok.body).to.not.equal(null);
    const crypto = /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/]{40})/.exec(ok.body);
    expect(crypto, ok.body).to.not.equal(null);
    const theirKey = Buffer.from(crypto![1]!, 'base64');
    expect(theirKey.equals(ourKey), 'the answer carries a key of its own').to.equal(false);
    const toHeader = ok.headers.get('to')?.[0] ?? '';
    client.send(
      [
        `ACK sips:${ECHO}@127.0.0.1:${tlsPort} SIP/2.0`,
        via('ack1'),
        ...common.map((h) => (h.startsWith('To:') ? `To: ${toHeader}` : h)),
        'CSeq: 1 ACK',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );

    const srtp = new SrtpSession({
      suite: 'AES_CM_128_HMAC_SHA1_80',
      local: { key: ourKey.subarray(0, 16), salt: ourKey.subarray(16) },
      remote: { key: theirKey.subarray(0, 16), salt: theirKey.subarray(16) },
    });
    const sent = new Set<string>();
    let decrypted = 0;
    let refused = 0;
    let echoed = 0;
    let enough: () => void = () => undefined;
    const matched = new Promise<void>((resolve) => (enough = resolve));
    rtp.on('message', (packet) => {
      const plain = srtp.unprotectRtp(packet);
      if (!plain) return refused++;
      decrypted++;
      if (sent.has(plain.subarray(12).toString('hex'))) echoed++;
      if (echoed >= 25) enough();
    });
    const bridgeRtpPort = Number(mline![1]);
    let index = 0;
    const ssrc = 0x5eed1234;
    const stopSender = repeatEvery(20, () => {
      const payload = tonePayload(index);
      sent.add(payload.toString('hex'));
      const packet = Buffer.alloc(172);
      writeRtpHeader(packet, 0, {
        marker: index === 0,
        payloadType: 0,
        sequenceNumber: (1000 + index) & 0xffff,
        timestamp: index * 160,
        ssrc,
      });
      payload.copy(packet, 12);
      rtp.send(srtp.protectRtp(packet)!, bridgeRtpPort, '127.0.0.1');
      index++;
    });
    cleanup.push(stopSender);
    const cancelDeadline = schedule(40_000, enough);
    await matched;
    cancelDeadline();
    stopSender();
    expect(refused, 'every packet from the bridge authenticates with the key of its answer').to.equal(0);
    expect(echoed, `${decrypted} SRTP packets decrypted, ${index} sent`).to.be.at.least(25);

    client.send(
      [
        `BYE sips:127.0.0.1:${tlsPort} SIP/2.0`,
        via('bye1'),
        ...common.map((h) => (h.startsWith('To:') ? `To: ${toHeader}` : h)),
        'CSeq: 2 BYE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    const byeOk = await client.next(
      (m) => m.startLine.startsWith('SIP/2.0 ') && (m.headers.get('cseq')?.[0] ?? '').endsWith('BYE'),
    );
    expect(status(byeOk)).to.equal(200);
    const record = await endedRecord(bridge, callId);
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    expect(JSON.stringify(record))
      .to.not.include(theirKey.toString('base64'))
      .and.to.not.include(ourKey.toString('base64'));
    expect(bridge.logs.join('\n'))
      .to.not.include(theirKey.toString('base64'))
      .and.to.not.include(ourKey.toString('base64'));
  });

  it("sends its own in-dialog BYE back on the caller's TLS connection, not to the Contact's port", async () => {
    const client = await TlsSipClient.connect(tlsPort, readFileSync(certificate.cert));
    cleanup.push(() => client.close());
    const key = randomBytes(30).toString('base64');
    const callId = `tls-bye-${randomBytes(6).toString('hex')}@127.0.0.1`;
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 40000 RTP/SAVP 0',
      `a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:${key}`,
      '',
    ].join('\r\n');
    const local = `127.0.0.1:${client.localPort}`;
    // The Contact names a port checked free (not a fixed one another bridge may hold), where nothing
    // listens: only the live connection reaches us.
    const deadContactPort = await freePort('tcp');
    const common = [
      `From: <sip:tester@127.0.0.1>;tag=byefrom`,
      `Call-ID: ${callId}`,
      'Max-Forwards: 70',
      `<sip:tester@127.0.0.1:${deadContactPort};transport=tls>`,
    ];
    const head = (method: string, branch: string) => [
      `${method} sip:${ECHO}@127.0.0.1:${tlsPort};transport=tls SIP/2.0`,
      `Via: SIP/2.0/TLS ${local};branch=z9hG4bK${branch};rport`,
      common[0],
      common[1],
      common[2],
      `Contact: ${common[3]}`,
    ];
    client.send(
      [
        ...head('INVITE', 'b1'),
        `To: <sip:${ECHO}@127.0.0.1>`,
        'CSeq: 1 INVITE',
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(sdp)}`,
        '',
        sdp,
      ].join('\r\n'),
    );
    const ok = await client.next((m) => m.startLine.startsWith('SIP/2.0 ') && status(m) >= 200, 60_000);
    expect(status(ok), ok.raw).to.equal(200);
    expect(ok.body).to.match(/a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:/);
    expect(ok.headers.get('contact')?.[0]).to.match(/^<sip:127\.0\.0\.1:\d+;transport=tls>/);
    client.send(
      [...head('ACK', 'b2'), `To: ${ok.headers.get('to')?.[0]}`, 'CSeq: 1 ACK', 'Content-Length: 0', '', ''].join(
        '\r\n',
      ),
    );
    // No RTP from us: the media timeout (4 s) makes the bridge hang up.
    const bye = await client.next((m) => m.startLine.startsWith('BYE '), 30_000);
    expect(bye.headers.get('via')?.[0]).to.match(/^SIP\/2\.0\/TLS /);
    const response = [
      'SIP/2.0 200 OK',
      ...['via', 'from', 'to', 'call-id', 'cseq'].flatMap((name) =>
        (bye.headers.get(name) ?? []).map((v) => `${name}: ${v}`),
      ),
      'Content-Length: 0',
      '',
      '',
    ];
    client.send(response.join('\r\n'));
    const record = await endedRecord(bridge, callId);
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'media-timeout' });
  });

  it('refuses a TLS 1.1 handshake', async () => {
    const { connect } = await import('node:tls');
    const error = await new Promise<Error | undefined>((resolve) => {
      const socket = connect(
        {
          host: '127.0.0.1',
          port: tlsPort,
          ca: readFileSync(certificate.cert),
          maxVersion: 'TLSv1.1',
          minVersion: 'TLSv1',
        },
        () => {
          socket.destroy();
          resolve(undefined);
        },
      );
      socket.once('error', resolve);
    });
    expect(error, 'a TLS 1.1 handshake must fail').to.be.instanceOf(Error);
  });

  it('leaves no live call, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge);
  });
});
