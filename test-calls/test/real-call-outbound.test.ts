import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '@voicebridge/protocol';
import { conversationWav } from '../src/audio-fixtures.ts';
import { baresipCallee, type BaresipCall } from '../src/baresip.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { recognizeWav } from '../src/recognize.ts';
import { waitFor } from '../../test/support/wait-for.ts';

/**
 * Calls out with the real bridge (`voicebridge start`): `voicebridge dial` queues the call, the
 * signaling process's dial worker places it through the trunk, and a real baresip callee answers,
 * hears the agent, and is recognised offline.
 */
describe('calls out: voicebridge dial to a baresip callee', function () {
  this.timeout(180_000);
  let bridge: RunningBridge;
  let dir: string;
  const calls: BaresipCall[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-outbound-call-'));
    bridge = await startBridge({ env: { GREETING_DELAY_MS: '200', STT_POOL_SIZE: '1' } });
  });

  after(async () => {
    for (const call of calls) await call.cleanup();
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('voicebridge dial +15550777 --trunk carrier --number +15550100: baresip rings, answers, hears the greeting; the record says outbound, answered', async () => {
    const mic = join(dir, 'callee.wav');
    // A person who answers and listens: silence through the greeting (~7 s), then a few words.
    await conversationWav(mic, 10, [{ text: 'Thank you, goodbye.', silenceAfterS: 2 }]);
    const callee = await baresipCallee({ user: '+15550777', micWav: mic, maxSeconds: 60 });
    const trunk = await bridge.cli([
      'trunks',
      'set',
      'carrier',
      '--source',
      '127.0.0.2',
      '--country-code',
      '1',
      '--outbound-uri',
      `sip:127.0.0.1:${callee.sipPort}`,
      '--caller-id',
      '+15550100',
    ]);
    expect(trunk.code, trunk.stderr).to.equal(0);
    const dial = await bridge.cli(['dial', '+15550777', '--trunk', 'carrier', '--number', '+15550100', '--json']);
    expect(dial.code, dial.stderr).to.equal(0);
    const { callId } = JSON.parse(dial.stdout) as { callId: string };
    const call = await callee.done;
    calls.push(call);
    const record = await waitFor(
      'the outbound call record ended',
      20_000,
      async () => {
        const shown = await bridge.cli(['calls', 'show', callId, '--json']);
        if (shown.code !== 0) return undefined;
        const r =
          (JSON.parse(shown.stdout) as { call?: CallRecord } & CallRecord).call ??
          (JSON.parse(shown.stdout) as CallRecord);
        return r.status === 'ended' ? r : undefined;
      },
      { everyMs: 250 },
    );
    expect(record.direction).to.equal('outbound');
    expect(record.trunk).to.equal('carrier');
    expect(record.dial?.verdict).to.equal('answered');
    expect(record.answeredAtMs).to.be.a('number');
    // recognizeWav answers the utterances it heard; the words are checked, not whole sentences.
    const heard = (await recognizeWav(call.heardWav, ['hello', 'bridge', 'demo', 'hours', 'prices', 'address'])).join(
      ' ',
    );
    const words = new Set(heard.split(/\s+/));
    expect(words.has('hello'), `recognised: ${heard}`).to.equal(true);
    expect(
      ['bridge', 'demo', 'hours', 'prices', 'address'].filter((w) => words.has(w)).length,
      `recognised: ${heard}`,
    ).to.be.at.least(2);
  });
});
