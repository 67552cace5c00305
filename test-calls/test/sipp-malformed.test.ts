import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { expect } from 'chai';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { assertBridgeIdle, describeRun, runSipp } from '../src/sipp.ts';
import { schedule } from '../../test/support/wait-for.ts';

/**
 * Malformed requests, sent as raw datagrams (SIPp only sends what parses), then an OPTIONS from
 * SIPp to show the signaling process is still up and was never restarted.
 */
describe('SIPp: malformed requests, then OPTIONS (uac-options.xml)', function () {
  this.timeout(60_000);
  let bridge: RunningBridge;
  let socket: Socket;
  let port: number;

  before(async () => {
    bridge = await startBridge();
    socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    port = socket.address().port;
  });
  after(async () => {
    socket?.close();
    await bridge?.stop();
  });

  const request = (headers: string[], body = ''): string => {
    const id = randomBytes(4).toString('hex');
    const lines = [
      'INVITE sip:+15550199@127.0.0.1 SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${id}`,
      `From: <sip:bad@127.0.0.1>;tag=${id}`,
      'To: <sip:+15550199@127.0.0.1>',
      `Call-ID: bad-${id}@127.0.0.1`,
      'CSeq: 1 INVITE',
      'Max-Forwards: 70',
      ...headers,
    ];
    return `${lines.join('\r\n')}\r\n\r\n${body}`;
  };

  it('answers 400 to an INVITE with Content-Length: abc, echoing its Call-ID and CSeq', async () => {
    const sent = request(['Content-Type: application/sdp', 'Content-Length: abc'], 'v=0\r\n');
    const reply = await exchange(socket, bridge.sipPort, sent);
    expect(reply?.split('\r\n')[0]).to.match(/^SIP\/2\.0 400 /);
    expect(reply).to.include(/^Call-ID: .*$/m.exec(sent)?.[0]);
    expect(reply).to.match(/^CSeq: 1 INVITE\r?$/m);
  });

  it('answers 400 to an INVITE whose Content-Length is larger than its body', async () => {
    const reply = await exchange(
      socket,
      bridge.sipPort,
      request(['Content-Type: application/sdp', 'Content-Length: 500'], 'v=0\r\n'),
    );
    expect(reply?.split('\r\n')[0]).to.match(/^SIP\/2\.0 400 /);
  });

  it('answers 505 to a request of another SIP version', async () => {
    const reply = await exchange(
      socket,
      bridge.sipPort,
      request(['Content-Length: 0']).replace(' SIP/2.0\r\n', ' SIP/3.0\r\n'),
    );
    expect(reply?.split('\r\n')[0]).to.match(/^SIP\/2\.0 505 /);
  });

  it('answers an INVITE without Call-ID with 400 (RFC 4475 §3.1.4.1: Via and CSeq suffice to match it), and creates no call for it', async () => {
    const reply = await exchange(
      socket,
      bridge.sipPort,
      request(['Content-Length: 0']).replace(/^Call-ID: .*\r\n/m, ''),
      2000,
    );
    expect(reply?.split('\r\n')[0]).to.match(/^SIP\/2\.0 400 /);
    expect(reply).to.match(/^CSeq: 1 INVITE\r?$/m);
    expect(reply).to.not.match(/^Call-ID:/m);
    expect(await bridge.redis.zcard(`${bridge.prefix}:calls:recent`)).to.equal(0);
  });

  it('inspects the method first (RFC 3261 §8.2.1): 405 with Allow to a REGISTER that also has an unknown Require and scheme, 501 to an unknown method', async () => {
    const register = request(['Require: nothingSupportsThis', 'Content-Length: 0'])
      .replace('INVITE sip:+15550199@127.0.0.1 SIP/2.0', 'REGISTER nobody:x SIP/2.0')
      .replace('CSeq: 1 INVITE', 'CSeq: 1 REGISTER');
    const reply = await exchange(socket, bridge.sipPort, register);
    expect(reply?.split('\r\n')[0]).to.match(/^SIP\/2\.0 405 /);
    expect(reply).to.match(/^Allow: .*INVITE/m);
    const unknown = request(['Content-Length: 0'])
      .replace('INVITE sip:', 'FROBNICATE sip:')
      .replace('CSeq: 1 INVITE', 'CSeq: 1 FROBNICATE');
    expect((await exchange(socket, bridge.sipPort, unknown))?.split('\r\n')[0]).to.match(/^SIP\/2\.0 501 /);
  });

  it('ignores binary garbage and an empty datagram', async () => {
    expect(await exchange(socket, bridge.sipPort, randomBytes(700).toString('latin1'), 500)).to.equal(undefined);
    expect(await exchange(socket, bridge.sipPort, '', 500)).to.equal(undefined);
  });

  it('still answers OPTIONS with 200 afterwards, from a signaling process that never restarted', async () => {
    const run = await runSipp({
      scenario: 'uac-options.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      timeoutMs: 10_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const restarts = bridge.logs.filter((line) => /exited \(code|uncaught exception|unhandled rejection/.test(line));
    expect(restarts).to.deep.equal([]);
    await assertBridgeIdle(bridge);
  });
});

/** Sends one datagram and resolves with the first reply, or undefined after `waitMs`. */
function exchange(socket: Socket, sipPort: number, data: string, waitMs = 3000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const onMessage = (reply: Buffer): void => {
      cancel();
      resolve(reply.toString('latin1'));
    };
    const cancel = schedule(waitMs, () => {
      socket.off('message', onMessage);
      resolve(undefined);
    });
    socket.once('message', onMessage);
    socket.send(Buffer.from(data, 'latin1'), sipPort, '127.0.0.1');
  });
}
