import { expect } from 'chai';
import { Registry } from '@voicebridge/metrics';
import { AgentMetrics, engineProviderOf } from '../src/agent-metrics.ts';
import { LlmError } from '../src/llm/llm-error.ts';
import { EngineError } from '../src/stt/engine-error.ts';
import { TurnTimer } from '../src/turns/turn-timer.ts';
import { parsePrometheusText, samplesOf, sumOf } from '../../../test/support/prometheus-text.ts';

describe('AgentMetrics', () => {
  const scrape = async (registry: Registry) => parsePrometheusText(await registry.metrics());

  it("times each completed turn's stages from the caller's voice end, through the turn timer", async () => {
    const registry = new Registry();
    const metrics = new AgentMetrics(registry);
    let nowMs = 1000;
    const timer = new TurnTimer({
      answeredAtMs: 0,
      outlet: { markAt: () => Promise.resolve(true) },
      signal: new AbortController().signal,
      persist: () => undefined,
      now: () => nowMs,
      observer: metrics,
    });
    const loud = new Int16Array(160).fill(8000);
    timer.onCallerFrame(loud, undefined); // voice ends at 1000 ms
    nowMs = 1400;
    timer.heard(); // STT final 400 ms later
    nowMs = 2100;
    timer.answering(); // first token 1.1 s after the voice end
    nowMs = 2500;
    timer.onAgentAudio(new Int16Array(320), 0); // first TTS audio at 1.5 s
    nowMs = 2600;
    await new Promise<void>((resolve) => queueMicrotask(resolve)); // the mark resolves: first RTP at 1.6 s
    await Promise.resolve();
    const samples = await scrape(registry);
    const sum = (stage: string): number => sumOf(samples, 'voicebridge_turn_latency_seconds_sum', { stage });
    expect(sum('stt_final')).to.be.closeTo(0.4, 1e-9);
    expect(sum('answer')).to.be.closeTo(1.1, 1e-9);
    expect(sum('tts_first_audio')).to.be.closeTo(1.5, 1e-9);
    expect(sum('first_rtp')).to.be.closeTo(1.6, 1e-9);
    for (const stage of ['stt_final', 'answer', 'tts_first_audio', 'first_rtp'])
      expect(sumOf(samples, 'voicebridge_turn_latency_seconds_count', { stage }), stage).to.equal(1);
    timer.interrupted();
    timer.failed('deepgram');
    const after = await scrape(registry);
    expect(sumOf(after, 'voicebridge_barge_ins_total')).to.equal(1);
    expect(sumOf(after, 'voicebridge_engine_errors_total', { provider: 'deepgram' })).to.equal(1);
  });

  it('labels engine failures by the adapter, never by a host from a number config', () => {
    expect(engineProviderOf(new EngineError('pocketsphinx', 'VB_ENGINE_FAILED', 'exited'))).to.equal('pocketsphinx');
    expect(engineProviderOf(new LlmError('models.example.com', 'VB_ENGINE_FAILED', '503'))).to.equal(
      'openai-compatible',
    );
    expect(engineProviderOf(new Error('something else'))).to.equal(undefined);
  });

  it('reports the calls it runs and the time each waited to be claimed', async () => {
    const registry = new Registry();
    const metrics = new AgentMetrics(registry, { activeCalls: () => 3 });
    metrics.claimed(40);
    metrics.claimed(-5); // clocks of two hosts: never a negative wait
    const samples = await scrape(registry);
    expect(sumOf(samples, 'voicebridge_agent_calls_active')).to.equal(3);
    expect(sumOf(samples, 'voicebridge_agent_claim_seconds_count')).to.equal(2);
    expect(sumOf(samples, 'voicebridge_agent_claim_seconds_sum')).to.be.closeTo(0.04, 1e-9);
    expect(samplesOf(samples, 'voicebridge_agent_claim_seconds_bucket', { le: '0.05' })[0]?.value).to.equal(2);
  });
});
