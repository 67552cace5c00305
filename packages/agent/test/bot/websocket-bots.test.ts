import { expect } from 'chai';
import type { NumberConfig } from '@voicebridge/protocol';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import type { SpeechToText, Transcript, TranscribeOptions } from '../../src/stt/speech-to-text.ts';
import { LlmCallHarness, type CallHarnessOptions } from '../agents/llm-call-harness.ts';
import { sendPaced } from '../../../../test/support/wait-for.ts';
import { TestBot, type BotConnection } from './test-bot.ts';

// The bots here are written from Twilio's message reference
// (https://www.twilio.com/docs/voice/media-streams/websocket-messages) and from how Pipecat's
// Twilio serializer behaves (2× real time, large chunks, no marks, its own events passed through).

type Agent = Extract<NumberConfig['agent'], { kind: 'websocket' }>;

const TONE = new Int16Array(160).fill(3000);

describe('websocket agent kind: misbehaving and real-world bots (real ws servers, real Redis channel)', function () {
  this.timeout(60_000);
  let tts: FliteTts;
  const bots: TestBot[] = [];
  const calls: LlmCallHarness[] = [];

  before(() => {
    tts = new FliteTts();
  });
  after(() => tts.close());
  afterEach(async () => {
    for (const call of calls.splice(0)) await call.close();
    for (const bot of bots.splice(0)) await bot.close();
  });

  const bot = async (): Promise<TestBot> => {
    const started = await TestBot.start();
    bots.push(started);
    return started;
  };
  const call = async (agent: Partial<Agent> & { url: string }, overrides: Partial<CallHarnessOptions> = {}) => {
    const started = await LlmCallHarness.start({
      llm: { baseUrl: 'http://127.0.0.1:9/v1', model: 'none' },
      env: {},
      tts,
      agentConfig: { kind: 'websocket', connectTimeoutMs: 3000, ...agent },
      ...overrides,
    });
    calls.push(started);
    return started;
  };
  /** The call is answered and the bot has its `start`: returns the bot's connection and stream id. */
  const answered = async (b: TestBot, c: LlmCallHarness, n = 0): Promise<{ conn: BotConnection; sid: string }> => {
    await b.waitFor(() => b.events('start', n).length === 1, 'the start');
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'ready'), 'the agent on the call');
    return {
      conn: b.connections[n] as BotConnection,
      sid: (b.events('start', n)[0] as { streamSid: string }).streamSid,
    };
  };
  /** Sends caller frames until the bot on connection `n` hears one: from then on the agent runs the call. */
  const botHears = async (b: TestBot, c: LlmCallHarness, n: number): Promise<void> => {
    for (let i = 0; i < 100 && b.events('media', n).length === 0; i++) {
      c.media.sendCallerAudio(TONE);
      await b.waitFor(() => b.events('media', n).length > 0, 'a media message', 100).catch(() => undefined);
    }
    expect(b.events('media', n).length, 'media messages at the bot').to.be.greaterThan(0);
  };
  const agentSamples = (c: LlmCallHarness): number =>
    c.media.events.reduce((sum, e) => sum + (e.kind === 'audio' ? e.samples.length : 0), 0);
  const hangups = (c: LlmCallHarness): unknown[] =>
    c.media.controls().flatMap((m) => (m.event === 'hangup' ? [m.reason] : []));
  const usage = (c: LlmCallHarness): Record<string, number> => {
    const line = c.logText.find((l) => l.includes('"usage"'));
    return line ? (JSON.parse(line) as { usage: Record<string, number> }).usage : {};
  };

  it('a garbage bot: binary, bad JSON, oversize, bad payloads, unknown events, a wrong streamSid are ignored, counted, warned once per kind; the call goes on', async () => {
    const b = await bot();
    const c = await call({ url: b.url() });
    const { conn, sid } = await answered(b, c);
    const payload = Buffer.alloc(160, 0x21).toString('base64');
    for (let round = 0; round < 2; round++) {
      conn.socket.send(Buffer.from([1, 2, 3]), { binary: true });
      conn.send('{not json');
      conn.send('"a string"');
      conn.send(JSON.stringify({ event: 'media', streamSid: sid, media: { payload: 'x'.repeat(1024 * 1024 + 8) } }));
      conn.send({ event: 'media', streamSid: sid, media: { payload: 'abc' } });
      conn.send({ event: 'media', streamSid: sid, media: { payload: '!!!!' } });
      conn.send({ event: 'media', streamSid: sid });
      conn.send({ event: 'bot-output', data: { text: 'hi' } });
      conn.send({ event: 'media', streamSid: 'MZ00000000000000000000000000000000', media: { payload } });
    }
    conn.send({ event: 'media', streamSid: sid, media: { payload } });
    await c.media.waitFor(() => agentSamples(c) === 160, 'the one valid frame played');
    expect(hangups(c)).to.deep.equal([]);
    expect(conn.closed).to.equal(undefined);
    await c.close();
    const warnings = c.logText.filter((l) => l.includes('ignored a message from the bot'));
    expect(warnings.map((l) => (JSON.parse(l) as { reason: string }).reason).sort()).to.deep.equal([
      'bad-json',
      'bad-payload',
      'bad-shape',
      'binary',
      'oversize',
      'unknown-event',
      'wrong-stream',
    ]);
    expect(usage(c)).to.include({
      'ignored.binary': 2,
      'ignored.bad-json': 2,
      'ignored.bad-shape': 4,
      'ignored.oversize': 2,
      'ignored.bad-payload': 4,
      'ignored.unknown-event': 2,
      'ignored.wrong-stream': 2,
      botMediaMessages: 1,
    });
    // The same counters in the call record, the URL without its query.
    const stream = c.recordPatches.find((p) => p.bot)?.bot;
    expect(stream).to.deep.include({ url: b.url(), botMediaMessages: 1, callerFramesDropped: 0 });
    expect(stream?.ignored).to.deep.equal({
      binary: 2,
      'bad-json': 2,
      'bad-shape': 4,
      oversize: 2,
      'bad-payload': 4,
      'unknown-event': 2,
      'wrong-stream': 2,
    });
    expect(stream?.connectedAtMs).to.be.a('number');
  });

  it('a Pipecat-like bot (big chunks at 2× real time, no marks, its own events) is played whole and in order', async () => {
    const b = await bot();
    const c = await call({ url: b.url() });
    const { conn, sid } = await answered(b, c);
    // 3 s of audio in 250 ms chunks, each a distinct value, sent every 125 ms (twice real time).
    const chunks = Array.from({ length: 12 }, (_, i) => Buffer.alloc(2000, 0x10 + i));
    await sendPaced(chunks.length, 125, (i) => {
      conn.send({ event: 'media', streamSid: sid, media: { payload: chunks[i]?.toString('base64') } });
      conn.send({ event: 'pipecat-metrics', data: { ttfb: 0.2 } });
    });
    await c.media.waitFor(() => agentSamples(c) === 24_000, 'all 3 s at media');
    // In order, none lost, none doubled: the samples change value exactly at each 2000-sample boundary.
    const samples = Int16Array.from(c.media.events.flatMap((e) => (e.kind === 'audio' ? [...e.samples] : [])));
    for (let i = 0; i < chunks.length; i++) {
      expect(new Set(samples.subarray(i * 2000, (i + 1) * 2000)).size, `chunk ${i}`).to.equal(1);
      if (i > 0) expect(samples[i * 2000], `chunk ${i} differs from ${i - 1}`).to.not.equal(samples[i * 2000 - 1]);
    }
    expect(hangups(c)).to.deep.equal([]);
  });

  it('a flooding bot (10 minutes at once) is held to the bound: ≤ 1.5 s ahead at media, 60 s queued, the rest dropped and counted', async () => {
    const b = await bot();
    const c = await call({ url: b.url() });
    c.media.autoMarks = false;
    const { conn, sid } = await answered(b, c);
    const tenSeconds = Buffer.alloc(80_000, 0x21).toString('base64');
    for (let i = 0; i < 60; i++) conn.send({ event: 'media', streamSid: sid, media: { payload: tenSeconds } });
    // Keys pressed after the flood say when the agent has read all of it.
    conn.send({ event: 'voicebridge.dtmf', dtmf: { digits: '9' } });
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'dtmf'), 'the whole flood read', 30_000);
    expect(c.logText.some((l) => l.includes('agent audio queue full'))).to.equal(true);
    expect(agentSamples(c)).to.be.at.most(1500 * 8);
    await c.close();
    const counted = usage(c);
    expect(counted['botBytes']).to.equal(600 * 8000);
    // 60 s wait in the queue (its cap), about 1.5 s went to media; the other ~538 s were dropped.
    expect(counted['botSamplesDropped']).to.be.within(530 * 8000, 540 * 8000);
  });

  it("a caller's turn (our VAD) and the bot's reply after it: the record's turn runs from the caller's last voice to the reply's first RTP packet; the bot talking over the caller is no reply", async () => {
    const b = await bot();
    const c = await call({ url: b.url() });
    const { conn, sid } = await answered(b, c);
    const voice = new Int16Array(160 * 25).fill(3000);
    const quiet = new Int16Array(160 * 10);
    const reply = Buffer.alloc(1600, 0x21).toString('base64');
    await botHears(b, c, 0);
    // Talked over: voiced bot audio while the caller is still speaking makes no turn.
    c.media.sendCallerAudio(voice);
    await b.waitFor(() => b.events('media').length >= 26, 'the caller streamed');
    conn.send({ event: 'media', streamSid: sid, media: { payload: reply } });
    c.media.sendCallerAudio(quiet);
    await b.waitFor(() => b.events('media').length >= 36, 'the quiet streamed');
    conn.send({ event: 'media', streamSid: sid, media: { payload: reply } });
    await c.media.waitFor(() => c.turns[0]?.firstRtpAtMs !== undefined, 'the turn timed to its first RTP packet');
    expect(c.turns).to.have.length(1);
    const [turn] = c.turns;
    expect(turn?.voiceEndAtMs, 'the caller voice end').to.be.a('number');
    expect(turn?.sttFinalAtMs, 'the reply after it').to.be.at.least(turn!.voiceEndAtMs!);
    expect(turn?.firstRtpAtMs).to.be.at.least(turn!.sttFinalAtMs);
    // More of the same reply is not another turn; neither is audio after a caller noise.
    conn.send({ event: 'media', streamSid: sid, media: { payload: reply } });
    c.media.sendCallerAudio(new Int16Array(160 * 3).fill(3000));
    c.media.sendCallerAudio(quiet);
    await b.waitFor(() => b.events('media').length >= 49, 'the noise streamed');
    conn.send({ event: 'media', streamSid: sid, media: { payload: reply } });
    await c.media.waitFor(() => agentSamples(c) === 4 * 1600, 'every reply at media');
    expect(c.turns).to.have.length(1);
  });

  it('transcribe: both sides go to a recogniser, each its own stream, and its finals into the record as caller and agent lines', async () => {
    // Stands in for the recogniser (the real one is tested in a real call): one final per stream
    // when its audio ends, saying how much audio it read.
    const streams: number[] = [];
    const stt: SpeechToText = {
      async *transcribe(audio: AsyncIterable<Int16Array>, _options: TranscribeOptions): AsyncGenerator<Transcript> {
        const index = streams.push(0) - 1;
        for await (const chunk of audio) streams[index] = (streams[index] ?? 0) + chunk.length;
        yield { text: `heard ${streams[index]} samples`, final: true, startMs: 0, endMs: 0 };
      },
      close: () => Promise.resolve(),
    };
    const b = await bot();
    const c = await call({ url: b.url(), transcribe: true }, { stt });
    const { conn, sid } = await answered(b, c);
    await botHears(b, c, 0);
    conn.send({ event: 'media', streamSid: sid, media: { payload: Buffer.alloc(16_000, 0x21).toString('base64') } });
    await c.media.waitFor(() => agentSamples(c) >= 1600, 'the bot audio at media');
    expect(streams).to.have.length(2);
    await c.close();
    await c.waitForTranscript((t) => t.length === 2, 'both lines');
    expect(c.transcript).to.deep.include({ speaker: 'agent', text: 'heard 16000 samples' });
    expect(c.transcript.find((t) => t.speaker === 'caller')?.text).to.match(/^heard [1-9]\d* samples$/);
  });

  it('a bot closing with 1000 ends the call: BYE with bot-closed, the close code logged', async () => {
    const b = await bot();
    const c = await call({ url: b.url() });
    const { conn } = await answered(b, c);
    conn.socket.close(1000, 'goodbye');
    await c.media.waitFor(() => hangups(c).length === 1, 'the hangup');
    expect(hangups(c)).to.deep.equal(['bot-closed']);
    expect(c.logText.join('')).to.include('"closeCode":1000,"closeReason":"goodbye"');
    await c.close();
    expect(c.recordPatches.find((p) => p.bot)?.bot).to.deep.include({ closeCode: 1000, closeReason: 'goodbye' });
  });

  it('an abnormal close (1006) ends the call too when the number has no reconnect window', async () => {
    const b = await bot();
    const c = await call({ url: b.url() });
    const { conn } = await answered(b, c);
    conn.socket.terminate();
    await c.media.waitFor(() => hangups(c).length === 1, 'the hangup');
    expect(hangups(c)).to.deep.equal(['bot-closed']);
    expect(c.logText.join('')).to.include('"closeCode":1006');
  });

  it('with reconnectMs, an abnormal close reconnects: connected + start again, same callSid and streamSid, reconnect=1', async () => {
    const b = await bot();
    const c = await call({ url: b.url(), reconnectMs: 5000 });
    const first = await answered(b, c);
    await botHears(b, c, 0);
    first.conn.socket.terminate();
    await b.waitFor(() => b.events('start', 1).length === 1, 'the second start');
    const [a, z] = [b.events('start', 0)[0], b.events('start', 1)[0]] as Array<{ start: Record<string, unknown> }>;
    expect(b.connections[1]?.messages[0]).to.deep.equal({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(z?.start['callSid']).to.equal(a?.start['callSid']);
    expect(z?.start['streamSid']).to.equal(a?.start['streamSid']);
    expect(z?.start['customParameters']).to.include({ reconnect: '1' });
    expect(z).to.include({ sequenceNumber: '1' });
    await botHears(b, c, 1);
    expect((b.events('media', 1)[0] as { media: { chunk: string } }).media.chunk).to.equal('1');
    expect(hangups(c)).to.deep.equal([]);
  });

  it('a takeover of an answered call (a worker died): the new owner starts the same stream with reconnect=1, caller and callee from the record', async () => {
    const b = await bot();
    const c = await call(
      { url: b.url() },
      {
        record: {
          version: 1,
          callId: 'taken-over',
          sipCallId: 'abc@pbx.example',
          from: '"Alice" <sip:+15557770000@pbx.example>;tag=1',
          to: '<sip:+15550001111@bridge.example>',
          number: '+15550001111',
          status: 'answered',
          invitedAtMs: Date.now() - 10_000,
          answeredAtMs: Date.now() - 9_000,
          transcript: [],
        },
      },
    );
    await answered(b, c);
    const start = b.events('start')[0] as { start: { customParameters: Record<string, string> } };
    expect(start.start.customParameters).to.deep.include({
      from_number: '+15557770000',
      to_number: '+15550001111',
      sipCallId: 'abc@pbx.example',
      callId: c.callId,
      reconnect: '1',
    });
  });

  it('extension events: voicebridge.dtmf presses keys, voicebridge.hangup ends the call (agent-hangup)', async () => {
    const b = await bot();
    const c = await call({ url: b.url() });
    const { conn } = await answered(b, c);
    conn.send({ event: 'voicebridge.dtmf', dtmf: { digits: '12#' } });
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'dtmf'), 'the keys');
    expect(c.media.controls().find((m) => m.event === 'dtmf')).to.include({ digits: '12#' });
    conn.send({ event: 'voicebridge.hangup' });
    await c.media.waitFor(() => hangups(c).length === 1, 'the hangup');
    expect(hangups(c)).to.deep.equal(['agent-hangup']);
  });
});
