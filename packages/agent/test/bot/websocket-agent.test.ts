import { createServer, type Server, type Socket } from 'node:net';
import { expect } from 'chai';
import type { AgentDecision, NumberConfig } from '@voicebridge/protocol';
import { twilioSignature } from '../../src/bot/twilio-ids.ts';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import { LlmCallHarness, type CallHarnessOptions } from '../agents/llm-call-harness.ts';
import { freePort } from '../../../../test/support/free-port.ts';
import { waitFor } from '../../../../test/support/wait-for.ts';
import { streamProblems } from './stream-conformance.ts';
import { echoMedia, TestBot, type BotConnection } from './test-bot.ts';

// The bot side of every test is written from Twilio's message reference:
// https://www.twilio.com/docs/voice/media-streams/websocket-messages

/** 20 ms of a tone, as 8 kHz PCM, and the same as the μ-law bytes a bot would send. */
const TONE = Int16Array.from({ length: 160 }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
const MULAW_TONE = Buffer.alloc(160, 0x21);
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

type Agent = Extract<NumberConfig['agent'], { kind: 'websocket' }>;

describe('websocket agent kind: a Twilio Media Streams client to real ws bots (real Redis channel)', function () {
  this.timeout(30_000);
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

  const bot = async (...args: Parameters<typeof TestBot.start>): Promise<TestBot> => {
    const started = await TestBot.start(...args);
    bots.push(started);
    return started;
  };
  const call = async (
    agent: Partial<Agent> & { url: string },
    overrides: Partial<CallHarnessOptions> = {},
  ): Promise<LlmCallHarness> => {
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
  const decisions = (): { list: AgentDecision[]; report: (d: AgentDecision) => Promise<void> } => {
    const list: AgentDecision[] = [];
    return { list, report: (d) => (list.push(d), Promise.resolve()) };
  };
  it('conformance: connected, start, contiguous media, dtmf and stop exactly as Twilio sends them; the echo bot is heard', async () => {
    const b = await bot();
    b.onMessage = echoMedia;
    const c = await call({ url: b.url(), parameters: { tenant: 'acme' } }, { env: {} });
    await b.waitFor(() => b.events('start').length === 1, 'the start');
    for (let i = 0; i < 25; i++) c.media.sendCallerAudio(TONE);
    await b.waitFor(() => b.events('media').length === 25, '25 media messages');
    c.media.send({ event: 'dtmf', digit: '5', durationMs: 100 });
    await b.waitFor(() => b.events('dtmf').length === 1, 'the dtmf');
    await c.media.waitFor(() => c.media.events.filter((e) => e.kind === 'audio').length > 0, 'the echoed audio');
    await c.close();
    await b.waitFor(() => b.connections[0]?.closed !== undefined, 'the close');

    const connection = b.connections[0] as BotConnection;
    const messages = connection.messages;
    expect(connection.malformed, 'every message a JSON text frame').to.equal(0);
    expect(messages[0]).to.deep.equal({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    const start = messages[1] as { sequenceNumber: string; streamSid: string; start: Record<string, unknown> };
    expect(start).to.include({ event: 'start', sequenceNumber: '1' });
    expect(start.streamSid).to.match(/^MZ[0-9a-f]{32}$/);
    expect(start.start['streamSid']).to.equal(start.streamSid);
    expect(start.start['callSid']).to.match(/^CA[0-9a-f]{32}$/);
    expect(start.start['accountSid']).to.match(/^AC[0-9a-f]{32}$/);
    expect(start.start['tracks']).to.deep.equal(['inbound']);
    expect(start.start['mediaFormat']).to.deep.equal({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 });
    expect(start.start['customParameters']).to.deep.equal({
      tenant: 'acme',
      from_number: '',
      to_number: '+15550001111',
      callId: c.callId,
      sipCallId: '',
    });
    // sequenceNumber counts every message after `connected` from "1"; chunk every media from "1".
    messages.slice(1).forEach((m, i) => expect(m['sequenceNumber'], `message ${i + 2}`).to.equal(String(i + 1)));
    const media = b.events('media') as Array<{ streamSid: string; media: Record<string, string> }>;
    media.forEach((m, i) => {
      expect(m.streamSid).to.equal(start.streamSid);
      expect(m.media['track']).to.equal('inbound');
      expect(m.media['chunk']).to.equal(String(i + 1));
      expect(m.media['timestamp']).to.equal(String(i * 20));
      expect(m.media['payload']).to.match(BASE64_RE);
      expect(Buffer.from(m.media['payload'] ?? '', 'base64').length).to.equal(160);
    });
    expect(b.events('dtmf')[0]).to.deep.include({
      event: 'dtmf',
      streamSid: start.streamSid,
      dtmf: { track: 'inbound_track', digit: '5' },
    });
    expect(streamProblems(messages)).to.deep.equal([]);
    // The checker sees a gap: one media message left out breaks chunk and sequenceNumber.
    expect(streamProblems([...messages.slice(0, 5), ...messages.slice(6)]).length).to.be.greaterThan(1);
    const stop = messages.at(-1) as Record<string, unknown>;
    expect(stop).to.deep.include({
      event: 'stop',
      streamSid: start.streamSid,
      stop: { accountSid: start.start['accountSid'], callSid: start.start['callSid'] },
    });
    expect(connection.closed?.code).to.equal(1000);
  });

  it("the caller's frames that come before media's start or in one read with it all reach the bot, in order", async () => {
    const b = await bot();
    const c = await call({ url: b.url() }, { holdStart: true });
    await b.waitFor(() => b.events('start').length === 1, 'the start');
    // The media side holds `start` from the agent's `ready` on; that can come after the bot's `start`.
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'ready'), "the agent's ready");
    // The caller's RTP can beat its ACK to media: frames before `start`.
    for (let i = 0; i < 10; i++) c.media.sendCallerAudio(TONE);
    // Under load media's `start` and the frames after it reach the agent in one read, before the kind
    // runs; here they leave in one publish batch (one event-loop turn), so they come in one read.
    c.media.sendStart();
    for (let i = 0; i < 15; i++) c.media.sendCallerAudio(TONE);
    await b.waitFor(() => b.events('media').length === 25, '25 media messages', 5000);
    c.media.sendCallerAudio(TONE);
    await b.waitFor(() => b.events('media').length === 26, 'the 26th');
    const media = b.events('media') as Array<{ media: Record<string, string> }>;
    expect(media.map((m) => m.media['chunk'])).to.deep.equal(media.map((_, i) => String(i + 1)));
    expect(media.map((m) => m.media['timestamp'])).to.deep.equal(media.map((_, i) => String(i * 20)));
    await c.close();
    const stream = c.recordPatches.find((p) => p.bot)?.bot;
    expect(stream).to.deep.include({ callerFramesSent: 26, callerFramesDropped: 0 });
  });

  it('frames kept for the bot before the call started are bounded at 5 s: the older ones are dropped and counted in the record', async () => {
    const b = await bot();
    const c = await call({ url: b.url() }, { holdStart: true });
    await b.waitFor(() => b.events('start').length === 1, 'the start');
    // The media side holds `start` from the agent's `ready` on; that can come after the bot's `start`.
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'ready'), "the agent's ready");
    // 6 s of caller audio before the start: 1 s of silence, then 5 s of a level the bot can tell from it.
    for (let i = 0; i < 300; i++) c.media.sendCallerAudio(new Int16Array(160).fill(i < 50 ? 0 : 1000));
    c.media.sendStart();
    await b.waitFor(() => b.events('media').length === 250, 'the 250 kept', 5000);
    const media = b.events('media') as Array<{ media: Record<string, string> }>;
    // Only the last 250 were kept; the silent first 50 (μ-law 0xff) were the ones dropped.
    expect(media.filter((m) => Buffer.from(m.media['payload'] ?? '', 'base64')[0] === 0xff)).to.have.length(0);
    expect(media.at(-1)?.media['timestamp']).to.equal(String(249 * 20));
    await c.close();
    const stream = c.recordPatches.find((p) => p.bot)?.bot;
    expect(stream).to.deep.include({ callerFramesSent: 250, callerFramesDropped: 50 });
  });

  it('a bot that is not there: refused before the answer, 503 bot-unreachable naming the host, never the path', async () => {
    const port = await freePort('tcp');
    const d = decisions();
    const c = await call({ url: `ws://127.0.0.1:${port}/secret-token-path` }, { report: d.report });
    await waitFor('the decision', 10_000, () => d.list.length === 1);
    const decision = d.list[0] as Extract<AgentDecision, { decision: 'refuse' }>;
    expect(decision).to.include({ decision: 'refuse', code: 'bot-unreachable', sipStatus: 503 });
    expect(decision.reason).to.equal(`bot unreachable: 127.0.0.1:${port} refused the connection`);
    expect(c.logText.join('')).to.not.include('secret-token-path');
  });

  it('a bot that accepts TCP but never answers the upgrade is refused after connectTimeoutMs', async () => {
    const port = await freePort('tcp');
    const held: Socket[] = [];
    const server: Server = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const d = decisions();
      await call({ url: `ws://127.0.0.1:${port}/`, connectTimeoutMs: 300 }, { report: d.report });
      await waitFor('the decision', 10_000, () => d.list.length === 1);
      expect(d.list[0]).to.deep.include({ code: 'bot-unreachable', sipStatus: 503 });
      expect((d.list[0] as { reason: string }).reason).to.include('within 300 ms');
    } finally {
      for (const socket of held) socket.destroy();
      server.close();
    }
  });

  it('ws:// to a host other than localhost without insecure fails the URL policy: refused bot-unreachable', async () => {
    const d = decisions();
    await call({ url: 'ws://bot.example.com/s' }, { report: d.report });
    await waitFor('the decision', 10_000, () => d.list.length === 1);
    expect(d.list[0]).to.deep.include({ code: 'bot-unreachable', sipStatus: 503 });
    expect((d.list[0] as { reason: string }).reason).to.include('refused by the outbound URL policy');
  });

  it('signs the upgrade with X-Twilio-Signature: a bot checking it accepts the right token, refuses a wrong one (503)', async () => {
    const token = 'test-auth-token-1234';
    const b = await bot(undefined, {
      verifyClient: (headers, url) =>
        headers['x-twilio-signature'] === twilioSignature(token, `ws://127.0.0.1:${b.port}${url}`) &&
        headers['x-tenant'] === 'acme-key',
    });
    const agent = {
      url: b.url('/media?x=1'),
      authTokenEnv: 'VB_SECRET_TWILIO',
      headers: [{ name: 'X-Tenant', valueEnv: 'VB_SECRET_TENANT' }],
    };
    const good = decisions();
    await call(agent, {
      env: { VB_SECRET_TWILIO: token, VB_SECRET_TENANT: 'acme-key' },
      secretEnv: 'VB_SECRET_*',
      report: good.report,
    });
    await b.waitFor(() => b.events('start').length === 1, 'the accepted start');
    expect(good.list[0]).to.deep.equal({ decision: 'accept' });
    const bad = decisions();
    const c = await call(agent, {
      env: { VB_SECRET_TWILIO: 'wrong-token', VB_SECRET_TENANT: 'acme-key' },
      secretEnv: 'VB_SECRET_*',
      report: bad.report,
    });
    await waitFor('the refusal', 10_000, () => bad.list.length === 1);
    expect(bad.list[0]).to.deep.include({ code: 'bot-unreachable', sipStatus: 503 });
    expect((bad.list[0] as { reason: string }).reason).to.match(/answered the upgrade with HTTP 401/);
    expect(c.logText.join('')).to.not.include('wrong-token');
    // A token variable off the allow-list is the number's misconfiguration, not the bot's absence.
    const off = decisions();
    await call(agent, { env: { VB_SECRET_TWILIO: token }, secretEnv: 'OTHER', report: off.report });
    await waitFor('the refusal', 10_000, () => off.list.length === 1);
    expect(off.list[0]).to.deep.include({ code: 'agent-misconfigured', sipStatus: 503 });
  });

  it('marks: echoed at once with nothing queued, after their audio otherwise, all outstanding on clear, each exactly once', async () => {
    const b = await bot();
    const c = await call({ url: b.url() });
    c.media.autoMarks = false;
    await b.waitFor(() => b.events('start').length === 1, 'the start');
    const sid = (b.events('start')[0] as { streamSid: string }).streamSid;
    const conn = b.connections[0] as BotConnection;
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'ready'), 'the answer');
    // Nothing queued anywhere: media reports the mark at once (here: the test, as media would).
    conn.send({ event: 'mark', streamSid: sid, mark: { name: 'empty' } });
    await c.media.waitFor(() => c.media.heldMarks.length >= 1, 'the mark at media');
    c.media.releaseMarks();
    await b.waitFor(() => b.events('mark').length === 1, 'the echo of the empty mark');
    // Audio then a mark: not echoed while its audio is still queued.
    conn.send({ event: 'media', streamSid: sid, media: { payload: MULAW_TONE.toString('base64') } });
    conn.send({ event: 'mark', streamSid: sid, mark: { name: 'after-audio' } });
    await c.media.waitFor(() => c.media.heldMarks.length >= 1, 'the mark behind the audio');
    expect(b.events('mark')).to.have.length(1);
    c.media.releaseMarks();
    await b.waitFor(() => b.events('mark').length === 2, 'the echo after the audio');
    // Seconds of audio with two marks among it, then clear: both echoed, once each.
    const second = Buffer.alloc(8000, 0x21).toString('base64');
    for (let i = 0; i < 5; i++) conn.send({ event: 'media', streamSid: sid, media: { payload: second } });
    conn.send({ event: 'mark', streamSid: sid, mark: { name: 'mid' } });
    for (let i = 0; i < 5; i++) conn.send({ event: 'media', streamSid: sid, media: { payload: second } });
    conn.send({ event: 'mark', streamSid: sid, mark: { name: 'end' } });
    conn.send({ event: 'clear', streamSid: sid });
    await b.waitFor(() => b.events('mark').length === 4, 'the echoes on clear');
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'clear'), 'the clear at media');
    const names = b.events('mark').map((m) => (m['mark'] as { name: string }).name);
    expect(names).to.deep.equal(['empty', 'after-audio', 'mid', 'end']);
    c.media.releaseMarks();
    await c.close();
    expect(b.events('mark').map((m) => (m['mark'] as { name: string }).name)).to.deep.equal(names);
  });
});
