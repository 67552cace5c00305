import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { expect } from 'chai';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import {
  assertBridgeIdle,
  callRecords,
  cseqMethod,
  describeRun,
  endedRecord,
  runSipp,
  statusOf,
  unfinishedJobs,
} from '../src/sipp.ts';
import { schedule, waitFor } from '../../test/support/wait-for.ts';

/**
 * CANCEL at different points of admission. Each must end with 200/CANCEL and 487/INVITE (told apart
 * by CSeq), our ACK, verdict caller-cancel 487, no job left in the `calls` queue, the port pair closed.
 *
 * While ringing (SIPp, uac-cancel.xml): with an agent worker the bridge answers ~5 ms after its 180,
 * so a SIPp CANCEL would cross the 200. This bridge runs without one: the call rings until
 * ANSWER_TIMEOUT_MS (5 s), the media port is allocated and the job waits in the queue, and CANCELs
 * 0, 5 and 50 ms after the 180 must withdraw it.
 * With an agent worker (raw UDP from here, since SIPp cannot branch on which of 487 and 200 comes
 * first): a CANCEL in the same tick as the INVITE, before the number lookup returns; and CANCELs
 * sent the moment the 180 arrives, racing the agent's claim of the job.
 */
describe('SIPp: CANCEL while ringing, no agent worker running (uac-cancel.xml)', function () {
  this.timeout(90_000);
  let bridge: RunningBridge;

  before(async () => {
    bridge = await startBridge({ services: ['media', 'signaling'] });
  });
  after(async () => {
    await bridge?.stop();
  });

  for (const delayMs of [0, 5, 50]) {
    it(`a CANCEL ${delayMs} ms after the 180 gets 200, the INVITE 487, and the waiting job is withdrawn`, async () => {
      const run = await runSipp({
        scenario: 'uac-cancel.xml',
        target: `127.0.0.1:${bridge.sipPort}`,
        service: '+15550199',
        pauseMs: delayMs,
        timeoutMs: 15_000,
      });
      expect(run.code, describeRun(run)).to.equal(0);
      const finals = run.messages.filter((m) => m.direction === 'received' && (statusOf(m) ?? 0) >= 200);
      expect(finals.map((m) => `${statusOf(m)} ${cseqMethod(m)}`)).to.deep.equal(['200 CANCEL', '487 INVITE']);

      const record = await endedRecord(bridge, run.sipCallIds[0]!);
      expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-cancel', sipStatus: 487 });
      expect(record.answeredAtMs).to.equal(undefined);
      expect(record.localRtp, 'a media port had been allocated').to.not.equal(undefined);
      await assertBridgeIdle(bridge);
      expect(await unfinishedJobs(bridge)).to.deep.equal({ wait: 0, active: 0, paused: 0, delayed: 0, prioritized: 0 });
    });
  }
});

describe('SIPp: CANCEL during admission, with an agent worker (raw UDP)', function () {
  this.timeout(90_000);
  let bridge: RunningBridge;

  before(async () => {
    bridge = await startBridge();
  });
  after(async () => {
    await bridge?.stop();
  });

  it('a CANCEL sent together with the INVITE gets 200, the INVITE 487, and the call ends caller-cancel', async () => {
    const call = await rawCall(bridge.sipPort, '+15550199', 'with-invite');
    expect(call.finals, call.trace).to.deep.equal(['200 CANCEL', '487 INVITE']);
    const record = await endedRecord(bridge, call.sipCallId);
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-cancel', sipStatus: 487 });
    await assertBridgeIdle(bridge);
  });

  it('CANCELs racing the agent claiming the job end every call and leave no job active (20 calls)', async () => {
    const calls = [];
    for (let i = 0; i < 20; i++) calls.push(await rawCall(bridge.sipPort, '+15550199', 'on-180'));
    // Whichever won, the caller got a final answer and ended its side (ACK to 487, or ACK + BYE).
    for (const call of calls)
      expect(call.finals, call.trace).to.satisfy((f: string[]) => f.includes('487 INVITE') || f.includes('200 BYE'));
    const records = callRecords(bridge);
    const ids: string[] = [];
    for (const call of calls) ids.push((await endedRecord(bridge, call.sipCallId)).callId);
    let active: string[] = [];
    await waitFor('no call job active', 5000, async () => {
      active = await bridge.redis.lrange(`${bridge.prefix}:bull:calls:active`, 0, -1);
      return active.length === 0;
    }).catch(() => undefined);
    const stuck = await Promise.all(
      active.map(async (id) => `${id} (${(await records.get(id))?.verdict?.reason ?? '?'})`),
    );
    expect(stuck, `jobs still active 5 s after their calls ended; calls: ${ids.join(', ')}`).to.deep.equal([]);
    await assertBridgeIdle(bridge);
  });
});

