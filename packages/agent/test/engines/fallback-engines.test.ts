import { expect } from 'chai';
import { OutboundPolicy } from '@voicebridge/outbound';
import { Registry } from '@voicebridge/metrics';
import { SecretEnvAllowList, silentLogger } from '@voicebridge/protocol';
import { AgentMetrics } from '../../src/agent-metrics.ts';
import { CallEngines } from '../../src/engines/call-engines.ts';
import { createCloudEngineFactory } from '../../src/engines/cloud-engines.ts';
import { EngineOutageError } from '../../src/engines/engine-switch.ts';
import { FallbackSlots } from '../../src/engines/fallback-slots.ts';
import { createOfflineEngines, type OfflineEngines } from '../../src/engines.ts';
import { AsyncQueue } from '../../src/async-queue.ts';
import { concat, muLawRoundTrip, silence } from './audio-helpers.ts';
import { waitFor } from '../../../../test/support/wait-for.ts';
import { DeepgramWireServer, results } from './deepgram-wire-server.ts';
import { ElevenLabsWireServer } from './elevenlabs-wire-server.ts';

const secretEnv = SecretEnvAllowList.parse('ELEVENLABS_API_KEY,DEEPGRAM_API_KEY');

describe('cloud engines falling back to the offline ones (local wire servers, real flite and pocketsphinx)', function () {
  this.timeout(60_000);
  let offline: OfflineEngines;

  before(() => {
    offline = createOfflineEngines({ poolSize: 5 });
  });
  after(() => offline.close());

  it('20 calls whose TTS provider dies at once: 5 (ENGINE_FALLBACK_MAX) speak in flite, 15 are told engine-outage; none is silent', async () => {
    const server = await ElevenLabsWireServer.start();
    const factory = createCloudEngineFactory({
      env: { ELEVENLABS_API_KEY: server.key },
      secretEnv,
      policy: new OutboundPolicy({ denyCidrs: [] }),
    });
    const slots = new FallbackSlots(5);
    const registry = new Registry();
    const metrics = new AgentMetrics(registry);
    const calls = Array.from(
      { length: 20 },
      () =>
        new CallEngines({
          config: { tts: { provider: 'elevenlabs', url: server.origin, keyEnv: 'ELEVENLABS_API_KEY' } },
          insecure: false,
          offline,
          cloud: factory,
          slots,
          log: silentLogger,
          engineFailed: (provider) => metrics.engineFailed(provider),
        }),
    );
    try {
      await Promise.all(calls.map((call) => call.prepare(AbortSignal.timeout(10_000))));
      expect(server.connections).to.have.length(20);
      await server.close();
      const outages: number[] = [];
      calls.forEach((call, i) => (call.onOutage = () => outages.push(i)));
      const outcomes = await Promise.all(
        calls.map(async (call) => {
          let samples = 0;
          try {
            for await (const chunk of call.tts.synthesize('Thanks for waiting.', {
              sampleRateHz: 8000,
              signal: AbortSignal.timeout(20_000),
            }))
              samples += chunk.length;
            return samples > 0 ? 'fallback voice' : 'silence';
          } catch (error) {
            return error instanceof EngineOutageError ? 'engine-outage' : `failed: ${String(error)}`;
          }
        }),
      );
      expect(outcomes.filter((o) => o === 'fallback voice')).to.have.length(5);
      expect(outcomes.filter((o) => o === 'engine-outage')).to.have.length(15);
      expect(outages).to.have.length(15);
      expect(slots.used).to.equal(5);
      expect(calls.map((c) => c.usage().switches.length).reduce((a, b) => a + b)).to.equal(5);
      // Every call's provider failed once, whether a fallback took over or the call was told the outage.
      expect(await registry.getSingleMetricAsString('voicebridge_engine_errors_total')).to.include(
        'voicebridge_engine_errors_total{provider="elevenlabs"} 20',
      );
    } finally {
      for (const call of calls) call.close();
      await server.close();
    }
    expect(slots.used, 'every slot back once the calls closed').to.equal(0);
  });

  it('a Deepgram socket dropped mid-call: pocketsphinx hears the rest of the caller from the same audio', async () => {
    const server = await DeepgramWireServer.start();
    server.script = {
      frames: [{ atAudioMs: 200, frame: results('hello', { isFinal: true, speechFinal: true }) }],
      dropAtAudioMs: 400,
    };
    const engines = new CallEngines({
      config: { stt: { provider: 'deepgram', url: server.url, keyEnv: 'DEEPGRAM_API_KEY' } },
      insecure: false,
      offline,
      cloud: createCloudEngineFactory({
        env: { DEEPGRAM_API_KEY: server.key },
        secretEnv,
        policy: new OutboundPolicy({ denyCidrs: [] }),
      }),
      slots: new FallbackSlots(1),
      log: silentLogger,
    });
    try {
      await engines.prepare(AbortSignal.timeout(10_000));
      const spoken: Int16Array[] = [silence(600)];
      for await (const chunk of offline.tts.synthesize('What are your opening hours?', {
        sampleRateHz: 8000,
        signal: AbortSignal.timeout(20_000),
      }))
        spoken.push(chunk);
      spoken.push(silence(1500));
      const caller = new AsyncQueue<Int16Array>(100_000);
      const pcm = muLawRoundTrip(concat(spoken));
      const push = (from: number, to: number): void => {
        for (let at = from; at < to; at += 160) caller.push(pcm.slice(at, Math.min(to, at + 160)));
      };
      const heard: string[] = [];
      const listening = (async () => {
        for await (const transcript of engines.stt.transcribe(caller, {
          sampleRateHz: 8000,
          keywords: ['hours'],
          signal: AbortSignal.timeout(40_000),
        }))
          if (transcript.final) heard.push(transcript.text);
      })();
      // The first 500 ms reach Deepgram, which drops the socket at 400 ms; the caller goes on talking.
      push(0, 8 * 500);
      await waitFor('the switch to pocketsphinx', 10_000, () => engines.usage().stt.switchedTo);
      push(8 * 500, pcm.length);
      caller.close();
      await listening;
      expect(heard[0]).to.equal('hello');
      expect(heard.slice(1).join(' ')).to.match(/hours/);
      expect(engines.usage().stt).to.include({ provider: 'deepgram', switchedTo: 'pocketsphinx' });
    } finally {
      engines.close();
      await server.close();
    }
  });
});
