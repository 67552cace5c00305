import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel } from '@voicebridge/channel';
import { MediaControlServer, MediaWorker, PortPool } from '@voicebridge/media';
import {
  CALLS_QUEUE,
  decodeControlJson,
  encodeControl,
  FRAME_KIND_CONTROL,
  loadBridgeConfig,
  type AgentDecision,
  type BridgeConfig,
  type CallJob,
} from '@voicebridge/protocol';
import { MediaClock } from '@voicebridge/rtp';
import { CallRecordRepository, RedisKeys } from '@voicebridge/store';
import { SignalingService } from '../src/index.ts';
import { freePort, freeRtpPortRange } from '../../../test/support/free-port.ts';
import { waitFor } from '../../../test/support/wait-for.ts';
import { inviteText, newCallId, offerSdp, okFor, requestText, SipPeer, toTagOf } from './sip-peer.ts';

const log = pino({ level: 'silent' });

type AgentBehaviour = (job: Job<CallJob>, send: (m: object) => void, started: Promise<void>) => Promise<void>;

describe('SignalingService (real UDP SIP, media worker, Redis, BullMQ)', function () {
  this.timeout(30_000);
  const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
  const cleanup: (() => unknown)[] = [];
  let config: BridgeConfig;
  let signaling: SignalingService;
  let pool: PortPool;
  let peer: SipPeer;
  let redis: Redis;
  let behaviour: AgentBehaviour | undefined;
  /** What the test's agent tells signaling once ready (reported as the job's progress, as agents do). */
  let decision: unknown = { decision: 'accept' } satisfies AgentDecision;
  let agentWorker: Worker | undefined;
  let clock: MediaClock;
  let mediaServer: MediaControlServer;
  let mediaWorker: MediaWorker;

  before(async () => {
    const rtp = await freeRtpPortRange(20);
    config = loadBridgeConfig({
      SIP_PORT: String(await freePort('udp', 'tcp')),
      SIP_ADVERTISED_ADDRESS: '192.0.2.10',
      RTP_ADVERTISED_ADDRESS: '192.0.2.10',
      RTP_PORT_MIN: String(rtp.minPort),
      RTP_PORT_MAX: String(rtp.maxPort),
      MEDIA_CONTROL_PORT: String(await freePort('tcp')),
      MEDIA_WORKERS: '1', // one MediaControlServer below
      REDIS_KEY_PREFIX: prefix,
      ANSWER_TIMEOUT_MS: '1500',
      DRAIN_TIMEOUT_MS: '500',
    });
    const conns = Array.from({ length: 7 }, () => new Redis({ maxRetriesPerRequest: null }));
    cleanup.push(() => conns.forEach((c) => c.disconnect()));
    redis = conns[0]!;
    cleanup.push(async () => {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    });
    const channel = new RedisAudioChannel({ publisher: conns[1]!, subscriber: conns[2]!, keyPrefix: prefix });
    clock = new MediaClock();
    pool = new PortPool({
      bindAddress: '127.0.0.1',
      minPort: config.RTP_PORT_MIN,
      maxPort: config.RTP_PORT_MAX,
      quarantineMs: 100,
    });
    const server: { ref?: MediaControlServer } = {};
    const media = new MediaWorker({
      pool,
      clock,
      channel,
      advertisedAddress: '192.0.2.10',
      log,
      onEvent: (e) => server.ref?.broadcast(e),
    });
    server.ref = new MediaControlServer({ worker: media, host: '127.0.0.1', port: config.MEDIA_CONTROL_PORT, log });
    await server.ref.listen();
    mediaServer = server.ref;
    mediaWorker = media;
    cleanup.push(
      () => media.close(),
      () => server.ref?.close(),
      () => clock.close(),
      () => pool.close(),
      () => channel.close(),
    );
    signaling = await SignalingService.start({ config, log, redis: conns[3]!, eventsRedis: conns[4]! });
    cleanup.push(() => signaling.close(200));
    await signaling.media.whenConnected();
    // The test plays the agent: a real BullMQ worker on the calls queue, speaking the channel protocol.
    const agentChannel = new RedisAudioChannel({ publisher: conns[5]!, subscriber: conns[6]!, keyPrefix: prefix });
    cleanup.push(() => agentChannel.close());
    const workerConnection = new Redis({ maxRetriesPerRequest: null });
    cleanup.push(() => workerConnection.disconnect());
    agentWorker = new Worker<CallJob>(
      CALLS_QUEUE,
      async (job) => {
        let resolveStarted!: () => void;
        let resolveStopped!: () => void;
        const started = new Promise<void>((resolve) => (resolveStarted = resolve));
        const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
        const end = agentChannel.open(job.data.callId, 'agent', (m) => {
          if (m[0] !== FRAME_KIND_CONTROL) return;
          const c = decodeControlJson(m) as { event?: string };
          if (c.event === 'start') resolveStarted();
          if (c.event === 'stop') resolveStopped();
        });
        await end.ready;
        end.send(encodeControl({ event: 'ready' }));
        await job.updateProgress(decision as object);
        await behaviour?.(job, (msg) => end.send(encodeControl(msg)), started);
        await stopped;
        end.close();
      },
      { connection: workerConnection, prefix: `${prefix}:bull`, concurrency: 5, autorun: false },
    );
    cleanup.push(async () => {
      await agentWorker?.close();
    });
  });

  beforeEach(async () => {
    peer = await SipPeer.open();
  });

  afterEach(() => peer.close());

  after(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function record(sipCallId: string) {
    const records = new CallRecordRepository(redis, new RedisKeys(prefix));
    const id = await records.findBySipCallId(sipCallId);
    return id ? records.get(id) : undefined;
  }

  async function waitForVerdict(sipCallId: string): Promise<NonNullable<Awaited<ReturnType<typeof record>>>> {
    return waitFor(
      `the record of ${sipCallId} ended`,
      5000,
      async () => {
        const r = await record(sipCallId);
        return r?.status === 'ended' ? r : undefined;
      },
      { everyMs: 25 },
    );
  }

  function invite(number: string, callId = newCallId(), extra: string[] = [], sdp?: string): string {
    peer.send(
      inviteText({
        number,
        bridgePort: config.SIP_PORT,
        peerPort: peer.port,
        callId,
        branch: `z9hG4bK${randomBytes(4).toString('hex')}`,
        extraHeaders: extra,
        sdp,
      }),
      config.SIP_PORT,
    );
    return callId;
  }

  it('answers an unknown number with 404, writes no call record (a flood must not) and counts the refusal', async () => {
    const before = signaling.calls.refusedBeforeAdmission;
    const callId = invite('+15550000');
    await peer.response(100, 'INVITE', callId);
    await peer.response(404, 'INVITE', callId);
    await waitFor('the refusal counted', 5000, () => signaling.calls.refusedBeforeAdmission === before + 1);
    expect(await record(callId)).to.equal(undefined);
  });

  it('answers an offer with no PCMU/PCMA with 488 and a Warning', async () => {
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n';
    const callId = invite('+15550199', undefined, [], sdp);
    const res = await peer.response(488, 'INVITE', callId);
    expect(res.headers.get('Warning')).to.match(/^3\d\d /);
  });

  it('sends 503 when no agent claims the call in time, leaving no job and no port', async () => {
    behaviour = undefined; // the worker is not running: nobody claims
    const callId = invite('+15550199');
    await peer.response(180, 'INVITE', callId);
    const res = await peer.response(503, 'INVITE', callId);
    expect(res.headers.get('Retry-After')).to.match(/^\d+$/);
    expect((await waitForVerdict(callId)).verdict?.reason).to.equal('no-agent');
    expect(await redis.llen(`${prefix}:bull:${CALLS_QUEUE}:wait`)).to.equal(0);
    expect(pool.allocatedCount).to.equal(0);
  });

  it('CANCEL while ringing: 200 to the CANCEL, 487 to the INVITE, verdict caller-cancel, no job left', async () => {
    // Still before the agent worker runs: nobody claims, so the call rings until ANSWER_TIMEOUT_MS.
    const callId = invite('+15550199');
    await peer.response(180, 'INVITE', callId);
    const inv = peer.received.find((m) => m.type === 'response' && m.headers.get('Call-ID') === callId);
    const branch = /branch=([^;]+)/.exec(inv?.headers.get('Via') ?? '')?.[1] ?? '';
    peer.send(
      requestText('CANCEL', {
        bridgePort: config.SIP_PORT,
        peerPort: peer.port,
        callId,
        number: '+15550199',
        toTag: '',
        branch,
        cseq: 1,
      }),
      config.SIP_PORT,
    );
    await peer.response(200, 'CANCEL', callId);
    await peer.response(487, 'INVITE', callId);
    expect((await waitForVerdict(callId)).verdict).to.deep.include({
      by: 'caller',
      reason: 'caller-cancel',
      sipStatus: 487,
    });
    expect(await redis.llen(`${prefix}:bull:${CALLS_QUEUE}:wait`)).to.equal(0);
    expect(pool.allocatedCount).to.equal(0);
  });

  it('answers once an agent claims; the SDP, Contact and our Via carry the advertised address; agent hangup sends BYE along the route set', async () => {
    void agentWorker?.run();
    behaviour = async (_job, send, started) => {
      await started;
      send({ event: 'hangup', reason: 'agent-hangup' });
    };
    const rr = [
      `Record-Route: <sip:127.0.0.1:${peer.port};lr;r=1>`,
      `Record-Route: <sip:127.0.0.1:${peer.port};lr;r=2>`,
    ];
    const callId = invite('+15550199', undefined, rr);
    await peer.response(180, 'INVITE', callId);
    const ok = await peer.response(200, 'INVITE', callId);
    const body = ok.body.toString();
    expect(body).to.match(/^c=IN IP4 192\.0\.2\.10\r?$/m);
    expect(body).to.match(/^o=\S+ \S+ \S+ IN IP4 192\.0\.2\.10\r?$/m);
    expect(ok.headers.get('Contact')).to.include('192.0.2.10');
    expect(ok.headers.getAll('Record-Route')).to.deep.equal([
      `<sip:127.0.0.1:${peer.port};lr;r=1>`,
      `<sip:127.0.0.1:${peer.port};lr;r=2>`,
    ]);
    const toTag = toTagOf(ok);
    peer.send(
      requestText('ACK', {
        bridgePort: config.SIP_PORT,
        peerPort: peer.port,
        callId,
        number: '+15550199',
        toTag,
        branch: 'z9hG4bKack1',
        cseq: 1,
      }),
      config.SIP_PORT,
    );
    const bye = await peer.request('BYE', callId);
    expect(bye.uri).to.equal(`sip:caller@127.0.0.1:${peer.port}`);
    expect(bye.headers.getAll('Route')).to.deep.equal([
      `<sip:127.0.0.1:${peer.port};lr;r=1>`,
      `<sip:127.0.0.1:${peer.port};lr;r=2>`,
    ]);
    expect(bye.headers.get('Via')).to.match(/^SIP\/2\.0\/UDP 192\.0\.2\.10:/);
    peer.send(okFor(bye), config.SIP_PORT);
    const r = await waitForVerdict(callId);
    expect(r.verdict).to.deep.include({ by: 'agent', reason: 'agent-hangup' });
    expect(r.answeredAtMs).to.be.a('number');
    expect(r.codec).to.equal('PCMU');
  });

  it('a caller BYE ends the call: 200 OK, verdict caller-bye, port released', async () => {
    behaviour = async () => undefined;
    const callId = invite('+15550199');
    const ok = await peer.response(200, 'INVITE', callId);
    const toTag = toTagOf(ok);
    const base = { bridgePort: config.SIP_PORT, peerPort: peer.port, callId, number: '+15550199', toTag };
    peer.send(requestText('ACK', { ...base, branch: 'z9hG4bKack2', cseq: 1 }), config.SIP_PORT);
    peer.send(requestText('BYE', { ...base, branch: 'z9hG4bKbye2', cseq: 2 }), config.SIP_PORT);
    await peer.response(200, 'BYE', callId);
    const ended = await waitForVerdict(callId);
    expect(ended.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    // The media worker's RTP/RTCP counters land in the record.
    expect(ended.media?.packetsSent).to.be.a('number');
    expect(pool.allocatedCount).to.equal(0);
  });

  it("an agent's error hangup sends BYE and gives the record's verdict its code and one-line reason", async () => {
    behaviour = async (_job, send, started) => {
      await started;
      send({ event: 'hangup', reason: 'error', code: 'VB_ENGINE_FAILED', detail: 'flite: exited with code 1' });
    };
    const callId = invite('+15550199');
    const ok = await peer.response(200, 'INVITE', callId);
    const base = { bridgePort: config.SIP_PORT, peerPort: peer.port, callId, number: '+15550199', toTag: toTagOf(ok) };
    peer.send(requestText('ACK', { ...base, branch: 'z9hG4bKack3', cseq: 1 }), config.SIP_PORT);
    const bye = await peer.request('BYE', callId);
    peer.send(okFor(bye), config.SIP_PORT);
    expect((await waitForVerdict(callId)).verdict).to.deep.equal({
      by: 'agent',
      reason: 'error',
      code: 'VB_ENGINE_FAILED',
      detail: 'flite: exited with code 1',
    });
  });

  it('an agent that refuses gets the caller its SIP status, never a 200, and the record the verdict and reason', async () => {
    const reason = 'the bot at wss://bot.example/voice is down';
    decision = { decision: 'refuse', code: 'agent-refused', reason, sipStatus: 480 } satisfies AgentDecision;
    behaviour = async () => undefined;
    try {
      const callId = invite('+15550199');
      await peer.response(180, 'INVITE', callId);
      await peer.response(480, 'INVITE', callId);
      const r = await waitForVerdict(callId);
      expect(r.verdict).to.deep.equal({ by: 'agent', reason: 'agent-refused', sipStatus: 480, detail: reason });
      expect(r.answeredAtMs).to.equal(undefined);
      const finals = peer.received.flatMap((m) =>
        m.type === 'response' && m.headers.get('Call-ID') === callId && m.status >= 200 ? [m.status] : [],
      );
      // Retransmissions of the 480 (Timer G) may be there too: no other final status may.
      expect([...new Set(finals)]).to.deep.equal([480]);
      expect(pool.allocatedCount).to.equal(0);
    } finally {
      decision = { decision: 'accept' } satisfies AgentDecision;
    }
  });

  it('an invalid agent decision is ignored at the edge: the call gets 503 once ANSWER_TIMEOUT_MS runs out', async () => {
    decision = { decision: 'refuse', code: 'agent-refused', reason: 'answer it anyway', sipStatus: 200 };
    behaviour = async () => undefined;
    try {
      const callId = invite('+15550199');
      await peer.response(180, 'INVITE', callId);
      await peer.response(503, 'INVITE', callId);
      expect((await waitForVerdict(callId)).verdict).to.deep.include({
        by: 'bridge',
        reason: 'no-agent',
        sipStatus: 503,
        detail: 'the agent that claimed the call did not accept it in time',
      });
    } finally {
      decision = { decision: 'accept' } satisfies AgentDecision;
    }
  });

  it('a re-INVITE while another still waits for media gets 500 with Retry-After 0-10 s (RFC 3261 §14.2); the first gets 200', async () => {
    behaviour = async () => undefined;
    const callId = invite('+15550199');
    const ok = await peer.response(200, 'INVITE', callId);
    const toTag = toTagOf(ok);
    const base = { bridgePort: config.SIP_PORT, peerPort: peer.port, callId, number: '+15550199', toTag };
    peer.send(requestText('ACK', { ...base, branch: 'z9hG4bKack3', cseq: 1 }), config.SIP_PORT);
    const reinvite = (cseq: number, direction: string): string => {
      const body = offerSdp(40002).replace('a=sendrecv', `a=${direction}`);
      return requestText('INVITE', { ...base, branch: `z9hG4bKre${cseq}`, cseq }).replace(
        'Content-Length: 0\r\n\r\n',
        `Contact: <sip:caller@127.0.0.1:${peer.port}>\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    // Both in one datagram burst: the second arrives while the first waits for the media worker.
    peer.send(reinvite(2, 'sendonly'), config.SIP_PORT);
    peer.send(reinvite(3, 'sendrecv'), config.SIP_PORT);
    const refused = await peer.wait(
      (m) => m.type === 'response' && m.status === 500 && m.headers.get('CSeq') === '3 INVITE',
    );
    expect(Number(refused.headers.get('Retry-After'))).to.be.within(0, 10);
    const accepted = await peer.wait(
      (m) => m.type === 'response' && m.status === 200 && m.headers.get('CSeq') === '2 INVITE',
    );
    expect(accepted.body.toString()).to.match(/a=recvonly/);
    peer.send(requestText('ACK', { ...base, branch: 'z9hG4bKack4', cseq: 2 }), config.SIP_PORT);
    peer.send(requestText('BYE', { ...base, branch: 'z9hG4bKbye4', cseq: 4 }), config.SIP_PORT);
    await peer.response(200, 'BYE', callId);
    expect((await waitForVerdict(callId)).verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
  });

  it('answers a malformed INVITE with 400 and keeps serving OPTIONS', async () => {
    const callId = newCallId();
    const bad = inviteText({
      number: '+15550199',
      bridgePort: config.SIP_PORT,
      peerPort: peer.port,
      callId,
      branch: 'z9hG4bKbad',
    }).replace(/Content-Length: \d+/, 'Content-Length: abc');
    peer.send(bad, config.SIP_PORT);
    await peer.response(400, 'INVITE', callId);
    const optionsId = newCallId();
    peer.send(
      [
        `OPTIONS sip:127.0.0.1:${config.SIP_PORT} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKopt1`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1>;tag=p1`,
        `To: <sip:127.0.0.1>`,
        `Call-ID: ${optionsId}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      config.SIP_PORT,
    );
    const ok = await peer.response(200, 'OPTIONS', optionsId);
    expect(ok.headers.get('Allow')).to.include('INVITE');
    expect(ok.headers.get('Accept')).to.equal('application/sdp');
    expect(ok.headers.has('Supported')).to.equal(true);
  });

  it('sends BYE with verdict media-lost to a live call when the media worker goes away', async () => {
    behaviour = async () => undefined;
    const callId = invite('+15550199');
    const ok = await peer.response(200, 'INVITE', callId);
    const toTag = toTagOf(ok);
    peer.send(
      requestText('ACK', {
        bridgePort: config.SIP_PORT,
        peerPort: peer.port,
        callId,
        number: '+15550199',
        toTag,
        branch: 'z9hG4bKack9',
        cseq: 1,
      }),
      config.SIP_PORT,
    );
    await new Promise<void>((resolve) => {
      const check = (): void =>
        signaling.calls.size > 0 && pool.allocatedCount > 0 ? resolve() : void setImmediate(check);
      check();
    });
    // The media process dies: its sessions and its control connection go at once.
    mediaWorker.close('media-lost');
    await mediaServer.close();
    const bye = await peer.request('BYE', callId);
    peer.send(okFor(bye), config.SIP_PORT);
    expect((await waitForVerdict(callId)).verdict).to.deep.include({ by: 'bridge', reason: 'media-lost' });
  });

  it('answers OPTIONS over TCP on the same connection', async () => {
    const { connect } = await import('node:net');
    const socket = connect({ host: '127.0.0.1', port: config.SIP_PORT });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const callId = newCallId();
    const reply = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        if (text.includes('\r\n\r\n')) resolve(text);
      });
    });
    const local = socket.address() as { port: number };
    socket.write(
      [
        `OPTIONS sip:127.0.0.1:${config.SIP_PORT};transport=tcp SIP/2.0`,
        `Via: SIP/2.0/TCP 127.0.0.1:${local.port};branch=z9hG4bKtcp1`,
        'Max-Forwards: 70',
        'From: <sip:probe@127.0.0.1>;tag=t1',
        'To: <sip:127.0.0.1>',
        `Call-ID: ${callId}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    const text = await reply;
    socket.destroy();
    expect(text).to.match(/^SIP\/2\.0 200 /);
    expect(text).to.include(`Call-ID: ${callId}`);
  });

  it('leaves every per-call key with a TTL', async () => {
    const keys = [...(await redis.keys(`${prefix}:call:*`)), ...(await redis.keys(`${prefix}:sipcall:*`))];
    expect(keys.length).to.be.greaterThan(0);
    for (const key of keys) expect(await redis.ttl(key), key).to.be.greaterThan(0);
  });

  it('leaves no live timer, port or transaction once closed', async () => {
    // Every call is over: no port is held and the media clock has no subscriber (its timer stops).
    expect(pool.allocatedCount).to.equal(0);
    expect(clock.size).to.equal(0);
    for (const fn of cleanup.splice(0).reverse()) await fn();
    // SIP timers live in transactions and dialogs: none is left after close.
    expect(signaling.stack.stats).to.deep.equal({ serverTransactions: 0, clientTransactions: 0, dialogs: 0 });
  });
});
