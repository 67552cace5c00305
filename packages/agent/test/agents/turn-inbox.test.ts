import { expect } from 'chai';
import { TurnInbox } from '../../src/agents/turn-inbox.ts';

describe('TurnInbox', () => {
  it('what was heard while the agent was busy comes back as one turn, joined in order', async () => {
    const inbox = new TurnInbox();
    inbox.push('I would like');
    inbox.push('to book a cleaning');
    expect(await inbox.next(AbortSignal.timeout(1000))).to.equal('I would like to book a cleaning');
  });

  it('waits for the next text, then returns undefined once ended and empty', async () => {
    const inbox = new TurnInbox();
    const next = inbox.next(AbortSignal.timeout(1000));
    inbox.push('hello');
    expect(await next).to.equal('hello');
    inbox.push('left over');
    inbox.end();
    expect(await inbox.next(AbortSignal.timeout(1000))).to.equal('left over');
    expect(await inbox.next(AbortSignal.timeout(1000))).to.equal(undefined);
  });

  it('throws the error it was ended with, and the signal reason when aborted while waiting', async () => {
    const failed = new TurnInbox();
    failed.end(new Error('recogniser died'));
    let error: unknown;
    await failed.next(AbortSignal.timeout(1000)).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('recogniser died');

    const controller = new AbortController();
    const waiting = new TurnInbox().next(controller.signal);
    controller.abort(new Error('call over'));
    error = undefined;
    await waiting.catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('call over');
  });
});
