import { expect } from 'chai';
import { frameStreamMessage, parseMessage } from '../../src/messages/index.ts';
import { inviteWith, typicalInvite } from './sip-builders.ts';

describe('frameStreamMessage (RFC 3261 §18.3 stream framing)', () => {
  it('waits for the whole header block and body, then reports the message length', () => {
    const message = typicalInvite();
    for (const cut of [0, 10, message.indexOf('\r\n\r\n') + 2, message.length - 1]) {
      expect(frameStreamMessage(message.subarray(0, cut)), `cut ${cut}`).to.deep.equal({ state: 'incomplete' });
    }
    expect(frameStreamMessage(message)).to.deep.equal({ state: 'complete', bytes: message.length });
  });

  it('splits two pipelined messages', () => {
    const one = typicalInvite();
    const stream = Buffer.concat([one, one]);
    const first = frameStreamMessage(stream);
    if (first.state !== 'complete') return expect.fail(first.state);
    expect(parseMessage(stream.subarray(0, first.bytes)).ok).to.equal(true);
    expect(frameStreamMessage(stream.subarray(first.bytes))).to.deep.equal({ state: 'complete', bytes: one.length });
  });

  it('reports a CRLFCRLF keep-alive ping (RFC 5626 §3.5.1)', () => {
    expect(frameStreamMessage(Buffer.from('\r\n\r\nINVITE'))).to.deep.equal({ state: 'keepalive', bytes: 4 });
  });

  it('refuses a missing, malformed or conflicting Content-Length: the connection must close', () => {
    expect(frameStreamMessage(inviteWith({}))).to.include({ state: 'invalid', status: 400 });
    expect(frameStreamMessage(inviteWith({ 'Content-Length': 'abc' }))).to.include({ state: 'invalid', status: 400 });
    expect(frameStreamMessage(inviteWith({ 'Content-Length': '-999' }))).to.include({ state: 'invalid', status: 400 });
    const twice = Buffer.from(inviteWith({ 'Content-Length': '5' }).toString().replace('\r\n\r\n', '\r\nl: 6\r\n\r\n'));
    expect(frameStreamMessage(twice)).to.include({ state: 'invalid', status: 400 });
  });

  it('never waits for more than the limits allow', () => {
    expect(frameStreamMessage(inviteWith({ 'Content-Length': '99999999' }))).to.include({
      state: 'invalid',
      status: 413,
    });
    const endless = Buffer.from(`INVITE sip:a@b SIP/2.0\r\nX: ${'a'.repeat(70000)}`);
    expect(frameStreamMessage(endless)).to.include({ state: 'invalid', status: 513 });
  });
});
