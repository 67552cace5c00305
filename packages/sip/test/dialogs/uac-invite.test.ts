import { expect } from 'chai';
import {
  createResponse,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseVia,
  serializeMessage,
  SipStack,
  type Endpoint,
  type SipMessage,
  type SipRequest,
  type UacInvite,
  type UacInviteOptions,
} from '../../src/index.ts';
import { holdsFor } from '../../../../test/support/wait-for.ts';

const CARRIER: Endpoint = { address: '198.51.100.7', port: 5060, transport: 'udp' };
const T1 = 10; // small timers keep the in-memory tests fast; the ratios are the RFC's
const OFFER = 'v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

class Carrier {
  readonly sent: SipMessage[] = [];
  readonly stack: SipStack;
  #waiters: { match: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];

  constructor() {
    this.stack = new SipStack({
      send: (data) => {
        const parsed = parseMessage(data);
        if (!parsed.ok) throw new Error(`stack sent an unparseable message: ${parsed.reason}`);
        this.sent.push(parsed.message);
        this.#waiters = this.#waiters.filter((w) =>
          w.match(parsed.message) ? (w.resolve(parsed.message), false) : true,
        );
      },
      handler: { onInvite: () => undefined, onRequest: (_r, tx) => this.stack.respond(tx, 200) },
      advertised: { host: '192.0.2.10', port: 5060 },
      timers: { T1, T2: 4 * T1, T4: 5 * T1 },
    });
  }

  dial(overrides: Partial<UacInviteOptions> = {}): UacInvite {
    return this.stack.dial({
      requestUri: 'sip:+15550777@198.51.100.7',
      from: '<sip:+15550100@192.0.2.10>;tag=ours-1',
      to: '<sip:+15550777@198.51.100.7>',
      callId: 'out-1@192.0.2.10',
      contact: 'sip:voicebridge@192.0.2.10:5060',
      destination: CARRIER,
      body: Buffer.from(OFFER),
      contentType: 'application/sdp',
      ...overrides,
    });
  }

  requests(method: string): SipRequest[] {
    return this.sent.filter((m): m is SipRequest => m.type === 'request' && m.method === method);
  }

  next(method: string, count = 1): Promise<SipRequest> {
    const match = (m: SipMessage): boolean => m.type === 'request' && m.method === method;
    if (this.requests(method).length >= count) return Promise.resolve(this.requests(method)[count - 1]!);
    return new Promise((resolve) =>
      this.#waiters.push({
        match: (m) => match(m) && this.requests(method).length >= count,
        resolve: (m) => resolve(m as SipRequest),
      }),
    );
  }

  /** The carrier answers `request` (a response built per RFC 3261 §8.2.6). */
  answer(request: SipRequest, status: number, opts: { toTag?: string; headers?: [string, string][] } = {}): void {
    const response = createResponse(request, status, undefined, {
      toTag: opts.toTag,
      headers: opts.headers,
      ...(status >= 180 && status < 300 && { body: Buffer.from(OFFER), contentType: 'application/sdp' }),
    });
    this.stack.receive(serializeMessage(response), CARRIER);
  }
}

const branchOf = (m: SipMessage): string | undefined => parseVia(m.headers.get('Via') ?? '')?.branch;
const seqOf = (m: SipMessage): number | undefined => parseCSeq(m.headers.get('CSeq') ?? '')?.seq;

