import { expect } from 'chai';
import type { CallRecord } from '@voicebridge/protocol';
import { orphanBye } from '../../src/call/orphan-bye.ts';

const record: CallRecord = {
  version: 1,
  callId: 'c1',
  sipCallId: 'abc@198.51.100.7',
  from: 'sip:+15551230000@198.51.100.7',
  to: 'sip:+15550100@192.0.2.10',
  number: '+15550100',
  status: 'answered',
  invitedAtMs: 1,
  remoteSip: { address: '198.51.100.7', port: 5062 },
  dialog: {
    local: '<sip:+15550100@192.0.2.10>;tag=ours',
    remote: '"Alice" <sip:+15551230000@198.51.100.7>;tag=theirs',
    remoteTarget: 'sip:alice@198.51.100.7:5062',
    routeSet: ['<sip:proxy.example;lr>'],
    transport: 'udp',
  },
  transcript: [],
};

describe('orphanBye (RFC 3261 §12.2.1.1 from a record)', () => {
  it('builds an in-dialog BYE: Request-URI the remote target, our tag in From, theirs in To, the route set', () => {
    const bye = orphanBye(record, {
      via: 'SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bKorphan1',
      userAgent: 'vb-test',
    });
    expect(bye?.to).to.deep.equal({ address: '198.51.100.7', port: 5062, transport: 'udp' });
    const message = bye!.request;
    expect(message.method).to.equal('BYE');
    expect(message.uri).to.equal('sip:alice@198.51.100.7:5062');
    expect(message.headers.get('From')).to.equal('<sip:+15550100@192.0.2.10>;tag=ours');
    expect(message.headers.get('To')).to.equal('"Alice" <sip:+15551230000@198.51.100.7>;tag=theirs');
    expect(message.headers.get('Call-ID')).to.equal('abc@198.51.100.7');
    expect(message.headers.get('Route')).to.equal('<sip:proxy.example;lr>');
    expect(message.headers.get('CSeq')).to.match(/^\d{7} BYE$/);
    expect(message.headers.get('Via')).to.equal('SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bKorphan1');
  });

  it('gives none without a dialog snapshot or for a call that came over TCP', () => {
    expect(
      orphanBye(
        { ...record, dialog: undefined },
        { via: 'SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bKorphan2', userAgent: 'x' },
      ),
    ).to.equal(undefined);
    expect(
      orphanBye(
        { ...record, dialog: { ...record.dialog!, transport: 'tcp' } },
        { via: 'SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bKorphan2', userAgent: 'x' },
      ),
    ).to.equal(undefined);
  });
});
