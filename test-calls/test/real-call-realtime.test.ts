import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '@voicebridge/protocol';
import { spokenWav } from '../src/audio-fixtures.ts';
import { baresipCall, type BaresipCall } from '../src/baresip.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { recognizeWav } from '../src/recognize.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { FliteTts } from '../../packages/agent/src/tts/flite-tts.ts';
import { synthesizeAll } from '../../packages/agent/test/engines/audio-helpers.ts';
import { RealtimeWireServer } from '../../packages/agent/test/realtime/realtime-wire-server.ts';

const NUMBER = '+15550191';
const GREETING = 'Your order ships tomorrow morning by courier.';

/**
 * The real bridge (`voicebridge start`) with a `realtime` number pointing at a local OpenAI
 * Realtime server written from the GA reference (see realtime-wire-server.ts), called by baresip:
 * the model's spoken greeting (flite audio sent as μ-law deltas) is heard by the caller, and the
 * record holds the greeting line, the caller's turn transcript and the model's tokens.
 */
describe('a real call to a realtime number (baresip, local Realtime server)', function () {
  this.timeout(120_000);
  let bridge: RunningBridge;
  let server: RealtimeWireServer;
  let dir: string;
  const calls: BaresipCall[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-realtime-call-'));
    const tts = new FliteTts();
    const greeting = await synthesizeAll(tts, GREETING);
    await tts.close();
    server = await RealtimeWireServer.start();
    server.respondWith({ kind: 'audio', pcm: greeting, transcript: GREETING });
    bridge = await startBridge({ env: { STT_POOL_SIZE: '1', OPENAI_API_KEY: 'sk-local-test' } });
    const set = await bridge.cli([
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'realtime',
      '--realtime-model',
      'gpt-realtime',
      '--realtime-url',
      server.url(),
      '--realtime-api-key-env',
      'OPENAI_API_KEY',
      '--greeting',
      GREETING,
    ]);
    expect(set.code, set.stderr).to.equal(0);
  });

  after(async () => {
    for (const call of calls) await call.cleanup();
    await bridge?.stop();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("the caller hears the model's greeting; caller audio reaches the model; the record has the greeting and the model's tokens", async () => {
    const mic = join(dir, 'words.wav');
    await spokenWav(mic, 'Hello there.', 4, 8);
    const call = await baresipCall({ uri: `sip:${NUMBER}@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 40 });
    calls.push(call);
    const heard = (await recognizeWav(call.heardWav, ['order', 'tomorrow', 'morning', 'courier'])).join(' ');
    expect(heard, "the model's greeting").to.match(/\b(order|tomorrow|morning|courier)\b/);
    const connection = server.connections[0];
    expect(connection?.headers['authorization']).to.equal('Bearer sk-local-test');
    expect(server.events(connection, 'input_audio_buffer.append').length, 'caller audio appended').to.be.greaterThan(
      100,
    );
    const record = await waitFor(
      'the realtime call record ended with its realtime block',
      15_000,
      async () => {
        const list = await bridge.cli(['calls', 'list', '--json']);
        const found = (JSON.parse(list.stdout) as CallRecord[]).find((r) => r.number === NUMBER);
        return found?.status === 'ended' && found.realtime !== undefined ? found : undefined;
      },
      { everyMs: 200 },
    );
    expect(record.agent).to.equal('realtime');
    expect(record.transcript.map((t) => `${t.speaker}: ${t.text}`)).to.include(`agent: ${GREETING}`);
    expect(record.realtime).to.deep.include({
      model: 'gpt-realtime',
      inputTokens: 100,
      outputTokens: 50,
    });
    // The greeting's response, plus the cancelled one when the caller's words cut the greeting.
    expect(record.realtime?.responses).to.be.within(1, 2);
  });
});
