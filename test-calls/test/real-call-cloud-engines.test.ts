import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '@voicebridge/protocol';
import { conversationWav } from '../src/audio-fixtures.ts';
import { baresipCall, type BaresipCall } from '../src/baresip.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { PocketsphinxDeepgramServer } from '../src/pocketsphinx-deepgram-server.ts';
import { recognizeWav } from '../src/recognize.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { FliteTts } from '../../packages/agent/src/tts/flite-tts.ts';
import { synthesizeAll } from '../../packages/agent/test/engines/audio-helpers.ts';
import { ElevenLabsWireServer } from '../../packages/agent/test/engines/elevenlabs-wire-server.ts';
import { chunk, FakeOpenAiServer, streamEvents } from '../../packages/agent/test/llm/fake-openai-server.ts';

const NUMBER = '+15550193';
const GREETING = 'Hello, this is the bakery. How can I help?';
const ANSWER = 'Yes, we bake fresh bread every morning.';

/**
 * The real bridge (`voicebridge start`) with an `llm` number on cloud engines, all three on local
 * servers written from the providers' references: the Deepgram live wire (transcribing with
 * pocketsphinx), an OpenAI-compatible chat model, and the ElevenLabs multi-context wire (speaking
 * with flite's `slt` voice, not the offline default `rms`, so the cloud voice is the one heard).
 * baresip calls it with a question: the caller hears the greeting and the answer, and the record
 * names the engines, times the turn and counts what each engine was used for.
 */
