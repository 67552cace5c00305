import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel } from '@voicebridge/channel';
import { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import { SecretEnvAllowList, type CallJob, type TranscriptEntry } from '@voicebridge/protocol';
import {
  CallOwnership,
  CallRecordRepository,
  ConversationRepository,
  RedisKeys,
  type CallRecordPatch,
} from '@voicebridge/store';
import { createLanguageModelFactory } from '../../src/agents/language-model-factory.ts';
import { LLM_RESUME_PROMPT } from '../../src/agents/llm-resume.ts';
import { CallRunner, type RunOutcome } from '../../src/call-runner.ts';
import type { TextToSpeech } from '../../src/tts/text-to-speech.ts';
import { stallBeforeHeaders, streamText } from '../llm/fake-openai-server.ts';
import { waitFor, withTimeout } from '../../../../test/support/wait-for.ts';
import { isEndMark, llmCallJob, MediaSide, ScriptedStt, useLlmCallSuite } from './llm-call-harness.ts';

const KEY = 'sk-test-0123456789abcdefghijklmnop';
const PROMPT = 'You are the front desk of the Harbour Dental clinic. Be brief.';
const GREETING = 'Harbour Dental, how can I help?';

/** A 400 Hz tone at about -17 dBFS: voice to the barge-in detector. */
function voice(ms: number): Int16Array {
  const pcm = new Int16Array((ms / 1000) * 8000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(4600 * Math.sin((2 * Math.PI * 400 * i) / 8000));
  return pcm;
}

function messagesOf(body: unknown): Array<{ role: string; content?: string | null }> {
  return (body as { messages: Array<{ role: string; content?: string | null }> }).messages;
}

/**
 * One agent process's part in a takeover: its own Redis audio channel and recogniser, a
 * `CallRunner` with ownership and conversation state in real Redis.
 */
class AgentProcess {
  readonly stt: ScriptedStt;
  readonly abort = new AbortController();
  running: Promise<RunOutcome> = Promise.resolve({ stopReason: 'never started', released: false });
  readonly #connections = [new Redis(), new Redis()];
  readonly #channel: RedisAudioChannel;
  readonly #outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [] }) });
  readonly #runner: CallRunner;

  constructor(world: CallWorld) {
    const [publisher, subscriber] = this.#connections as [Redis, Redis];
    this.#channel = new RedisAudioChannel({ publisher, subscriber, keyPrefix: world.prefix });
    this.stt = new ScriptedStt(() => world.media.poke());
    this.#runner = new CallRunner({
      channel: this.#channel,
      records: world.records,
      stt: this.stt,
      tts: world.tts,
      greetingDelayMs: 0,
      log: pino({ level: 'silent' }),
      models: createLanguageModelFactory({
        env: { VB_TEST_LLM_KEY: KEY },
        secretEnv: SecretEnvAllowList.parse('VB_TEST_LLM_KEY'),
        outbound: this.#outbound,
        timeoutMs: 5_000,
      }),
      failover: { ownership: world.ownership, conversations: world.conversations, heartbeatMs: 0 },
    });
  }

  start(job: CallJob): void {
    this.running = this.#runner.run(job, this.abort.signal);
  }

  async close(): Promise<void> {
    this.abort.abort(new Error('test over'));
    await this.running.catch(() => undefined);
    await this.#channel.close();
    this.#outbound.close();
    for (const connection of this.#connections) connection.disconnect();
  }
}

/** The media side, the call record (transcript and turn table) and the Redis state of one call. */
class CallWorld {
  readonly prefix = `vbtest-llm-resume-${randomUUID()}`;
  readonly callId = `call-${randomUUID()}`;
  readonly redis = new Redis();
  readonly keys = new RedisKeys(this.prefix);
  readonly ownership = new CallOwnership(this.redis, this.keys, { ttlSeconds: 120 });
  readonly conversations = new ConversationRepository(this.redis, this.keys, { ttlSeconds: 120 });
  /** The call record in real Redis; each write also wakes the test's waits. */
  readonly record = new CallRecordRepository(this.redis, this.keys, { ttlSeconds: 120 });
  /** What was appended to the record's transcript, as the writes went out. */
  readonly transcript: Array<Omit<TranscriptEntry, 'atMs'>> = [];
  readonly media: MediaSide;
  readonly tts: TextToSpeech;
  readonly records = {
    get: (callId: string) => this.record.get(callId),
    update: async (callId: string, patch: CallRecordPatch) => {
      await this.record.update(callId, patch);
      this.media.poke();
    },
    appendTranscript: async (callId: string, entry: TranscriptEntry) => {
      await this.record.appendTranscript(callId, entry);
      this.transcript.push({ speaker: entry.speaker, text: entry.text });
      this.media.poke();
    },
  };
  readonly #mediaConnections = [new Redis(), new Redis()];
  readonly #mediaChannel: RedisAudioChannel;

  constructor(tts: TextToSpeech) {
    this.tts = tts;
    const [publisher, subscriber] = this.#mediaConnections as [Redis, Redis];
    this.#mediaChannel = new RedisAudioChannel({ publisher, subscriber, keyPrefix: this.prefix });
    this.media = new MediaSide(this.#mediaChannel, this.callId);
  }

  /** The record signaling writes at the answer. */
  async answered(): Promise<void> {
    const now = Date.now();
    await this.record.create({
      version: 1,
      callId: this.callId,
      sipCallId: `sip-${this.callId}`,
      from: 'sip:+15550002222@127.0.0.1',
      to: 'sip:+15550001111@127.0.0.1',
      number: '+15550001111',
      status: 'answered',
      invitedAtMs: now,
      answeredAtMs: now,
      transcript: [],
    });
  }

  job(baseUrl: string): CallJob {
    return llmCallJob(this.callId, {
      agent: {
        kind: 'llm',
        greeting: GREETING,
        prompt: PROMPT,
        llm: { baseUrl, model: 'fake-model', apiKeyEnv: 'VB_TEST_LLM_KEY' },
      },
      configVersion: 4,
    });
  }

  waitForTranscript(predicate: (entries: CallWorld['transcript']) => boolean, what: string): Promise<void> {
    return this.media.waitFor(() => predicate(this.transcript), what, 20_000);
  }

  async close(): Promise<void> {
    this.media.close();
    await this.#mediaChannel.close();
    for (const connection of this.#mediaConnections) connection.disconnect();
    const keys = await this.redis.keys(`${this.prefix}:*`);
    if (keys.length > 0) await this.redis.del(...keys);
    this.redis.disconnect();
  }
}

describe('LlmAgent takeover: a second owner resumes the conversation from Redis (ADR 0010)', function () {
  this.timeout(60_000);
  let world: CallWorld | undefined;
  const agents: AgentProcess[] = [];
  // Before the suite's hook: the agents stop asking the server before it forgets their requests.
  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.close();
    await world?.close();
    world = undefined;
  });
  const suite = useLlmCallSuite();

  /** The first owner greets, answers one question, then dies with the second one unanswered. */
  async function firstOwnerDiesMidTurn(call: CallWorld): Promise<void> {
    await call.answered();
    await call.media.ready;
    const first = new AgentProcess(call);
    agents.push(first);
    first.start(call.job(suite.server.baseUrl));
    await call.media.waitFor(() => first.stt.listening && call.media.controls().some(isEndMark), 'the greeting');
    suite.server.respondWith(streamText(['Nice to meet you, Ada. ', 'When would suit you?']));
    first.stt.hear('my name is Ada and I need a cleaning');
    await call.waitForTranscript((t) => t.some((e) => e.text.startsWith('Nice to meet you')), 'the first answer');
    // The second question reaches the model, which never answers before the owner is gone.
    let requested!: () => void;
    const reached = new Promise<void>((resolve) => (requested = resolve));
    const stall = stallBeforeHeaders();
    suite.server.respondWith(async (request, response) => {
      requested();
      await stall(request, response);
    });
    first.stt.hear('is Tuesday morning possible');
    await reached;
    first.abort.abort(new Error('agent process killed'));
    expect((await first.running).released, 'the call was left to another owner').to.equal(true);
  }

  it('does not greet again, sends the earlier messages, says one short line naming the topic and answers the pending question', async () => {
    const call = (world = new CallWorld(suite.tts));
    await firstOwnerDiesMidTurn(call);
    const saved = await call.conversations.load(call.callId);
    expect(saved?.turns, 'turns saved by the first owner').to.equal(2);
    expect(saved?.lastSaid).to.deep.equal({ text: 'Nice to meet you, Ada. When would suit you?', played: true });

    suite.server.respondWith(streamText(['Yes, Tuesday at ten ', 'is free.']));
    const second = new AgentProcess(call);
    agents.push(second);
    second.start(call.job(suite.server.baseUrl));
    await call.waitForTranscript((t) => t.some((e) => e.text.startsWith('Yes, Tuesday')), 'the resumed answer');

    expect(suite.server.requests).to.have.length(3);
    expect(messagesOf(suite.server.requests[2]!.body)).to.deep.equal([
      { role: 'system', content: PROMPT },
      { role: 'assistant', content: GREETING },
      { role: 'user', content: 'my name is Ada and I need a cleaning' },
      { role: 'assistant', content: 'Nice to meet you, Ada. When would suit you?' },
      { role: 'user', content: 'is Tuesday morning possible' },
    ]);
    expect(call.transcript).to.deep.equal([
      { speaker: 'agent', text: GREETING },
      { speaker: 'caller', text: 'my name is Ada and I need a cleaning' },
      { speaker: 'agent', text: 'Nice to meet you, Ada. When would suit you?' },
      { speaker: 'caller', text: 'is Tuesday morning possible' },
      { speaker: 'agent', text: 'Back to Tuesday.' },
      { speaker: 'agent', text: 'Yes, Tuesday at ten is free.' },
    ]);

    // The next turn goes on with the whole conversation, and the turn count goes on from 2.
    await call.media.waitFor(() => second.stt.listening, 'the new owner listening');
    suite.server.respondWith(streamText(['Your name is Ada.']));
    second.stt.hear('what was my name again');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'Your name is Ada.', 'the third answer');
    const last = messagesOf(suite.server.requests[3]!.body);
    expect(last.slice(-3)).to.deep.equal([
      { role: 'user', content: 'is Tuesday morning possible' },
      { role: 'assistant', content: 'Yes, Tuesday at ten is free.' },
      { role: 'user', content: 'what was my name again' },
    ]);
    expect(last.filter((m) => m.content === GREETING)).to.have.length(1);
    const state = await call.conversations.load(call.callId);
    expect(state?.epoch).to.equal(2);
    expect(state?.configVersion).to.equal(4);
    expect(state?.turns).to.equal(3);
    expect(state?.messages.filter((m) => m.role === 'caller')).to.have.length(3);
    expect(
      call.transcript.filter((e) => e.text === GREETING),
      'one greeting in the record',
    ).to.have.length(1);

    // The record in Redis: the whole transcript once, and one turn-table row per caller turn, the
    // second answered by the new owner.
    const record = await call.record.get(call.callId);
    expect(record?.transcript.map((e) => e.text)).to.deep.equal(call.transcript.map((e) => e.text));
    const turns = record?.turns ?? [];
    expect(turns.map((t) => t.turn)).to.deep.equal([1, 2, 3]);
    expect(
      turns.every((t) => t.firstRtpAtMs !== undefined),
      'every turn answered',
    ).to.equal(true);
    expect(turns[1]!.firstRtpAtMs).to.be.at.least(turns[1]!.sttFinalAtMs!);
  });

  it('when the caller was not left waiting asks "Sorry, where were we?" and listens; labels a last line not confirmed heard', async () => {
    const call = (world = new CallWorld(suite.tts));
    await call.answered();
    await call.media.ready;
    // A previous owner's state: it said something whose playout mark never came back, then died.
    const epoch = await call.ownership.claim(call.callId);
    const interrupted = 'We are open from nine to five.';
    const saved = await call.conversations.save({
      version: 1,
      callId: call.callId,
      epoch,
      configVersion: 4,
      turns: 1,
      messages: [
        { role: 'agent', text: GREETING, atMs: 100 },
        { role: 'caller', text: 'when are you open', atMs: 3000 },
        { role: 'agent', text: interrupted, atMs: 4000 },
      ],
      lastSaid: { text: interrupted, played: false },
      greeted: true,
      updatedAtMs: Date.now(),
    });
    expect(saved).to.equal(true);

    const second = new AgentProcess(call);
    agents.push(second);
    second.start(call.job(suite.server.baseUrl));
    await call.waitForTranscript((t) => t.length > 0, 'the resume line');
    await call.media.waitFor(() => second.stt.listening, 'the new owner listening');
    suite.server.respondWith(streamText(['Until noon on Saturdays.']));
    second.stt.hear('and on Saturday');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'Until noon on Saturdays.', 'the answer');

    expect(
      call.transcript.map((e) => e.text),
      'no greeting, one short line',
    ).to.deep.equal([LLM_RESUME_PROMPT, 'and on Saturday', 'Until noon on Saturdays.']);
    expect(suite.server.requests).to.have.length(1);
    expect(messagesOf(suite.server.requests[0]!.body)).to.deep.equal([
      { role: 'system', content: PROMPT },
      { role: 'assistant', content: GREETING },
      { role: 'user', content: 'when are you open' },
      { role: 'assistant', content: `${interrupted} [interrupted; estimated heard text]` },
      { role: 'user', content: 'and on Saturday' },
    ]);
    expect((await call.conversations.load(call.callId))?.turns).to.equal(2);
  });

  it('after a killed owner that never wrote its open turn, adds that turn to the record and answers it', async () => {
    const call = (world = new CallWorld(suite.tts));
    await call.answered();
    await call.media.ready;
    // As a SIGKILL leaves it: turn 2 was heard (in the state) but its row never reached the record.
    await call.record.update(call.callId, {
      turns: [
        {
          turn: 1,
          sttFinalAtMs: 2000,
          answerAtMs: 2100,
          ttsFirstAudioAtMs: 2200,
          firstRtpAtMs: 2210,
          interruptions: 0,
        },
      ],
    });
    const epoch = await call.ownership.claim(call.callId);
    await call.conversations.save({
      version: 1,
      callId: call.callId,
      epoch,
      configVersion: 4,
      turns: 2,
      messages: [
        { role: 'agent', text: GREETING, atMs: 100 },
        { role: 'caller', text: 'do you take new patients', atMs: 2000 },
        { role: 'agent', text: 'Yes, we do.', atMs: 2500 },
        { role: 'caller', text: 'how much is a check-up', atMs: 6000 },
      ],
      lastSaid: { text: 'Yes, we do.', played: true },
      greeted: true,
      updatedAtMs: Date.now(),
    });
    suite.server.respondWith(streamText(['A check-up is sixty pounds.']));
    const second = new AgentProcess(call);
    agents.push(second);
    second.start(call.job(suite.server.baseUrl));
    await call.waitForTranscript(
      (t) => t.at(-1)?.text === 'A check-up is sixty pounds.',
      'the answer to the pending question',
    );

    expect(call.transcript.map((e) => e.text)).to.deep.equal(['Back to check-up.', 'A check-up is sixty pounds.']);
    expect(messagesOf(suite.server.requests[0]!.body).at(-1)).to.deep.equal({
      role: 'user',
      content: 'how much is a check-up',
    });
    await call.media.waitFor(() => second.stt.listening, 'the new owner listening');
    suite.server.respondWith(streamText(['Yes, on Saturdays.']));
    second.stt.hear('are you open at weekends');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'Yes, on Saturdays.', 'the next answer');
    const turns = (await call.record.get(call.callId))?.turns ?? [];
    expect(turns.map((t) => t.turn)).to.deep.equal([1, 2, 3]);
    expect(turns[0]?.firstRtpAtMs, 'the old row kept').to.equal(2210);
    expect(turns[1]?.firstRtpAtMs, 'the pending turn answered by the new owner').to.be.a('number');
    expect((await call.conversations.load(call.callId))?.turns).to.equal(3);
  });
  it('the caller talks over the resume line: it stops at once, and their words are a normal turn', async () => {
    const call = (world = new CallWorld(suite.tts));
    await call.answered();
    await call.media.ready;
    const epoch = await call.ownership.claim(call.callId);
    await call.conversations.save({
      version: 1,
      callId: call.callId,
      epoch,
      configVersion: 4,
      turns: 2,
      messages: [
        { role: 'agent', text: GREETING, atMs: 100 },
        { role: 'caller', text: 'do you take new patients', atMs: 2000 },
        { role: 'agent', text: 'Yes, we do.', atMs: 2500 },
        { role: 'caller', text: 'how much is a check-up', atMs: 6000 },
      ],
      lastSaid: { text: 'Yes, we do.', played: true },
      greeted: true,
      updatedAtMs: Date.now(),
    });
    // The line is still playing (its marks unreported) and the model has not answered yet.
    call.media.autoMarks = false;
    suite.server.respondWith(stallBeforeHeaders());
    const second = new AgentProcess(call);
    agents.push(second);
    second.start(call.job(suite.server.baseUrl));
    await call.media.waitFor(() => call.media.audioAfterMark(0) > 0 && second.stt.listening, 'the line playing');
    await waitFor('the pending question asked', 10_000, () => suite.server.requests.length === 1);
    // Longer than the barge-in judge's confirmation (600 ms of voice): an interruption, not noise the line resumes over.
    // A question's worth of voice (over the judge's 600 ms): the scripted agent reads its recogniser
    // only between replies, so 400 ms of voice alone is judged a cough and the line resumes.
    call.media.sendCallerAudio(voice(900));
    await call.media.waitFor(() => call.media.controls().some((m) => m.event === 'clear'), 'the clear');
    const clearedAt = call.media.events.findIndex((e) => e.kind === 'control' && e.message.event === 'clear');
    await withTimeout(suite.server.requests[0]!.closed, 'the model request cancelled', 10_000);
    expect(
      call.media.events.slice(clearedAt).filter((e) => e.kind === 'audio'),
      'none of the line sent after the clear',
    ).to.have.length(0);

    call.media.autoMarks = true;
    call.media.releaseMarks();
    suite.server.respondWith(streamText(['Sixty pounds, and yes, on Saturdays.']));
    second.stt.hear('and are you open on Saturdays');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'Sixty pounds, and yes, on Saturdays.', 'the answer');
    expect(suite.server.requests).to.have.length(2);
    // Both questions reach the model: the pending one was never answered, the new one is the turn.
    expect(messagesOf(suite.server.requests[1]!.body).slice(-2)).to.deep.equal([
      { role: 'user', content: 'how much is a check-up' },
      { role: 'user', content: 'and are you open on Saturdays' },
    ]);
    // No mark of the line came back before the clear: nothing of it is recorded as heard, the
    // record keeps it as cut.
    expect(call.transcript.map((e) => `${e.speaker}: ${e.text}`)).to.deep.equal([
      'agent: [interrupted; estimated heard text]',
      'caller: and are you open on Saturdays',
      'agent: Sixty pounds, and yes, on Saturdays.',
    ]);
    await call.media.waitFor(() => call.media.audioAfterMark(0) > 0, 'the answer sent');
    const turns = (await call.record.get(call.callId))?.turns ?? [];
    expect(turns.at(-2)?.interruptions, "the line was the pending turn's reply, cut").to.equal(1);
    expect(turns.at(-1)?.firstRtpAtMs, 'the new words answered as a turn of their own').to.be.a('number');
  });
});