describe('UacInvite (RFC 3261 §12.1.2, §13.2, §9.1)', () => {
  let carrier: Carrier;
  beforeEach(() => (carrier = new Carrier()));
  afterEach(() => carrier.stack.close());

  it('a 2xx makes a dialog with the reversed Record-Route, the Contact as target, and is ACKed on every retransmission', async () => {
    const uac = carrier.dial();
    const invite = await carrier.next('INVITE');
    expect(invite.headers.get('CSeq')).to.equal('1 INVITE');
    expect(invite.headers.get('Content-Type')).to.equal('application/sdp');
    carrier.answer(invite, 180, { toTag: 'callee-1' });
    const ok: [string, string][] = [
      ['Record-Route', '<sip:p1.example.net;lr>'],
      ['Record-Route', '<sip:p2.example.net;lr>'],
      ['Contact', '<sip:callee@203.0.113.5:5070>'],
    ];
    carrier.answer(invite, 200, { toTag: 'callee-1', headers: ok });
    const outcome = await uac.outcome;
    if (outcome.kind !== 'answered') throw new Error(`not answered: ${outcome.kind}`);
    const { dialog } = outcome;
    expect(dialog.routeSet).to.deep.equal(['<sip:p2.example.net;lr>', '<sip:p1.example.net;lr>']);
    expect(dialog.remoteTarget).to.equal('sip:callee@203.0.113.5:5070');
    expect(dialog.id).to.deep.equal({ callId: 'out-1@192.0.2.10', localTag: 'ours-1', remoteTag: 'callee-1' });
    const ack = await carrier.next('ACK');
    expect(ack.uri).to.equal('sip:callee@203.0.113.5:5070');
    expect(ack.headers.getAll('Route')).to.deep.equal(['<sip:p2.example.net;lr>', '<sip:p1.example.net;lr>']);
    expect(ack.headers.get('CSeq')).to.equal('1 ACK');
    expect(branchOf(ack)).to.not.equal(branchOf(invite)); // §13.2.2.4: the ACK of a 2xx is its own transaction
    expect(parseNameAddr(ack.headers.get('To') ?? '')?.tag).to.equal('callee-1');

    carrier.answer(invite, 200, { toTag: 'callee-1', headers: ok }); // the 2xx retransmitted
    const again = await carrier.next('ACK', 2);
    expect(branchOf(again)).to.equal(branchOf(ack));
    expect(carrier.requests('BYE')).to.have.length(0);
    expect(uac.attempts).to.equal(1);

    const bye = dialog.createRequest('BYE').request;
    expect(seqOf(bye)).to.equal(2); // the local CSeq goes on from the INVITE's
  });

  it('keeps an early dialog per To tag of the 1xx responses', async () => {
    const provisional: (string | undefined)[] = [];
    const uac = carrier.dial({ listener: { onProvisional: (_r, tag) => provisional.push(tag) } });
    const invite = await carrier.next('INVITE');
    carrier.answer(invite, 100);
    carrier.answer(invite, 180, { toTag: 'fork-a' });
    carrier.answer(invite, 183, { toTag: 'fork-b' });
    expect(uac.earlyDialogTags).to.deep.equal(['fork-a', 'fork-b']);
    expect(provisional).to.deep.equal(['fork-a', 'fork-b']);
    expect(uac.state).to.equal('proceeding');
  });

  it('ACKs then BYEs a second 2xx from another fork, keeping the first', async () => {
    const uac = carrier.dial();
    const invite = await carrier.next('INVITE');
    carrier.answer(invite, 200, { toTag: 'fork-a', headers: [['Contact', '<sip:a@203.0.113.5:5070>']] });
    carrier.answer(invite, 200, { toTag: 'fork-b', headers: [['Contact', '<sip:b@203.0.113.6:5070>']] });
    const outcome = await uac.outcome;
    expect(outcome.kind).to.equal('answered');
    const bye = await carrier.next('BYE');
    const acks = carrier.requests('ACK');
    expect(acks.map((a) => parseNameAddr(a.headers.get('To') ?? '')?.tag)).to.deep.equal(['fork-a', 'fork-b']);
    expect(bye.uri).to.equal('sip:b@203.0.113.6:5070');
    expect(parseNameAddr(bye.headers.get('To') ?? '')?.tag).to.equal('fork-b');
    expect(carrier.sent.indexOf(acks[1]!)).to.be.lessThan(carrier.sent.indexOf(bye));
    if (outcome.kind === 'answered') expect(outcome.dialog.id.remoteTag).to.equal('fork-a');
  });

  it('answers a 401 once with credentials: CSeq + 1, new branch, same Call-ID and From tag', async () => {
    const uac = carrier.dial({ credentials: { username: 'acme', password: 's3cret' } });
    const first = await carrier.next('INVITE');
    const challenge = 'Digest realm="carrier", nonce="abc123", qop="auth", algorithm=MD5';
    carrier.answer(first, 401, { toTag: 'x', headers: [['WWW-Authenticate', challenge]] });
    const ack401 = await carrier.next('ACK');
    expect(branchOf(ack401)).to.equal(branchOf(first)); // §17.1.1.3: the transaction's own ACK
    const second = await carrier.next('INVITE', 2);
    expect(second.headers.get('CSeq')).to.equal('2 INVITE');
    expect(branchOf(second)).to.not.equal(branchOf(first));
    expect(second.headers.get('Call-ID')).to.equal(first.headers.get('Call-ID'));
    expect(second.headers.get('From')).to.equal(first.headers.get('From'));
    expect(second.headers.get('Authorization')).to.match(/^Digest username="acme", realm="carrier", nonce="abc123"/);
    carrier.answer(second, 401, { toTag: 'y', headers: [['WWW-Authenticate', challenge]] });
    const outcome = await uac.outcome;
    expect(outcome.kind).to.equal('failed'); // answered once only
    expect(uac.attempts).to.equal(2);
    expect(carrier.requests('INVITE')).to.have.length(2);
  });

  it('ACKs the 2xx of an authenticated INVITE with its credentials', async () => {
    const uac = carrier.dial({ credentials: { username: 'acme', password: 's3cret' } });
    const first = await carrier.next('INVITE');
    carrier.answer(first, 407, { toTag: 'x', headers: [['Proxy-Authenticate', 'Digest realm="r", nonce="n1"']] });
    const second = await carrier.next('INVITE', 2);
    expect(second.headers.get('Proxy-Authorization')).to.match(/^Digest /);
    carrier.answer(second, 200, { toTag: 'callee', headers: [['Contact', '<sip:c@203.0.113.5>']] });
    expect((await uac.outcome).kind).to.equal('answered');
    const acks = carrier.requests('ACK');
    const ack2xx = acks.find((a) => a.headers.get('CSeq') === '2 ACK');
    expect(ack2xx?.headers.get('Proxy-Authorization')).to.equal(second.headers.get('Proxy-Authorization'));
  });

  it('never sends CANCEL before a 1xx; the first 1xx sends it, copying the latest INVITE', async () => {
    const uac = carrier.dial({
      credentials: { username: 'acme', password: 's3cret' },
      routes: ['<sip:outbound.example.net;lr>'],
    });
    const first = await carrier.next('INVITE');
    carrier.answer(first, 401, { toTag: 'x', headers: [['WWW-Authenticate', 'Digest realm="r", nonce="n1"']] });
    const latest = await carrier.next('INVITE', 2);
    uac.cancel();
    expect(carrier.requests('CANCEL')).to.have.length(0);
    carrier.answer(latest, 180, { toTag: 'callee' });
    const cancel = await carrier.next('CANCEL');
    expect(cancel.uri).to.equal(latest.uri);
    expect(cancel.headers.getLines('Via')).to.deep.equal([latest.headers.get('Via')]);
    expect(cancel.headers.get('CSeq')).to.equal('2 CANCEL');
    for (const name of ['Call-ID', 'From', 'To'])
      expect(cancel.headers.get(name), name).to.equal(latest.headers.get(name));
    expect(cancel.headers.getAll('Route')).to.deep.equal(['<sip:outbound.example.net;lr>']);
    expect(cancel.headers.get('Authorization')).to.equal(undefined); // §22.1: CANCEL is never challenged
    carrier.answer(cancel, 401, { headers: [['WWW-Authenticate', 'Digest realm="r", nonce="n2"']] });
    carrier.answer(latest, 487, { toTag: 'callee' });
    const outcome = await uac.outcome;
    expect(outcome).to.include({ kind: 'cancelled', crossed: false });
    expect(carrier.requests('CANCEL')).to.have.length(1);
    expect(uac.state).to.equal('cancelled');
  });

  it('ACKs then BYEs a 200 that crossed our CANCEL', async () => {
    const uac = carrier.dial();
    const invite = await carrier.next('INVITE');
    carrier.answer(invite, 180, { toTag: 'callee' });
    uac.cancel();
    const cancel = await carrier.next('CANCEL');
    carrier.answer(invite, 200, { toTag: 'callee', headers: [['Contact', '<sip:c@203.0.113.5:5070>']] });
    carrier.answer(cancel, 200);
    const outcome = await uac.outcome;
    expect(outcome).to.include({ kind: 'cancelled', crossed: true });
    const ack = await carrier.next('ACK');
    const bye = await carrier.next('BYE');
    expect(ack.uri).to.equal('sip:c@203.0.113.5:5070');
    expect(bye.headers.get('CSeq')).to.equal('2 BYE');
    expect(carrier.sent.indexOf(ack)).to.be.lessThan(carrier.sent.indexOf(bye));
  });

  it('a callee that never answers: Timer B ends the INVITE, and a cancel() sends no CANCEL', async () => {
    const uac = carrier.dial();
    await carrier.next('INVITE');
    uac.cancel();
    const outcome = await uac.outcome;
    expect(outcome).to.include({ kind: 'cancelled', crossed: false });
    expect(carrier.requests('CANCEL')).to.have.length(0);
    expect(carrier.requests('INVITE').length).to.be.greaterThan(1); // Timer A resent it over UDP

    const silent = carrier.dial({ callId: 'out-2@192.0.2.10' });
    expect(await silent.outcome).to.deep.equal({ kind: 'timeout', provisional: false });
  });

  it('a ringing INVITE is not ended by Timer B (only Calling is, §17.1.1.2)', async () => {
    const uac = carrier.dial();
    const invite = await carrier.next('INVITE');
    carrier.answer(invite, 180, { toTag: 'callee' });
    await holdsFor('the ringing INVITE', 64 * T1 * 2, () => uac.state === 'proceeding');
    uac.cancel();
    const cancel = await carrier.next('CANCEL');
    carrier.answer(cancel, 200);
    // §9.1: no final response 64·T1 after the CANCEL: the INVITE is given up
    expect(await uac.outcome).to.include({ kind: 'cancelled' });
  });

  it('retries a 422 once with the larger Min-SE (RFC 4028 §7.4)', async () => {
    const uac = carrier.dial({ sessionTimer: { intervalS: 90, minSeS: 90 } });
    const first = await carrier.next('INVITE');
    expect(first.headers.get('Session-Expires')).to.equal('90');
    carrier.answer(first, 422, { toTag: 'x', headers: [['Min-SE', '1800']] });
    const second = await carrier.next('INVITE', 2);
    expect(second.headers.get('Session-Expires')).to.equal('1800');
    expect(second.headers.get('Min-SE')).to.equal('1800');
    expect(second.headers.get('CSeq')).to.equal('2 INVITE');
    carrier.answer(second, 486, { toTag: 'y' });
    const outcome = await uac.outcome;
    if (outcome.kind !== 'failed') throw new Error(outcome.kind);
    expect(outcome.response.status).to.equal(486);
  });

  it('a 486 fails the call and is ACKed on the INVITE branch', async () => {
    const uac = carrier.dial();
    const invite = await carrier.next('INVITE');
    carrier.answer(invite, 486, { toTag: 'busy', headers: [['Reason', 'Q.850;cause=17;text="User busy"']] });
    const outcome = await uac.outcome;
    if (outcome.kind !== 'failed') throw new Error(outcome.kind);
    expect(outcome.response.headers.get('Reason')).to.equal('Q.850;cause=17;text="User busy"');
    const ack = await carrier.next('ACK');
    expect(branchOf(ack)).to.equal(branchOf(invite));
    expect(parseNameAddr(ack.headers.get('To') ?? '')?.tag).to.equal('busy');
    expect(uac.state).to.equal('failed');
  });

  it('the answered dialog gets the callee BYE through its listener', async () => {
    const uac = carrier.dial();
    const invite = await carrier.next('INVITE');
    carrier.answer(invite, 200, { toTag: 'callee', headers: [['Contact', '<sip:c@198.51.100.7>']] });
    const outcome = await uac.outcome;
    if (outcome.kind !== 'answered') throw new Error(outcome.kind);
    const got = new Promise<string>((resolve) => {
      outcome.dialog.listener = {
        onConfirmed: () => undefined,
        onAckTimeout: () => undefined,
        onRequest: (request, tx) => {
          carrier.stack.respond(tx, 200);
          resolve(request.method);
        },
      };
    });
    const bye = [
      'BYE sip:voicebridge@192.0.2.10:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-bye-1',
      'Max-Forwards: 70',
      'From: <sip:+15550777@198.51.100.7>;tag=callee',
      'To: <sip:+15550100@192.0.2.10>;tag=ours-1',
      'Call-ID: out-1@192.0.2.10',
      'CSeq: 1 BYE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    carrier.stack.receive(Buffer.from(bye), CARRIER);
    expect(await got).to.equal('BYE');
  });

  it('a 2xx without a To tag ends the attempt as failed instead of leaving it open', async () => {
    const uac = carrier.dial();
    const invite = await carrier.next('INVITE');
    carrier.answer(invite, 200); // no toTag: no dialog can be made, no ACK addressed
    const outcome = await uac.outcome;
    expect(outcome.kind).to.equal('failed');
    expect(carrier.requests('ACK')).to.have.length(0);
  });
});
