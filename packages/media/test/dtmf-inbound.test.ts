import { expect } from 'chai';
import { writeTelephoneEvent } from '@voicebridge/rtp';
import { DtmfInbound } from '../src/dtmf-inbound.ts';

const SSRC = 0x1234;

function event(code: number, end: boolean, durationSamples: number): Uint8Array {
  const payload = new Uint8Array(4);
  writeTelephoneEvent(payload, 0, code, end, 10, durationSamples);
  return payload;
}

function inbound(): { dtmf: DtmfInbound; reports: [string, number][] } {
  const reports: [string, number][] = [];
  return { dtmf: new DtmfInbound(8000, (digit, durationMs) => reports.push([digit, durationMs])), reports };
}

describe('DtmfInbound (caller key presses to the agent)', () => {
  it('reports an RTP press once on its first end packet, with its duration in milliseconds', () => {
    const { dtmf, reports } = inbound();
    dtmf.rtp(SSRC, 1000, event(5, false, 400), 0);
    expect(reports).to.deep.equal([]);
    for (let i = 0; i < 3; i++) dtmf.rtp(SSRC, 1000, event(5, true, 800), 20 + i);
    expect(reports).to.deep.equal([['5', 100]]);
  });

  it('counts the same key as RFC 4733 and as SIP INFO within 200 ms once, and a later INFO again', () => {
    const { dtmf, reports } = inbound();
    dtmf.rtp(SSRC, 1000, event(9, true, 800), 0);
    dtmf.info('9', 100, 150);
    dtmf.info('9', 100, 1000);
    expect(reports).to.deep.equal([
      ['9', 100],
      ['9', 100],
    ]);
  });

  it('reports a press whose end packets were all lost from poll after the timeout, not before', () => {
    const { dtmf, reports } = inbound();
    dtmf.rtp(SSRC, 1000, event(11, false, 320), 0);
    dtmf.poll(400);
    expect(reports).to.deep.equal([]);
    dtmf.poll(600);
    expect(reports).to.deep.equal([['#', 40]]);
  });

  it('does not report events that are not DTMF keys', () => {
    const { dtmf, reports } = inbound();
    dtmf.rtp(SSRC, 1000, event(16, true, 800), 0);
    expect(reports).to.deep.equal([]);
  });
});
