import { expect } from 'chai';
import type { ConversationState } from '@voicebridge/protocol';
import { AgentRefusal, type AgentKind, type CallContext } from '../../src/agents/agent-kind.ts';
import { AgentKinds } from '../../src/agents/agent-kinds.ts';
import { speak } from '../../src/agents/agent-context.ts';
import { REFUSED_LINE } from '../../src/call/agent-call.ts';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import { LlmCallHarness, type CallHarnessOptions } from '../agents/llm-call-harness.ts';

const TONE = new Int16Array(800).fill(4000);

/** A kind that notes every hook the call drives, in order; it talks with a short tone. */
class RecordingKind implements AgentKind {
  readonly events: string[] = [];
  readonly #refuse: boolean;

  constructor(refuse = false) {
    this.#refuse = refuse;
  }

  prepare(): Promise<void> {
    this.events.push('prepare');
    if (this.#refuse) return Promise.reject(new AgentRefusal('VB_CONFIG_INVALID', 'the bot at ws://bot.test is down'));
    return Promise.resolve();
  }

  async run(call: CallContext): Promise<void> {
    this.events.push('run');
    await this.say(call, 'Hi.');
    for await (const frame of call.callerAudio) void frame;
    this.events.push('caller audio ended');
  }

  resume(_call: CallContext, _state: ConversationState): Promise<void> {
    this.events.push('resume');
    return Promise.resolve();
  }

  onDtmf(digit: string): void {
    this.events.push(`dtmf ${digit}`);
  }

  onHold(held: boolean): void {
    this.events.push(held ? 'hold' : 'resume');
  }

  async say(call: CallContext, text: string): Promise<boolean> {
    call.transcript('agent', text);
    await call.audio.write(TONE);
    return call.audio.mark(call.signal);
  }

  usage(): Record<string, number> {
    return { tones: 1 };
  }

  close(reason: string): void {
    this.events.push(`close: ${reason.includes('caller-bye') ? 'caller-bye' : reason}`);
  }
}

describe('AgentCall (real CallRunner and Redis channel, a scripted media side)', function () {
  this.timeout(20_000);
  let tts: FliteTts;
  let call: LlmCallHarness | undefined;

  before(() => {
    tts = new FliteTts();
  });
  after(() => tts.close());
  afterEach(async () => {
    await call?.close();
    call = undefined;
  });

  const start = (overrides: Partial<CallHarnessOptions>): Promise<LlmCallHarness> =>
    LlmCallHarness.start({
      agent: 'echo',
      llm: { baseUrl: 'http://127.0.0.1:9/v1', model: 'none' },
      env: {},
      tts,
      ...overrides,
    });

  it("drives a registered kind through its hooks: prepare, run, DTMF (also in the transcript), hold, and media's stop ends it and closes it once", async () => {
    const kind = new RecordingKind();
    call = await start({ kinds: new AgentKinds({ echo: () => kind }) });
    const c = call;
    await c.media.waitFor(() => c.marks() >= 1, "the kind's first words");
    c.media.send({ event: 'dtmf', digit: '7', durationMs: 100 });
    c.media.send({ event: 'hold' });
    c.media.send({ event: 'resume' });
    await c.media.waitFor(() => kind.events.includes('resume'), 'the resume');
    const outcome = await c.close();
    expect(outcome.stopReason).to.equal('caller-bye');
    expect(kind.events).to.deep.equal([
      'prepare',
      'run',
      'dtmf 7',
      'hold',
      'resume',
      'close: caller-bye',
      'caller audio ended',
    ]);
    // The kind got the key; the record and the log did not (the number left dtmfInRecords unset).
    expect(c.transcript).to.deep.include({ speaker: 'caller', text: '[DTMF masked]' });
    expect(c.logText.join('')).to.include('"usage":{"tones":1}');
    const dtmfLog = c.logText.find((line) => line.includes('DTMF received'));
    expect(dtmfLog, c.logText.join('')).to.be.a('string');
    expect(dtmfLog).to.not.match(/"7"|digit/);
  });

  it("dtmfInRecords: digits puts the key itself in the record's transcript, still never in the log", async () => {
    const kind = new RecordingKind();
    call = await start({ kinds: new AgentKinds({ echo: () => kind }), dtmfInRecords: 'digits' });
    const c = call;
    await c.media.waitFor(() => c.marks() >= 1, "the kind's first words");
    c.media.send({ event: 'dtmf', digit: '#', durationMs: 100 });
    await c.waitForTranscript((t) => t.some((e) => e.text === '[DTMF #]'), 'the key in the transcript');
    expect(kind.events).to.include('dtmf #');
    expect(c.logText.join('')).to.not.include('#');
  });

  it("the built-in echo, still reading the caller, ends with the call on media's stop", async () => {
    call = await start({});
    const c = call;
    // The echo drops what came before it listens (the greeting's time): the caller goes on talking.
    const echoed = (): boolean => c.media.events.some((e) => e.kind === 'audio');
    for (let i = 0; i < 50 && !echoed(); i++) {
      c.media.sendCallerAudio(TONE);
      await c.media.waitFor(echoed, 'the echo', 200).catch(() => undefined);
    }
    expect(echoed(), 'the echo').to.equal(true);
    expect((await c.close()).stopReason).to.equal('caller-bye');
  });

  it('a kind refusing in prepare: the caller, answered on claim, hears the refusal in its voice and the call is hung up (error)', async () => {
    const kind = new RecordingKind(true);
    call = await start({ kinds: new AgentKinds({ echo: () => kind }) });
    const c = call;
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'hangup'), 'the hangup');
    // The record's error verdict gets the refusal's code and reason through media and signaling.
    expect(c.media.controls().at(-1)).to.deep.equal({
      event: 'hangup',
      reason: 'error',
      code: 'VB_CONFIG_INVALID',
      detail: 'the bot at ws://bot.test is down',
    });
    expect(c.transcript).to.deep.equal([{ speaker: 'agent', text: REFUSED_LINE }]);
    expect(kind.events).to.deep.equal(['prepare']);
    expect(c.logText.join('')).to.include('the bot at ws://bot.test is down');
  });

  it('a kind this worker does not run is refused the same way, the log naming it', async () => {
    call = await start({ kinds: new AgentKinds({}) });
    const c = call;
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'hangup'), 'the hangup');
    expect(c.media.controls().at(-1)).to.deep.equal({
      event: 'hangup',
      reason: 'error',
      code: 'VB_CONFIG_INVALID',
      detail: 'this agent worker runs no agent kind named echo',
    });
    expect(c.logText.join('')).to.include('runs no agent kind named echo');
  });

  it('a kind that fails mid-call hangs up with error, its code and one line of why; a line never synthesised is not in the transcript', async () => {
    // Real flite wrapper, a binary that fails: the greeting cannot be synthesised.
    const broken = new FliteTts({ binaryPath: '/bin/false' });
    const failing = new RecordingKind();
    failing.run = async (ctx: CallContext): Promise<void> => {
      await speak(ctx, broken, 'You will never hear this.');
    };
    try {
      call = await start({ kinds: new AgentKinds({ echo: () => failing }) });
      const c = call;
      await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'hangup'), 'the hangup');
      const hangup = c.media.controls().at(-1) as { event: string; reason: string; code?: string; detail?: string };
      expect(hangup).to.deep.include({ event: 'hangup', reason: 'error', code: 'VB_ENGINE_FAILED' });
      expect(hangup.detail).to.match(/^flite: /);
      expect(hangup.detail).to.not.include('\n');
      expect(c.transcript).to.deep.equal([]);
    } finally {
      await broken.close();
    }
  });
});
