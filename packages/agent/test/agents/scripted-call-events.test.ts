import { expect } from 'chai';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import { LlmCallHarness, type CallHarnessOptions } from './llm-call-harness.ts';

/** The scripted demo agent and what is not speech: hold/resume and key presses (real channel, flite). */
describe('scripted agent: hold, resume and DTMF', function () {
  this.timeout(30_000);
  let tts: FliteTts;
  let call: LlmCallHarness | undefined;

  before(() => {
    tts = new FliteTts();
  });
  after(async () => {
    await tts.close();
  });
  afterEach(async () => {
    await call?.close();
    call = undefined;
  });

  const options: () => CallHarnessOptions = () => ({
    agent: 'scripted',
    llm: { baseUrl: 'http://127.0.0.1:9/v1', model: 'none' },
    env: {},
    greeting: 'Hello.',
    tts,
  });

  it('acknowledges a key press; the record says which key only when the number shows digits in records', async () => {
    call = await LlmCallHarness.start(options());
    await call.greeted();
    call.media.send({ event: 'dtmf', digit: '5', durationMs: 100 });
    await call.waitForTranscript(
      (t) => t.some((e) => e.speaker === 'agent' && e.text === 'You pressed a key.'),
      'the masked acknowledgement',
    );
    expect(call.transcript.map((e) => e.text)).to.deep.equal(['Hello.', '[DTMF masked]', 'You pressed a key.']);
    await call.close();
    call = await LlmCallHarness.start({ ...options(), dtmfInRecords: 'digits' });
    await call.greeted();
    call.media.send({ event: 'dtmf', digit: '5', durationMs: 100 });
    await call.waitForTranscript(
      (t) => t.some((e) => e.speaker === 'agent' && e.text === 'You pressed 5.'),
      'the acknowledgement',
    );
    call.media.send({ event: 'dtmf', digit: '#', durationMs: 100 });
    await call.waitForTranscript(
      (t) => t.some((e) => e.speaker === 'agent' && e.text === 'You pressed hash.'),
      'the second acknowledgement',
    );
  });

  it('on hold clears what it says and answers nothing; on resume says welcome back and listens again', async () => {
    call = await LlmCallHarness.start(options());
    const c = call;
    await c.greeted();
    c.media.send({ event: 'hold' });
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'clear'), 'the clear on hold');
    c.stt.hear('opening hours');
    c.media.send({ event: 'dtmf', digit: '1', durationMs: 100 });
    c.media.send({ event: 'resume' });
    await c.waitForTranscript((t) => t.at(-1)?.text === 'Welcome back.', 'the welcome back');
    expect(c.transcript.map((e) => e.text)).to.not.include('You pressed a key.');
    expect(c.transcript.some((e) => e.speaker === 'caller' && e.text === 'opening hours')).to.equal(false);
    c.stt.hear('prices please');
    await c.waitForTranscript(
      (t) => t.some((e) => e.speaker === 'caller' && e.text === 'prices please') && t.at(-1)?.speaker === 'agent',
      'an answer after the resume',
    );
  });
});
