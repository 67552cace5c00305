import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NodeCommandRequester } from '../src/index.ts';

const CHILD = fileURLToPath(new URL('./fixtures/node-command-child.ts', import.meta.url));
const LIVE = 'cmibq3f2a0123456789abcd';
const OTHER = 'cmibq3f2a0fedcba9876543';

interface Forked {
  child: ChildProcess;
  requester: NodeCommandRequester;
  /** Messages the requester did not consume. */
  others: unknown[];
  /** Every message the child sent. */
  all: unknown[];
}

/** A real forked child over a real IPC channel, wired the way the supervisor wires its services. */
async function forkChild(mode: string): Promise<Forked> {
  const child = fork(CHILD, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, CHILD_MODE: mode, LIVE_CALLS: LIVE },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const requester = new NodeCommandRequester((message) => {
    if (!child.connected) return false;
    child.send(message as object, () => undefined);
    return true;
  });
  const others: unknown[] = [];
  const all: unknown[] = [];
  child.on('message', (message) => {
    all.push(message);
    if (!requester.handle(message)) others.push(message);
  });
  child.on('exit', () => requester.close());
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type?: string }) => m.type === 'ready' && resolve());
    child.once('exit', (code) => reject(new Error(`child exited ${code} before ready`)));
  });
  return { child, requester, others, all };
}

function stop(forked: Forked | undefined): Promise<void> {
  const child = forked?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

describe('node commands over the fork IPC channel', function () {
  this.timeout(20_000);
  let forked: Forked | undefined;
  afterEach(() => stop(forked));

  it('a child holding the call carries the command out and says so; one without it says no', async () => {
    forked = await forkChild('answer');
    const ran = new Promise<unknown>((resolve) =>
      forked?.child.on('message', (m: { type?: string }) => m.type === 'ran' && resolve(m)),
    );
    expect(await forked.requester.run({ command: 'hangup', callId: LIVE }, 5000)).to.equal(true);
    expect(await ran).to.deep.equal({ type: 'ran', ran: [`hangup ${LIVE}`] });
    expect(await forked.requester.run({ command: 'hangup', callId: OTHER }, 5000)).to.equal(false);
    expect(await forked.requester.run({ command: 'dtmf', callId: LIVE, digits: '12#' }, 5000)).to.equal(true);
  });

  it('numbered requests: concurrent ones each get their own answer', async () => {
    const { requester } = (forked = await forkChild('answer'));
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        requester.run({ command: 'hangup', callId: i % 2 === 0 ? LIVE : OTHER }, 5000),
      ),
    );
    expect(answers).to.deep.equal(Array.from({ length: 20 }, (_, i) => i % 2 === 0));
  });

  it('a child that never answers fails the request after its timeout', async () => {
    forked = await forkChild('silent');
    const error = await forked.requester.run({ command: 'hangup', callId: LIVE }, 300).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.equal('no node-command-reply within 300 ms');
  });

  it('a child that exits fails the pending request at once (not at its timeout), and later requests too', async () => {
    forked = await forkChild('exit');
    const error = await forked.requester.run({ command: 'hangup', callId: LIVE }, 60_000).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.equal('process gone');
    const later = await forked.requester.run({ command: 'hangup', callId: LIVE }, 60_000).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(later?.message).to.equal('process gone');
  });

  it('malformed replies and replies to ids never asked are ignored: the request times out, nothing throws', async () => {
    forked = await forkChild('malformed');
    const error = await forked.requester.run({ command: 'hangup', callId: LIVE }, 500).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.equal('no node-command-reply within 500 ms');
    // A reply of another type is not this requester's to consume.
    expect(forked.others).to.deep.include({ type: 'something-else', id: 1 });
  });

  it('a malformed request to the answering side gets no reply and does not break it', async () => {
    forked = await forkChild('answer');
    forked.child.send({ type: 'node-command-request', id: 1, command: { command: 'hangup', callId: '../etc' } });
    forked.child.send({ type: 'node-command-request', id: 'x' });
    forked.child.send({ type: 'node-command-request' });
    expect(await forked.requester.run({ command: 'hangup', callId: LIVE }, 5000)).to.equal(true);
    // Only the valid request was answered (the requester numbers its first request 1).
    const replies = forked.all.filter((m) => (m as { type?: string }).type === 'node-command-reply');
    expect(replies).to.deep.equal([{ type: 'node-command-reply', id: 1, live: true }]);
  });
});