describe('a real call to a cascaded number (baresip; Deepgram-wire STT, local model, ElevenLabs-wire TTS)', function () {
  this.timeout(180_000);
  let bridge: RunningBridge;
  let stt: PocketsphinxDeepgramServer;
  let tts: ElevenLabsWireServer;
  let model: FakeOpenAiServer;
  let flite: FliteTts;
  let dir: string;
  const calls: BaresipCall[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-cloud-call-'));
    stt = await PocketsphinxDeepgramServer.start(['bread', 'today', 'fresh', 'sell']);
    tts = await ElevenLabsWireServer.start();
    flite = new FliteTts();
    const cloudVoice = flite;
    // Rendered ahead, as a provider streams at once: flite on a loaded box can take over the 1 s the
    // bridge allows for a first byte, and the bridge would rightly switch to its fallback.
    const rendered = new Map<string, Int16Array>();
    for (const line of [GREETING, ANSWER]) rendered.set(line, await synthesizeAll(cloudVoice, line, { voice: 'slt' }));
    tts.synthesize = (text) => rendered.get(text) ?? synthesizeAll(cloudVoice, text, { voice: 'slt' });
    tts.chunkMs = 100;
    model = await FakeOpenAiServer.start();
    model.respondWith(
      streamEvents([
        chunk({ role: 'assistant', content: '' }),
        ...ANSWER.split(/(?<= )/).map((piece) => chunk({ content: piece })),
        chunk({}, 'stop'),
        // The usage chunk of `stream_options.include_usage`: no choices, the token counts.
        { ...chunk({}), choices: [], usage: { prompt_tokens: 57, completion_tokens: 9, total_tokens: 66 } },
      ]),
    );
    bridge = await startBridge({
      readyTimeoutMs: 120_000,
      env: {
        STT_POOL_SIZE: '1',
        DEEPGRAM_API_KEY: stt.key,
        ELEVENLABS_API_KEY: tts.key,
        OPENAI_API_KEY: 'sk-local-test',
      },
    });
    const set = await bridge.cli([
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'llm',
      '--llm-base-url',
      model.baseUrl,
      '--llm-model',
      'local-model',
      '--llm-api-key-env',
      'OPENAI_API_KEY',
      '--greeting',
      GREETING,
      '--stt',
      'deepgram',
      '--stt-url',
      stt.url,
      '--stt-api-key-env',
      'DEEPGRAM_API_KEY',
      '--tts',
      'elevenlabs',
      '--tts-url',
      tts.origin,
      '--tts-api-key-env',
      'ELEVENLABS_API_KEY',
      '--tts-voice',
      'local-voice',
    ]);
    expect(set.code, set.stderr).to.equal(0);
  });

  after(async () => {
    for (const call of calls) await call.cleanup();
    await bridge?.stop();
    await stt?.close();
    await tts?.close();
    await model?.close();
    await flite?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is greeted and answered in the cloud voice; the record shows the engines, the turn latency and the usage', async () => {
    const mic = join(dir, 'question.wav');
    // Silence while the greeting plays, the question, silence while the answer plays.
    await conversationWav(mic, 6, [{ text: 'Do you sell fresh bread today?', silenceAfterS: 14 }]);
    const call = await baresipCall({ uri: `sip:${NUMBER}@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 60 });
    calls.push(call);

    // The "cloud" heard the caller and spoke both lines; nothing fell back to the offline engines.
    expect(stt.sent.join(' '), 'transcribed by the Deepgram-wire server').to.match(/\b(bread|fresh|sell|today)\b/);
    const spoken = tts.connections.flatMap((c) =>
      c.texts.map((t) => (t as { text?: unknown }).text).filter((t): t is string => typeof t === 'string'),
    );
    expect(spoken.join(''), 'sent to the ElevenLabs-wire server').to.include('bakery').and.to.include('bread');
    expect(stt.connections[0]?.url.searchParams.get('encoding')).to.equal('linear16');
    expect(model.requests.length, 'the model was asked').to.be.at.least(1);

    const record = await waitFor(
      'the call record ended with its engines block',
      20_000,
      async () => {
        const list = await bridge.cli(['calls', 'list', '--json']);
        const found = (JSON.parse(list.stdout) as CallRecord[]).find((r) => r.number === NUMBER);
        return found?.status === 'ended' && found.engines !== undefined ? found : undefined;
      },
      { everyMs: 250 },
    );
    const show = await bridge.cli(['calls', 'show', record.callId, '--json']);
    expect(show.code, show.stderr).to.equal(0);
    const full = JSON.parse(show.stdout) as CallRecord;
    const agentLines = full.transcript.filter((t) => t.speaker === 'agent').map((t) => t.text);
    expect(agentLines).to.include(GREETING);
    expect(agentLines).to.include(ANSWER);

    const engines = full.engines!;
    expect(engines.stt).to.deep.include({ provider: 'deepgram', model: 'nova-3' });
    expect(engines.stt.switchedTo, JSON.stringify(engines.stt)).to.equal(undefined);
    expect(engines.stt.audioSeconds, 'audio seconds sent to STT').to.be.greaterThan(5);
    // The characters the provider bills: every text the ElevenLabs-wire server received, without the
    // trailing space its protocol asks each chunk to end in (the greeting goes clause by clause, so the
    // space between its sentences is never sent).
    const sentCharacters = spoken.reduce((n, t) => n + t.trimEnd().length, 0);
    expect(sentCharacters, spoken.join('|')).to.be.within(
      GREETING.length + ANSWER.length - 3,
      GREETING.length + ANSWER.length,
    );
    expect(engines.tts).to.deep.include({
      provider: 'elevenlabs',
      model: 'eleven_flash_v2_5',
      characters: sentCharacters,
    });
    expect(engines.tts.switchedTo, JSON.stringify(engines.tts)).to.equal(undefined);
    expect(engines.llm).to.deep.include({ model: 'local-model', promptTokens: 57, completionTokens: 9 });

    const turn = full.turns?.[0];
    expect(turn, JSON.stringify(full.turns)).to.not.equal(undefined);
    const stages = [turn!.sttFinalAtMs, turn!.answerAtMs, turn!.ttsFirstAudioAtMs, turn!.firstRtpAtMs];
    expect(
      stages.every((ms) => typeof ms === 'number'),
      JSON.stringify(turn),
    ).to.equal(true);
    expect([...stages].sort((a, b) => a! - b!)).to.deep.equal(stages);
    // The turn's own share of the usage: the caller's audio up to its final, the answer's characters and tokens.
    expect(turn!.usage, JSON.stringify(turn)).to.deep.include({
      ttsCharacters: ANSWER.length,
      promptTokens: 57,
      completionTokens: 9,
    });
    expect(turn!.usage?.sttAudioSeconds, JSON.stringify(turn)).to.be.greaterThan(0);

    const heard = (
      await recognizeWav(call.heardWav, ['bakery', 'help', 'yes', 'bake', 'fresh', 'bread', 'every', 'morning'])
    ).join(' ');
    expect(heard, 'the greeting').to.match(/\b(bakery|help)\b/);
    expect(heard, `the answer in: ${heard}`).to.match(/\b(bake|fresh|bread|every|morning)\b/);

    const table = await bridge.cli(['calls', 'show', record.callId]);
    expect(table.stdout).to.match(/^engines:? +stt deepgram nova-3, [\d.]+ s audio; tts elevenlabs eleven_flash_v2_5/m);
    expect(table.stdout).to.match(/\nturn usage:\nTURN +STT AUDIO S +TTS CHARS +LLM TOKENS\n1 +[\d.]+ +\d+ +57\+9\n/);
    process.stdout.write(table.stdout.slice(table.stdout.indexOf('engines')));
  });
});
