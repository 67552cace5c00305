import { expect } from 'chai';
import { pino } from 'pino';
import { CallGuards, GUARD_PHRASES } from '../../src/turns/call-guards.ts';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import { CachingTts } from '../../src/tts/caching-tts.ts';
import { useLlmCallSuite } from './llm-call-harness.ts';
import { sendPaced } from '../../../../test/support/wait-for.ts';

const log = pino({ level: 'silent' });
const VOICE = new Int16Array(160).fill(6000);

describe('call guards', function () {
  this.timeout(30_000);

  describe('CallGuards (real timers, short limits)', () => {
    let guards: CallGuards | undefined;
    afterEach(() => guards?.close());

    it('caller voice keeps it quiet; silence brings one reprompt, then the farewell and a no-input hangup', async () => {
      const said: string[] = [];
      let reason: string | undefined;
      const hungUp = new Promise<void>((resolve) => {
        guards = new CallGuards({
          maxCallDurationMs: 60_000,
          noInputTimeoutMs: 300,
          say: (text) => Promise.resolve(void said.push(text)),
          hangup: (r) => {
            reason = r;
            resolve();
          },
          log,
        });
      });
      // The caller talks for 700 ms, well past the 300 ms no-input limit.
      await sendPaced(8, 100, () => guards!.onCallerFrame(VOICE));
      expect(said, 'while the caller talks').to.deep.equal([]);
      await hungUp;
      expect(said).to.deep.equal([GUARD_PHRASES.stillThere, GUARD_PHRASES.noInput]);
      expect(reason).to.equal('no-input');
    });

    it('the agent talking is not caller silence: the reprompt waits for its queued audio to play', async () => {
      const said: string[] = [];
      const startedMs = performance.now();
      let repromptAfterMs = 0;
      await new Promise<void>((resolve) => {
        guards = new CallGuards({
          maxCallDurationMs: 60_000,
          noInputTimeoutMs: 200,
          say: (text) => {
            said.push(text);
            repromptAfterMs = performance.now() - startedMs;
            resolve();
            return Promise.resolve();
          },
          hangup: () => undefined,
          log,
        });
        guards.onAgentAudio(8000); // 1 s of agent audio queued
      });
      expect(said).to.deep.equal([GUARD_PHRASES.stillThere]);
      // Ordering, not speed: it cannot come before the queued second has played plus the timeout.
      expect(repromptAfterMs).to.be.at.least(1200);
    });

    it("a farewell whose playout report never comes (the channel lost it) ends the call after its own length, not the guard's bound", async () => {
      const startedMs = performance.now();
      let hungUpAfterMs = 0;
      await new Promise<void>((resolve) => {
        guards = new CallGuards({
          maxCallDurationMs: 50,
          noInputTimeoutMs: 60_000,
          // The farewell (1 s of audio) is queued, and its mark is never reported.
          say: () => (guards!.onAgentAudio(8000), new Promise<never>(() => undefined)),
          hangup: () => {
            hungUpAfterMs = performance.now() - startedMs;
            resolve();
          },
          log,
        });
      });
      // Not before the farewell could have played; long before the 15 s bound.
      expect(hungUpAfterMs).to.be.at.least(1000).and.below(10_000);
    });
  });

  describe('on an llm call (real CallRunner, Redis channel, flite)', () => {
    const suite = useLlmCallSuite({ tts: () => new CachingTts(new FliteTts()) });

    it('a silent caller is asked once whether they are still there, then the call ends with no-input', async () => {
      const call = await suite.start({ noInputTimeoutS: 1 });
      await call.media.waitFor(() => call.media.controls().some((c) => c.event === 'hangup'), 'the hangup', 20_000);
      expect(call.media.controls().find((c) => c.event === 'hangup')).to.deep.equal({
        event: 'hangup',
        reason: 'no-input',
      });
      expect(call.transcript.map((t) => t.text)).to.deep.equal([
        'Hello.',
        GUARD_PHRASES.stillThere,
        GUARD_PHRASES.noInput,
      ]);
    });

    it('a call reaching maxCallDurationS ends with max-duration after the farewell', async () => {
      const call = await suite.start({ maxCallDurationS: 1 });
      await call.media.waitFor(() => call.media.controls().some((c) => c.event === 'hangup'), 'the hangup', 20_000);
      expect(call.media.controls().find((c) => c.event === 'hangup')).to.deep.equal({
        event: 'hangup',
        reason: 'max-duration',
      });
      expect(call.transcript.map((t) => t.text)).to.include(GUARD_PHRASES.maxDuration);
    });
  });
});
