import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { holdsFor, repeatEvery, schedule, sendPaced, waitFor, waitForEvent, withTimeout } from './wait-for.ts';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('test support: waiting', () => {
  it('waitFor resolves with the first value the check returns that is not false, undefined or null', async () => {
    let calls = 0;
    const value = await waitFor('the third call', 2000, () => (++calls === 3 ? { calls } : undefined), { everyMs: 1 });
    expect(value).to.deep.equal({ calls: 3 });
  });

  it('waitFor resolves with 0 and the empty string, which are values', async () => {
    expect(await waitFor('zero', 100, () => 0)).to.equal(0);
    expect(await waitFor('empty', 100, () => '')).to.equal('');
  });

  it('waitFor rejects naming what it waited for once the time is up', async () => {
    const started = performance.now();
    const error = await rejection(waitFor('the moon', 50, () => false));
    expect(error.message).to.equal('timed out after 50 ms waiting for the moon');
    expect(performance.now() - started).to.be.within(45, 1000);
  });

  it('waitFor passes on what the check throws', async () => {
    const error = await rejection(
      waitFor('anything', 1000, () => {
        throw new Error('broken check');
      }),
    );
    expect(error.message).to.equal('broken check');
  });

  it('holdsFor resolves when the condition held for the whole time, and rejects as soon as it breaks', async () => {
    const started = performance.now();
    await holdsFor('quiet', 40, () => true);
    expect(performance.now() - started).to.be.at.least(39);
    let calls = 0;
    const error = await rejection(holdsFor('quiet', 5000, () => ++calls < 3, { everyMs: 1 }));
    expect(error.message).to.match(/^quiet stopped holding after \d+ ms$/);
    expect(calls).to.equal(3);
  });

  it('waitForEvent resolves with the arguments of the first event that passes the filter', async () => {
    const emitter = new EventEmitter();
    const got = waitForEvent(emitter, 'packet', 'packet 2', 1000, (n) => n === 2);
    emitter.emit('packet', 1, 'a');
    emitter.emit('packet', 2, 'b');
    expect(await got).to.deep.equal([2, 'b']);
    expect(emitter.listenerCount('packet')).to.equal(0);
  });

  it('waitForEvent rejects naming what it waited for, and leaves no listener behind', async () => {
    const emitter = new EventEmitter();
    const error = await rejection(waitForEvent(emitter, 'packet', 'a packet', 30));
    expect(error.message).to.equal('timed out after 30 ms waiting for a packet');
    expect(emitter.listenerCount('packet')).to.equal(0);
  });

  it('withTimeout settles as the promise does, or rejects naming what it waited for', async () => {
    expect(await withTimeout(Promise.resolve(7), 'seven', 100)).to.equal(7);
    const error = await rejection(withTimeout(new Promise(() => undefined), 'never', 20));
    expect(error.message).to.equal('timed out after 20 ms waiting for never');
  });

  it('sendPaced sends the first at once and the rest everyMs apart, resolving after the last', async () => {
    const at: number[] = [];
    const started = performance.now();
    await sendPaced(4, 15, (i) => at.push(i === at.length ? performance.now() - started : -1));
    expect(at).to.have.length(4);
    expect(at[0]).to.be.below(10);
    expect(at[3]).to.be.at.least(44);
  });

  it('repeatEvery calls until stopped', async () => {
    let calls = 0;
    const stop = repeatEvery(5, () => calls++);
    await waitFor('three calls', 1000, () => calls >= 3);
    stop();
    const after = calls;
    await holdsFor('no call after stop', 30, () => calls === after);
  });

  it('schedule runs the action once after the time, and never once cancelled', async () => {
    let ran = 0;
    schedule(5, () => ran++);
    const cancel = schedule(5, () => (ran += 10));
    cancel();
    await waitFor('the scheduled action', 1000, () => ran > 0);
    await holdsFor('the cancelled action never run', 30, () => ran === 1);
  });
});
