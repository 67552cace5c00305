import { expect } from 'chai';
import { type SipRequest } from '@voicebridge/sip';
import { ANONYMOUS_CALLER, readInboundCall } from '../../src/admission/inbound-call.ts';
import { bodilessRequest, trunkConfig } from '../fixtures.ts';

const trunk = trunkConfig;

function invite(uri: string, headers: string[] = [], to = '<sip:ignored@192.0.2.10>'): SipRequest {
  return bodilessRequest([
    `INVITE ${uri} SIP/2.0`,
    'Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKabc',
    'Max-Forwards: 70',
    'From: "Caller" <sip:+15557654321@198.51.100.7>;tag=f1',
    `To: ${to}`,
    'Call-ID: in1@198.51.100.7',
    'CSeq: 1 INVITE',
    ...headers,
  ]);
}

describe('readInboundCall', () => {
  it('reads the number from the Request-URI, stripping parameters and separators', () => {
    const inbound = readInboundCall(invite('sip:+1-555-123-0001;npdi@192.0.2.10;user=phone'), trunk());
    expect(inbound).to.include({
      dialled: '+1-555-123-0001;npdi',
      number: '+15551230001',
      from: 'sip:+15557654321@198.51.100.7',
    });
    expect(inbound.trunk?.name).to.equal('carrier');
  });

  it("keeps From's display name as sent, markup and all, and none for an anonymous caller", () => {
    expect(readInboundCall(invite('sip:+15551230001@x'), trunk()).fromName).to.equal('Caller');
    const hostile = readInboundCall(
      bodilessRequest([
        'INVITE sip:+15551230001@x SIP/2.0',
        'Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKabd',
        'From: "<img src=x onerror=alert(1)>" <sip:+15557654321@198.51.100.7>;tag=f2',
        'To: <sip:+15551230001@x>',
        'Call-ID: in2@198.51.100.7',
        'CSeq: 1 INVITE',
      ]),
      trunk(),
    );
    expect(hostile.fromName).to.equal('<img src=x onerror=alert(1)>');
    const pai = ['P-Asserted-Identity: <sip:+15550000001@carrier.example>', 'Privacy: id'];
    expect(readInboundCall(invite('sip:+15551230001@x', pai), trunk({ trusted: true })).fromName).to.equal(undefined);
  });

  it('accepts a tel: Request-URI', () => {
    expect(readInboundCall(invite('tel:+15551230001;phone-context=+1'), trunk()).number).to.equal('+15551230001');
  });

  it('reads the number from To when the trunk says so, in national format', () => {
    const inbound = readInboundCall(
      invite('sip:gw@192.0.2.10', [], '<sip:02079460000@192.0.2.10>'),
      trunk({ numberFrom: 'to', numberFormat: 'national', countryCode: '44' }),
    );
    expect(inbound.number).to.equal('+442079460000');
  });

  it('an untrusted trunk ignores P-Asserted-Identity', () => {
    const inbound = readInboundCall(
      invite('sip:+15551230001@x', ['P-Asserted-Identity: <sip:+15550000001@carrier.example>']),
      trunk(),
    );
    expect(inbound.from).to.equal('sip:+15557654321@198.51.100.7');
  });

  it('a trusted trunk takes the caller from P-Asserted-Identity, and Privacy: id makes it anonymous', () => {
    const pai = 'P-Asserted-Identity: "Real" <sip:+15550000001@carrier.example>, <tel:+15550000001>';
    expect(readInboundCall(invite('sip:+15551230001@x', [pai]), trunk({ trusted: true })).from).to.equal(
      'sip:+15550000001@carrier.example',
    );
    expect(
      readInboundCall(invite('sip:+15551230001@x', [pai, 'Privacy: header;id']), trunk({ trusted: true })).from,
    ).to.equal(ANONYMOUS_CALLER);
    expect(readInboundCall(invite('sip:+15551230001@x', []), trunk({ trusted: true })).from).to.equal(
      'sip:+15557654321@198.51.100.7',
    );
  });

  it('keeps Diversion and History-Info in order, bounded', () => {
    const inbound = readInboundCall(
      invite('sip:+15551230001@x', [
        'Diversion: <sip:+15559990001@carrier.example>;reason=unconditional',
        'Diversion: <sip:+15559990002@carrier.example>;reason=no-answer',
        'History-Info: <sip:+15559990001@carrier.example>;index=1, <sip:+15551230001@x>;index=1.1',
      ]),
      trunk(),
    );
    expect(inbound.diversion).to.deep.equal([
      '<sip:+15559990001@carrier.example>;reason=unconditional',
      '<sip:+15559990002@carrier.example>;reason=no-answer',
    ]);
    expect(inbound.historyInfo).to.have.length(2);
    const many = Array.from({ length: 20 }, (_, i) => `Diversion: <sip:+1555999${String(i).padStart(4, '0')}@c>`);
    expect(readInboundCall(invite('sip:+15551230001@x', many), trunk()).diversion).to.have.length(10);
  });

  it('without a trunk (SIP_ALLOWED_CIDRS) reads the Request-URI as E.164', () => {
    const inbound = readInboundCall(invite('sip:15551230001@x'), undefined);
    expect(inbound).to.include({ number: '+15551230001' });
    expect(inbound).to.not.have.property('trunk');
  });
});
