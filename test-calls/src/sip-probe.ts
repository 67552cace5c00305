import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { schedule } from '../../test/support/wait-for.ts';

/**
 * Sends one OPTIONS over UDP from `localAddress` (any 127.x address: the whole /8 is loopback) and
 * resolves with the response's status, or undefined when nothing came back within `waitMs`.
 */
export async function optionsStatus(
  sipPort: number,
  localAddress = '127.0.0.1',
  waitMs = 500,
): Promise<number | undefined> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, localAddress, resolve));
  try {
    const { port } = socket.address();
    const callId = `${randomBytes(6).toString('hex')}@${localAddress}`;
    const text = [
      `OPTIONS sip:${'127.0.0.1'}:${sipPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${localAddress}:${port};branch=z9hG4bK${randomBytes(5).toString('hex')};rport`,
      'Max-Forwards: 70',
      `From: <sip:probe@${localAddress}>;tag=${randomBytes(4).toString('hex')}`,
      `To: <sip:127.0.0.1:${sipPort}>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 OPTIONS',
      'User-Agent: voicebridge-tests probe',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const reply = new Promise<number | undefined>((resolve) => {
      const cancel = schedule(waitMs, () => resolve(undefined));
      socket.on('message', (data) => {
        const match = /^SIP\/2\.0 (\d{3})/.exec(data.toString('latin1'));
        if (match && data.toString('latin1').includes(callId)) {
          cancel();
          resolve(Number(match[1]));
        }
      });
    });
    socket.send(text, sipPort, '127.0.0.1');
    return await reply;
  } finally {
    socket.close();
  }
}

/** Polls OPTIONS from `localAddress` until it gets `status` (e.g. once a new trunk is picked up). */
export async function waitForOptionsStatus(
  sipPort: number,
  status: number,
  localAddress = '127.0.0.1',
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: number | undefined;
  while (Date.now() < deadline) {
    last = await optionsStatus(sipPort, localAddress, 300);
    if (last === status) return;
  }
  throw new Error(`OPTIONS from ${localAddress} never got ${status} (last: ${last ?? 'no answer'})`);
}
