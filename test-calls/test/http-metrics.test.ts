import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conversationWav } from '../src/audio-fixtures.ts';
import { baresipCall, type BaresipCall } from '../src/baresip.ts';
import { useBridge } from '../src/bridge-fixture.ts';
import { parsePrometheusText, sumOf, type PromSample } from '../../test/support/prometheus-text.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const READ_TOKEN = 'read-token-0123456789abcdef';
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

/**
 * `/metrics` of the real bridge (`voicebridge start` with two media workers) during and after a
 * real call from baresip to the scripted demo: every process of the node reports, labelled, through
 * the supervisor's IPC; the call shows up live and is counted once it is over.
 */
describe('/metrics on the running bridge, through a real call', function () {
  this.timeout(120_000);
  const bridge = useBridge({
    env: { MEDIA_WORKERS: '2', READ_TOKEN, ADMIN_TOKEN, GREETING_DELAY_MS: '200', STT_POOL_SIZE: '1' },
  });
  const url = (): string => `http://127.0.0.1:${bridge().httpPort}/metrics`;
  const scrape = async (token = READ_TOKEN): Promise<PromSample[]> => {
    const response = await fetch(url(), { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await response.text());
  };
  let dir: string;
  let call: BaresipCall | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-metrics-'));
  });
  after(async () => {
    await call?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('no 200 without a token: none gets 401, a wrong one 401, the read token 200', async () => {
    const none = await fetch(url());
    expect(none.status).to.equal(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).to.equal('VB_UNAUTHORIZED');
    const wrong = await fetch(url(), { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).to.equal(401);
    await scrape(READ_TOKEN);
    await scrape(ADMIN_TOKEN);
  });

  it('every process of the node is present with its label: supervisor, both media workers, agent, signaling', async () => {
    const samples = await scrape();
    for (const process of ['media-1', 'media-2', 'agent', 'signaling']) {
      expect(sumOf(samples, 'voicebridge_process_up', { process }), process).to.equal(1);
    }
    // Each process's own event-loop lag: a gauge per process, never summed.
    for (const process of ['supervisor', 'media-1', 'media-2', 'agent', 'signaling']) {
      const lag = samples.filter((s) => s.name === 'nodejs_eventloop_lag_seconds' && s.labels['process'] === process);
      expect(lag, process).to.have.length(1);
    }
    expect(samples.some((s) => s.name === 'nodejs_gc_duration_seconds_count')).to.equal(true);
    expect(sumOf(samples, 'voicebridge_calls_active', { process: 'signaling' })).to.equal(0);
    expect(sumOf(samples, 'voicebridge_agent_queue_jobs', { process: 'supervisor', state: 'waiting' })).to.equal(0);
  });

  it('during a call: one active call and media packet counters rising; after it: its verdict and turn latency counted', async () => {
    const mic = join(dir, 'question.wav');
    // Silence under the greeting (~7 s), a question, silence while its answer plays.
    await conversationWav(mic, 8, [{ text: 'What are your opening hours?', silenceAfterS: 8 }]);
    const placed = baresipCall({ uri: `sip:+15550100@127.0.0.1:${bridge().sipPort}`, micWav: mic, maxSeconds: 60 });
    const during = await waitFor(
      'one active call in /metrics (signaling, then the agent that claimed it)',
      20_000,
      async () => {
        const s = await scrape();
        // Signaling counts the call at its 200 OK; the agent process counts it once it has claimed the job, which can
        // come later on a busy machine.
        const active =
          sumOf(s, 'voicebridge_calls_active', { process: 'signaling' }) === 1 &&
          sumOf(s, 'voicebridge_agent_calls_active', { process: 'agent' }) === 1;
        return active ? s : undefined;
      },
      { everyMs: 200 },
    );
    expect(sumOf(during, 'voicebridge_agent_calls_active', { process: 'agent' })).to.equal(1);
    expect(sumOf(during, 'voicebridge_media_sessions')).to.equal(1);
    const packets = (s: PromSample[]): { in: number; out: number } => ({
      in: sumOf(s, 'voicebridge_rtp_packets_received_total'),
      out: sumOf(s, 'voicebridge_rtp_packets_sent_total'),
    });
    const first = packets(during);
    // The call's media worker is one of the two: the packets are counted under its own label only.
    const media = ['media-1', 'media-2'].filter(
      (process) => sumOf(during, 'voicebridge_media_sessions', { process }) === 1,
    );
    expect(media).to.have.length(1);
    const later = await waitFor(
      'both packet counters rising while the call is up',
      10_000,
      async () => {
        const s = await scrape();
        const now = packets(s);
        return now.in > first.in && now.out > first.out && sumOf(s, 'voicebridge_calls_active') === 1 ? s : undefined;
      },
      { everyMs: 200 },
    );
    const other = media[0] === 'media-1' ? 'media-2' : 'media-1';
    expect(sumOf(later, 'voicebridge_rtp_packets_sent_total', { process: media[0] as string })).to.be.greaterThan(0);
    expect(sumOf(later, 'voicebridge_rtp_packets_sent_total', { process: other })).to.equal(0);
    expect(sumOf(later, 'voicebridge_sip_invite_responses_total', { process: 'signaling', status: '200' })).to.equal(1);

    call = await placed;
    const after = await waitFor(
      'the call counted as ended by the caller',
      15_000,
      async () => {
        const s = await scrape();
        return sumOf(s, 'voicebridge_calls_total', { process: 'signaling' }) === 1 ? s : undefined;
      },
      { everyMs: 200 },
    );
    expect(sumOf(after, 'voicebridge_calls_total', { reason: 'caller-bye', by: 'caller' })).to.equal(1);
    expect(sumOf(after, 'voicebridge_calls_active', { process: 'signaling' })).to.equal(0);
    expect(sumOf(after, 'voicebridge_calls_admitted_total', { process: 'signaling' })).to.equal(1);
    // The question's turn: timed at every stage up to its first RTP packet.
    for (const stage of ['stt_final', 'answer', 'tts_first_audio', 'first_rtp']) {
      expect(
        sumOf(after, 'voicebridge_turn_latency_seconds_count', { process: 'agent', stage }),
        stage,
      ).to.be.greaterThanOrEqual(1);
    }
    expect(sumOf(after, 'voicebridge_agent_claim_seconds_count', { process: 'agent' })).to.equal(1);
    // The closed session's packets stay counted (and its loss sampled at its close).
    expect(packets(after).in).to.be.greaterThanOrEqual(packets(later).in);
    expect(sumOf(after, 'voicebridge_rtp_loss_ratio_count')).to.be.greaterThanOrEqual(1);
    expect(sumOf(after, 'voicebridge_media_sessions')).to.equal(0);
  });
});

describe('/metrics with METRICS_PUBLIC=true', function () {
  this.timeout(90_000);
  const bridge = useBridge({ env: { METRICS_PUBLIC: 'true', ADMIN_TOKEN } });

  it('is served without a token, while other routes still need one', async () => {
    const response = await fetch(`http://127.0.0.1:${bridge().httpPort}/metrics`);
    expect(response.status).to.equal(200);
    const samples = parsePrometheusText(await response.text());
    expect(sumOf(samples, 'voicebridge_process_up', { process: 'signaling' })).to.equal(1);
    const other = await fetch(`http://127.0.0.1:${bridge().httpPort}/api/v1/anything`, { method: 'POST' });
    expect(other.status).to.not.equal(200);
  });
});