describe('ScriptedAgent takeover: the resume line is interruptible (real channel, Redis, flite)', function () {
  this.timeout(60_000);
  let world: CallWorld | undefined;
  const agents: AgentProcess[] = [];
  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.close();
    await world?.close();
    world = undefined;
  });
  const suite = useLlmCallSuite();

  it('a caller talking over "Back to hours." stops it at once; their question is an ordinary turn', async () => {
    const call = (world = new CallWorld(suite.tts));
    await call.answered();
    await call.media.ready;
    const epoch = await call.ownership.claim(call.callId);
    await call.conversations.save({
      version: 1,
      callId: call.callId,
      epoch,
      configVersion: 4,
      turns: 1,
      messages: [
        { role: 'agent', text: 'Welcome. Ask me about our hours or the price.', atMs: 100 },
        { role: 'caller', text: 'what are your opening hours', atMs: 3000 },
        { role: 'agent', text: 'We are open from nine to five.', atMs: 4000 },
      ],
      lastSaid: { text: 'We are open from nine to five.', played: true },
      greeted: true,
      updatedAtMs: Date.now(),
    });
    call.media.autoMarks = false; // the line is still playing when the caller talks
    const second = new AgentProcess(call);
    agents.push(second);
    second.start(
      llmCallJob(call.callId, {
        agent: {
          kind: 'scripted',
          answers: [
            { keyword: 'hours', text: 'We are open from nine to five.' },
            { keyword: 'price', text: 'The basic plan costs ten dollars a month.' },
          ],
        },
        configVersion: 4,
      }),
    );
    await call.media.waitFor(() => call.media.audioAfterMark(0) > 0 && second.stt.listening, 'the line playing');
    call.media.sendCallerAudio(voice(900));
    await call.media.waitFor(() => call.media.controls().some((m) => m.event === 'clear'), 'the clear');
    call.media.autoMarks = true;
    second.stt.hear('and what is the price');
    await call.waitForTranscript((t) => /ten dollars/.test(t.at(-1)?.text ?? ''), 'the answer about the price');
    expect(
      call.transcript.map((e) => `${e.speaker}: ${e.text}`),
      'the line cut before any of it was confirmed played, then the turn',
    ).to.deep.equal([
      'agent: [interrupted; estimated heard text]',
      'caller: and what is the price',
      'agent: The basic plan costs ten dollars a month.',
    ]);
  });
});
