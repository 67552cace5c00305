import { expect } from 'chai';
import { TransferRequests } from '../src/transfer-requests.ts';

describe('TransferRequests (the agent side of a transfer)', () => {
  it('resolves with the final result of its own request id, reporting trying steps on the way', async () => {
    const requests = new TransferRequests();
    const sent: string[] = [];
    const steps: string[] = [];
    const outcome = requests.start((id) => sent.push(id), new AbortController().signal, {
      onProgress: (p) => steps.push(p.state),
    });
    requests.onResult({ event: 'transfer-result', requestId: 'other', state: 'success', status: 200 });
    requests.onResult({ event: 'transfer-result', requestId: sent[0], state: 'trying', status: 202 });
    requests.onResult({
      event: 'transfer-result',
      requestId: sent[0],
      state: 'failure',
      status: 486,
      reason: 'Busy Here',
    });
    expect(await outcome).to.deep.equal({ state: 'failure', status: 486, reason: 'Busy Here' });
    expect(steps).to.deep.equal(['trying', 'failure']);
  });

  it('no outcome within the timeout is a failure (VB_REQUEST_TIMEOUT); a later result is ignored', async () => {
    const requests = new TransferRequests();
    let id = '';
    const outcome = await requests.start((sentId) => (id = sentId), new AbortController().signal, { timeoutMs: 20 });
    expect(outcome).to.deep.include({ state: 'failure', code: 'VB_REQUEST_TIMEOUT' });
    requests.onResult({ event: 'transfer-result', requestId: id, state: 'success' });
  });

  it('the call ending fails a pending request; an aborted signal rejects it', async () => {
    const requests = new TransferRequests();
    const pending = requests.start(() => undefined, new AbortController().signal);
    requests.close();
    expect(await pending).to.deep.include({ state: 'failure', code: 'VB_CLOSED' });
    const abort = new AbortController();
    const aborted = requests.start(() => undefined, abort.signal);
    abort.abort(new Error('hung up'));
    await aborted.then(
      () => expect.fail('resolved after abort'),
      (error: Error) => expect(error.message).to.equal('hung up'),
    );
  });
});
