import { expect } from 'chai';
import type { Endpoint } from '@voicebridge/sip';
import { AbuseGuard } from '../../src/admission/abuse-guard.ts';
import { captureLog } from '../log-capture.ts';

const TRUNK_IP = '198.51.100.7';
const STRANGER = '203.0.113.66';

function request(userAgent = 'carrier-sbc/1.0', method = 'INVITE'): Buffer {
  return Buffer.from(
    `${method} sip:+15551230001@192.0.2.10 SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\nUser-Agent: ${userAgent}\r\nContent-Length: 0\r\n\r\n`,
  );
}

function from(address: string): Endpoint {
  return { address, port: 5060, transport: 'udp' };
}

describe('AbuseGuard', () => {
  let nowMs: number;
  let sourceless: boolean;
  const directory = {
    isTrusted: (address: string) => address === TRUNK_IP,
    get hasSourcelessTrunk() {
      return sourceless;
    },
  };

  beforeEach(() => {
    nowMs = 1_000_000;
    sourceless = false;
  });

  function guard(mode: 'drop' | '403' = 'drop', banMs = 60_000) {
    const { log, messages } = captureLog();
    const g = new AbuseGuard({
      directory,
      untrustedResponse: mode,
      ratePerSecond: 2,
      burst: 5,
      banMs,
      log,
      nowMs: () => nowMs,
    });
    return { g, messages };
  }

  it('admits trunk sources and drops unknown sources silently in drop mode, one log line each ending "from <IP>"', () => {
    const { g, messages } = guard();
    expect(g.admit(request(), from(TRUNK_IP))).to.equal(true);
    expect(g.admit(request(), from(STRANGER))).to.equal(false);
    expect(messages).to.deep.equal([`SIP request dropped: source matches no trunk from ${STRANGER}`]);
  });

  it('lets unknown sources through to be answered 403 in 403 mode, or when a trunk has no sources', () => {
    expect(guard('403').g.admit(request(), from(STRANGER))).to.equal(true);
    sourceless = true;
    expect(guard('drop').g.admit(request(), from(STRANGER))).to.equal(true);
  });

  it('drops scanner user agents from any source', () => {
    const { g, messages } = guard('403');
    for (const ua of ['friendly-scanner', 'sipvicious 0.3', 'sipcli/v1.8', 'SIPVicious']) {
      expect(g.admit(request(ua), from(STRANGER)), ua).to.equal(false);
    }
    expect(g.admit(request('friendly-scanner'), from(TRUNK_IP))).to.equal(false);
    expect(messages[0]).to.equal(`SIP scanner dropped (User-Agent "friendly-scanner") from ${STRANGER}`);
    expect(messages.at(-1)).to.equal(`SIP scanner dropped (User-Agent "friendly-scanner") from ${TRUNK_IP}`);
  });

  it('bans an unknown source over its rate for the ban time, then forgets it', () => {
    const { g, messages } = guard('403');
    for (let i = 0; i < 5; i++) expect(g.admit(request(), from(STRANGER))).to.equal(true);
    expect(g.admit(request(), from(STRANGER))).to.equal(false);
    expect(messages).to.deep.equal([`SIP source banned for 60 s: over 2 requests/s from ${STRANGER}`]);
    nowMs += 30_000; // the rate alone would allow it again; the ban does not
    expect(g.admit(request(), from(STRANGER))).to.equal(false);
    expect(g.isBanned(STRANGER)).to.equal(true);
    nowMs += 30_001;
    expect(g.isBanned(STRANGER)).to.equal(false);
    expect(g.admit(request(), from(STRANGER))).to.equal(true);
    expect(messages).to.have.length(1); // nothing is logged for a banned source's packets
  });

  it('never bans or rate-limits a trunk source', () => {
    const { g } = guard();
    for (let i = 0; i < 1000; i++) expect(g.admit(request(), from(TRUNK_IP))).to.equal(true);
    expect(g.isBanned(TRUNK_IP)).to.equal(false);
  });

  it('with SIP_BAN_TIME_S=0 refuses the excess without banning', () => {
    const { g, messages } = guard('403', 0);
    for (let i = 0; i < 5; i++) g.admit(request(), from(STRANGER));
    expect(g.admit(request(), from(STRANGER))).to.equal(false);
    expect(g.isBanned(STRANGER)).to.equal(false);
    nowMs += 500;
    expect(g.admit(request(), from(STRANGER))).to.equal(true);
    expect(messages).to.deep.equal([]);
  });

  it('keeps its per-source tables bounded under a spoofed-source flood', () => {
    const { log } = captureLog();
    const g = new AbuseGuard({
      directory,
      untrustedResponse: '403',
      ratePerSecond: 1,
      burst: 1,
      banMs: 60_000,
      log,
      nowMs: () => nowMs,
      maxTrackedSources: 100,
    });
    for (let i = 0; i < 2000; i++) {
      const ip = `10.${(i >> 8) & 255}.${i & 255}.1`;
      g.admit(request(), from(ip));
      g.admit(request(), from(ip));
    }
    // The newest bans are kept; the oldest went to make room.
    expect(g.isBanned('10.7.207.1')).to.equal(true);
    expect(g.isBanned('10.0.0.1')).to.equal(false);
  });

  it('refuses TCP/TLS connections from banned sources, and from unknown sources in drop mode, counting them', () => {
    const { g, messages } = guard('drop');
    expect(g.acceptsConnection(TRUNK_IP)).to.equal(true);
    for (let i = 0; i < 5; i++) expect(g.acceptsConnection(STRANGER)).to.equal(false);
    expect(
      messages.filter((m) => m === `SIP connection dropped: source matches no trunk from ${STRANGER}`),
    ).to.have.length(5);
    expect(g.acceptsConnection(STRANGER)).to.equal(false);
    expect(g.isBanned(STRANGER)).to.equal(true);
    const open403 = guard('403').g;
    expect(open403.acceptsConnection(STRANGER)).to.equal(true);
  });

  it('passes responses from unknown sources on (a registrar answering our REGISTER), still counting them', () => {
    const { g, messages } = guard('drop');
    const response = Buffer.from(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKreg\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n',
    );
    for (let i = 0; i < 5; i++) expect(g.admit(response, from(STRANGER))).to.equal(true);
    expect(g.admit(response, from(STRANGER))).to.equal(false);
    expect(messages).to.deep.equal([`SIP source banned for 60 s: over 2 requests/s from ${STRANGER}`]);
  });
});
