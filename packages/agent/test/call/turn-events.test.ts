import { expect } from 'chai';
import { TurnEvents } from '../../src/call/turn-events.ts';
import { TurnTimer } from '../../src/turns/turn-timer.ts';

/** A timer wired as the call wires it, its boundary the turn events; the outlet never plays (no reply audio here). */
function harness(includeTranscript: boolean): {
  timer: TurnTimer;
  events: TurnEvents;
  sent: Record<string, unknown>[];
} {
  const sent: Record<string, unknown>[] = [];
  const events = new TurnEvents({ publish: (data) => sent.push(data), includeTranscript });
  let nowMs = 1000;
  const timer = new TurnTimer({
    answeredAtMs: 1000,
    signal: new AbortController().signal,
    persist: () => undefined,
    outlet: { markAt: () => new Promise<boolean>(() => undefined) },
    now: () => (nowMs += 10),
    boundary: events,
  });
  return { timer, events, sent };
}

describe('TurnEvents (call.turn)', () => {
  it('sends a turn once the next one starts and the last at close, with the turn figures as timed', () => {
    const { timer, events, sent } = harness(true);
    events.transcript('agent', 'Hello, how can I help?');
    events.transcript('caller', 'what are your hours');
    timer.heard();
    timer.answering();
    events.transcript('agent', 'Nine to five.');
    expect(sent).to.deep.equal([]);
    events.transcript('caller', 'and your address');
    timer.heard();
    timer.interrupted();
    events.transcript('agent', 'One hundred Main Street.');
    timer.close();
    timer.close();
    expect(sent.map((e) => e.turn)).to.deep.equal([1, 2]);
    expect(sent[0]).to.deep.include({ callerText: 'what are your hours', agentText: 'Nine to five.' });
    expect(sent[1]).to.deep.include({ callerText: 'and your address', agentText: 'One hundred Main Street.' });
    expect(sent.map((e) => e.latency)).to.deep.equal(timer.turns);
    expect(timer.turns[1]?.interruptions).to.equal(1);
  });

  it('a turn that began before its caller words were transcribed (a realtime model) takes the next ones', () => {
    const { timer, events, sent } = harness(true);
    timer.heard();
    events.transcript('agent', 'Sure.');
    events.transcript('caller', 'book a table');
    timer.close();
    expect(sent[0]).to.deep.include({ callerText: 'book a table', agentText: 'Sure.' });
  });

  it('without the opt-in no words are sent, the figures are', () => {
    const { timer, events, sent } = harness(false);
    events.transcript('caller', 'my card number is four four four');
    timer.heard();
    timer.close();
    expect(sent).to.have.length(1);
    expect(sent[0]).to.have.all.keys('turn', 'latency');
  });
});
