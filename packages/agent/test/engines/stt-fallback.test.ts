import { expect } from 'chai';
import { OutboundPolicy } from '@voicebridge/outbound';
import { SecretEnvAllowList, silentLogger } from '@voicebridge/protocol';
import { AsyncQueue } from '../../src/async-queue.ts';
import { CallEngines } from '../../src/engines/call-engines.ts';
import { createCloudEngineFactory } from '../../src/engines/cloud-engines.ts';
import { FallbackSlots } from '../../src/engines/fallback-slots.ts';
import { createOfflineEngines, type OfflineEngines } from '../../src/engines.ts';
import { repeatEvery, sendPaced, waitFor } from '../../../../test/support/wait-for.ts';
import { concat, muLawRoundTrip, silence } from './audio-helpers.ts';
import { OpenAiTranscriptionWireServer, vadTurn } from './openai-transcription-wire-server.ts';

const KEY_VAR = 'OPENAI_API_KEY';

/**
 * The OpenAI recogniser of a call failing mid-call, against the local transcription server (its
 * reference pages are cited there), with the real offline fallback (pocketsphinx) taking over.
 */
describe('an OpenAI recogniser failing mid-call hands the caller to pocketsphinx (local wire server, real pocketsphinx)', function () {
  this.timeout(60_000);
  let offline: OfflineEngines;
  let server: OpenAiTranscriptionWireServer;
  let engines: CallEngines;

  before(() => {
    offline = createOfflineEngines({ poolSize: 2 });
  });
  after(() => offline.close());
  beforeEach(async () => {
    server = await OpenAiTranscriptionWireServer.start();
    engines = new CallEngines({
      config: { stt: { provider: 'openai', url: server.url, keyEnv: KEY_VAR } },
      insecure: false,
      offline,
      cloud: createCloudEngineFactory({
        env: { [KEY_VAR]: server.key },
        secretEnv: SecretEnvAllowList.parse(KEY_VAR),
        policy: new OutboundPolicy({ denyCidrs: [] }),
      }),
      slots: new FallbackSlots(1),
      sttStallMs: 800,
      log: silentLogger,
    });
  });
  afterEach(async () => {
    engines.close();
    await server.close();
  });

  async function say(text: string): Promise<Int16Array> {
    const spoken: Int16Array[] = [];
    for await (const chunk of offline.tts.synthesize(text, { sampleRateHz: 8000, signal: AbortSignal.timeout(20_000) }))
      spoken.push(chunk);
    return muLawRoundTrip(concat(spoken));
  }

  /** Finals the call's recogniser gives for the audio pushed into `caller`, until it ends. */
  function listen(caller: AsyncQueue<Int16Array>): { finals: string[]; done: Promise<void> } {
    const finals: string[] = [];
    const done = (async () => {
      for await (const transcript of engines.stt.transcribe(caller, {
        sampleRateHz: 8000,
        keywords: ['hours'],
        signal: AbortSignal.timeout(45_000),
      }))
        if (transcript.final) finals.push(transcript.text);
    })();
    return { finals, done };
  }

  const framesOf = (pcm: Int16Array): Int16Array[] =>
    Array.from({ length: Math.ceil(pcm.length / 160) }, (_, i) => pcm.slice(i * 160, (i + 1) * 160));

  it('a socket dropped mid-call: the switch is recorded and pocketsphinx hears the rest from the same audio', async () => {
    server.script = {
      frames: vadTurn('item_1', ['hello'], { startMs: 0, endMs: 150 }).map((frame) => ({ atAudioMs: 200, frame })),
      dropAtAudioMs: 400,
    };
    await engines.prepare(AbortSignal.timeout(10_000));
    const pcm = concat([silence(600), await say('What are your opening hours?'), silence(1500)]);
    const caller = new AsyncQueue<Int16Array>(100_000);
    const { finals, done } = listen(caller);
    const frames = framesOf(pcm);
    for (const frame of frames.slice(0, 25)) caller.push(frame);
    await waitFor('the switch to pocketsphinx', 10_000, () => engines.usage().stt.switchedTo);
    for (const frame of frames.slice(25)) caller.push(frame);
    caller.close();
    await done;
    expect(finals[0]).to.equal('hello');
    expect(finals.slice(1).join(' ')).to.match(/hours/);
    expect(engines.usage().stt).to.include({
      provider: 'openai',
      model: 'gpt-4o-transcribe',
      switchedTo: 'pocketsphinx',
    });
    expect(engines.usage().stt.switchReason).to.include('the socket closed mid-stream');
  });

  it('a session that goes silent mid-call (open, reading audio, saying nothing) is a stall: pocketsphinx hears the caller again', async () => {
    // The provider transcribes a first turn, then reads on and says nothing more.
    server.script = {
      frames: vadTurn('item_1', ['hello'], { startMs: 0, endMs: 150 }).map((frame) => ({ atAudioMs: 200, frame })),
      silentFromAudioMs: 300,
    };
    await engines.prepare(AbortSignal.timeout(10_000));
    const caller = new AsyncQueue<Int16Array>(100_000);
    const { finals, done } = listen(caller);
    // In real time: the stall is counted from the end of the caller's speech on the clock.
    const unheard = framesOf(concat([silence(400), await say('Are you there?'), silence(300)]));
    await sendPaced(unheard.length, 20, (i) => caller.push(unheard[i]!));
    const stop = repeatEvery(20, () => caller.push(new Int16Array(160)));
    try {
      await waitFor('the switch to pocketsphinx', 10_000, () => engines.usage().stt.switchedTo);
    } finally {
      stop();
    }
    for (const frame of framesOf(concat([await say('What are your opening hours?'), silence(1500)])))
      caller.push(frame);
    caller.close();
    await done;
    expect(finals[0]).to.equal('hello');
    expect(finals.slice(1).join(' ')).to.match(/hours/);
    const { stt } = engines.usage();
    expect(stt).to.include({ provider: 'openai', switchedTo: 'pocketsphinx' });
    expect(stt.switchReason).to.match(/^stall: no message from the provider within 800 ms/);
    expect(engines.usage().switches.map((s) => s.reason.split(':')[0])).to.deep.equal(['stall']);
    // The stalled session was given up: closed by us, not left open (OpenAI bills the session's audio).
    expect(await server.connections[0]!.closed).to.have.property('code');
  });
});