/**
 * One call from a plain UDP socket: INVITE, then CANCEL either in the same tick (`with-invite`) or
 * the moment a 180 arrives (`on-180`). ACKs a 487 on the INVITE's branch (RFC 3261 §17.1.1.3); if
 * the 200 won instead, ACKs it and hangs up with BYE. Resolves once the call is over for the caller.
 */
async function rawCall(
  sipPort: number,
  number: string,
  cancel: 'with-invite' | 'on-180',
): Promise<{ finals: string[]; sipCallId: string; trace: string }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const id = randomBytes(6).toString('hex');
  const sipCallId = `raw-${id}@127.0.0.1`;
  const ruri = `sip:${number}@127.0.0.1:${sipPort}`;
  const headers = (to: string, branch: string): string[] => [
    `Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=${branch}`,
    `From: <sip:raw@127.0.0.1:${port}>;tag=${id}`,
    to,
    `Call-ID: ${sipCallId}`,
    'Max-Forwards: 70',
  ];
  const inviteBranch = `z9hG4bK-${id}`;
  const firstTo = `To: <${ruri}>`;
  const sdp = [
    'v=0',
    'o=raw 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 9 RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');
  const received: string[] = [];
  const finals: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const cancelDeadline = schedule(5000, () =>
        reject(new Error(`call not over within 5 s; got:\n${received.join('\n---\n')}`)),
      );
      socket.on('message', (data) => {
        const text = data.toString('latin1');
        received.push(text);
        const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1] ?? 0);
        const method = /^CSeq:\s*\d+\s+(\S+)/im.exec(text)?.[1] ?? '';
        const to = /^To:[^\r\n]*/im.exec(text)?.[0] ?? firstTo;
        if (status >= 200) finals.push(`${status} ${method}`);
        const done = (): void => {
          cancelDeadline();
          resolve();
        };
        if (status === 180 && method === 'INVITE' && cancel === 'on-180' && !finals.length) {
          void send(socket, sipPort, [`CANCEL ${ruri} SIP/2.0`, ...headers(firstTo, inviteBranch), 'CSeq: 1 CANCEL']);
        } else if (status === 487 && method === 'INVITE') {
          void send(socket, sipPort, [`ACK ${ruri} SIP/2.0`, ...headers(to, inviteBranch), 'CSeq: 1 ACK']).then(done);
        } else if (status === 200 && method === 'INVITE' && finals.filter((f) => f === '200 INVITE').length === 1) {
          const contact = /^Contact:\s*<([^>]+)>/im.exec(text)?.[1] ?? ruri;
          void send(socket, sipPort, [
            `ACK ${contact} SIP/2.0`,
            ...headers(to, `${inviteBranch}-ack`),
            'CSeq: 1 ACK',
          ]).then(() =>
            send(socket, sipPort, [`BYE ${contact} SIP/2.0`, ...headers(to, `${inviteBranch}-bye`), 'CSeq: 2 BYE']),
          );
        } else if (status === 200 && method === 'BYE') {
          done();
        }
      });
      void send(
        socket,
        sipPort,
        [
          `INVITE ${ruri} SIP/2.0`,
          ...headers(firstTo, inviteBranch),
          'CSeq: 1 INVITE',
          `Contact: <sip:raw@127.0.0.1:${port}>`,
          'Content-Type: application/sdp',
        ],
        sdp,
      );
      if (cancel === 'with-invite')
        void send(socket, sipPort, [`CANCEL ${ruri} SIP/2.0`, ...headers(firstTo, inviteBranch), 'CSeq: 1 CANCEL']);
    });
    return { finals, sipCallId, trace: received.join('\n---\n') };
  } finally {
    socket.close();
  }
}

function send(socket: Socket, sipPort: number, lines: string[], body = ''): Promise<void> {
  const text = `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return new Promise((resolve) => socket.send(text, sipPort, '127.0.0.1', () => resolve()));
}
