import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { expect } from 'chai';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { describeWithTorture, readTorture } from '../../packages/sip/test/messages/torture-fixtures.ts';
import { RFC4475_LIVE, transactionRounds, type LiveExpectation } from '../src/rfc4475-live-table.ts';
import { describeRun, runSipp } from '../src/sipp.ts';

/** A small T1 so the rounds (see transactionRounds) only wait 64·T1 = 6.4 s for transactions to end. */
const T1_MS = 100;
const ROUND_GAP_MS = 64 * T1_MS + 1000;
/** How long each message's answers are collected: long enough for a 404 after a Redis lookup on a loaded box. */
const WINDOW_MS = 3000;

interface Received {
  startLines: string[];
  messages: string[];
  closed: boolean;
}

/**
 * Every RFC 4475 message, byte-exact, to the running bridge (`voicebridge start`: the real signaling
 * process with its media and agent processes and Redis), over UDP and then TCP, checked against the
 * outcome table in test-calls/src/rfc4475-live-table.ts.
 */
describeWithTorture('RFC 4475 torture messages against the live bridge (UDP and TCP)', function (dir) {
  this.timeout(180_000);
  let bridge: RunningBridge;
  const results = { udp: new Map<string, Received>(), tcp: new Map<string, Received>() };

  before(async () => {
    bridge = await startBridge({ env: { SIP_T1_MS: String(T1_MS), LOG_LEVEL: 'info' } });
    const rounds = transactionRounds(
      dir,
      RFC4475_LIVE.map((e) => e.file),
    );
    for (const transport of ['udp', 'tcp'] as const) {
      for (const round of rounds) {
        const got = await Promise.all(
          round.map((file) => (transport === 'udp' ? viaUdp : viaTcp)(bridge.sipPort, readTorture(dir, file))),
        );
        round.forEach((file, i) => results[transport].set(file, got[i] as Received));
        // The bridge's transactions of this round must expire (64·T1) before the next reuses their keys.
        // eslint-disable-next-line no-restricted-globals -- the bridge is a separate process: nothing to await
        await new Promise((resolve) => setTimeout(resolve, ROUND_GAP_MS));
      }
    }
  });
  after(async () => {
    await bridge?.stop();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    describe(transport.toUpperCase(), () => {
      for (const entry of RFC4475_LIVE) {
        const expected = expectedFor(entry, transport);
        const shown = expected.final.length === 0 ? 'no answer' : expected.final.join(' + ');
        it(`${entry.file}: ${shown}${expected.closes ? ', then close' : ''} (${entry.why})`, () => {
          const got = results[transport].get(entry.file);
          if (!got) return expect.fail('not sent');
          const finals = [...new Set(got.startLines.map(statusOf).filter((s) => s >= 200))].sort();
          expect(finals, got.startLines.join(' | ')).to.deep.equal([...expected.final].sort());
          expect(
            got.startLines.every((line) => line.startsWith('SIP/2.0 ')),
            'only responses come back',
          ).to.equal(true);
          checkHeaders(entry.file, got.messages);
          if (expected.closes) expect(got.closed, 'connection closed').to.equal(true);
        });
      }
    });
  }

  it('never answers an INVITE with a 2xx', () => {
    for (const transport of ['udp', 'tcp'] as const) {
      for (const [file, got] of results[transport]) {
        for (const message of got.messages) {
          if (/^CSeq:\s*\d+\s+INVITE\s*$/im.test(message))
            expect(statusOf(message), `${transport} ${file}`).to.not.be.within(200, 299);
        }
      }
    }
  });

  it('still answers OPTIONS afterwards, from a signaling process that never restarted', async () => {
    const run = await runSipp({
      scenario: 'uac-options.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      timeoutMs: 10_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const restarts = bridge.logs.filter((line) =>
      /exited \(code|uncaught exception|unhandled rejection|"level":(50|60)/.test(line),
    );
    expect(restarts).to.deep.equal([]);
  });
});

function expectedFor(entry: LiveExpectation, transport: 'udp' | 'tcp'): { final: number[]; closes?: boolean } {
  return transport === 'tcp' && entry.tcp ? entry.tcp : { final: entry.final };
}

function statusOf(message: string): number {
  return Number(/^SIP\/2\.0 (\d{3}) /.exec(message)?.[1] ?? 0);
}

/** RFC 3261: 405 carries Allow (§21.4.6), 420 Unsupported (§21.4.15), 415 Accept (§21.4.13). */
function checkHeaders(file: string, messages: string[]): void {
  for (const message of messages) {
    const status = statusOf(message);
    if (status === 405) expect(message, `${file}: 405 without Allow`).to.match(/^Allow:\s*\S/im);
    if (status === 420) expect(message, `${file}: 420 without Unsupported`).to.match(/^Unsupported:\s*\S/im);
    if (status === 415) expect(message, `${file}: 415 without Accept`).to.match(/^Accept:\s*application\/sdp/im);
  }
}

async function viaUdp(port: number, data: Buffer): Promise<Received> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: Received = { startLines: [], messages: [], closed: false };
  socket.on('message', (d: Buffer) => {
    const text = d.toString('latin1');
    received.messages.push(text);
    received.startLines.push(text.split('\r\n')[0] ?? '');
  });
  socket.send(data, port, '127.0.0.1');
  // A listening window: every answer, retransmissions included, and the absence of a 2xx are the result.
  // eslint-disable-next-line no-restricted-globals -- see above
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  socket.close();
  return received;
}

async function viaTcp(port: number, data: Buffer): Promise<Received> {
  const socket = connect({ host: '127.0.0.1', port });
  const received: Received = { startLines: [], messages: [], closed: false };
  let stream = Buffer.alloc(0);
  socket.on('error', () => undefined);
  socket.on('close', () => (received.closed = true));
  socket.on('data', (chunk: Buffer) => {
    stream = Buffer.concat([stream, chunk]);
    for (let i = 0; i < 100; i++) {
      const headEnd = stream.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const head = stream.toString('latin1', 0, headEnd);
      const length = Number(/^(?:Content-Length|l)\s*:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      if (stream.length < headEnd + 4 + length) return;
      const text = stream.toString('latin1', 0, headEnd + 4 + length);
      stream = stream.subarray(headEnd + 4 + length);
      received.messages.push(text);
      received.startLines.push(text.split('\r\n')[0] ?? '');
    }
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(data);
  // A listening window, as over UDP.
  // eslint-disable-next-line no-restricted-globals -- see above
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  socket.destroy();
  return received;
}
