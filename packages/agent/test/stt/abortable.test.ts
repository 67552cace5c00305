import { expect } from 'chai';
import { delay } from '../../src/stt/abortable.ts';

describe('delay', () => {
  it('resolves once its time has passed', async () => {
    const startedAt = performance.now();
    await delay(5, new AbortController().signal);
    expect(performance.now() - startedAt).to.be.at.least(4);
  });

  it("rejects with the signal's reason when aborted while waiting, not long after", async () => {
    const controller = new AbortController();
    const reason = new Error('caller hung up');
    const waiting = delay(60_000, controller.signal);
    controller.abort(reason);
    const error = await waiting.then(
      () => undefined,
      (rejected: unknown) => rejected,
    );
    expect(error).to.equal(reason);
  });

  it("rejects with the signal's reason at once when the signal had already aborted", async () => {
    const reason = new Error('shutting down');
    const error = await delay(60_000, AbortSignal.abort(reason)).then(
      () => undefined,
      (rejected: unknown) => rejected,
    );
    expect(error).to.equal(reason);
  });
});
