import { expect } from 'chai';
import { pino } from 'pino';
import type { RegistrationStatus, TrunkConfig, TrunkRegister } from '@voicebridge/protocol';
import {
  createResponse,
  parseDigest,
  parseMessage,
  serializeMessage,
  SipStack,
  type Endpoint,
  type SipRequest,
} from '@voicebridge/sip';
import { TrunkRegistration } from '../../src/registration/trunk-registration.ts';
import { SipResolver } from '../../src/registration/sip-resolver.ts';
import { waitFor } from '../../../../test/support/wait-for.ts';

type Reply = { status: number; headers?: [string, string][] };

/**
 * The state machine against the real SIP core with a scripted registrar behind its send callback
 * (each REGISTER gets the next scripted reply): the edge cases a SIPp registrar cannot easily
 * produce. The SIPp registrar test covers the real exchange.
 */
function harness(transport: TrunkRegister['transport'], script: ((request: SipRequest) => Reply)[]) {
  const requests: SipRequest[] = [];
  const statuses: RegistrationStatus[] = [];
  const keepAlives: Endpoint[] = [];
  let waiter: { match: (s: RegistrationStatus) => boolean; resolve: () => void } | undefined;
  const stack: SipStack = new SipStack({
    send: (data, to) => {
      const parsed = parseMessage(data);
      if (!parsed.ok || parsed.message.type !== 'request') return;
      const request = parsed.message;
      if (request.method !== 'REGISTER') return;
      requests.push(request);
      const reply: Reply = (script.shift() ?? (() => ({ status: 200 })))(request);
      const response = createResponse(request, reply.status);
      for (const [name, value] of reply.headers ?? []) response.headers.append(name, value);
      setImmediate(() => stack.receive(serializeMessage(response), to));
    },
    handler: { onInvite: () => undefined, onRequest: () => undefined },
    advertised: { host: '192.0.2.10', port: 5060, tlsPort: 5061 },
  });
  const register: TrunkRegister = {
    registrar: 'sip:127.0.0.1:5070',
    username: 'acct',
    password: 'pw',
    expires: 600,
    transport,
  };
  const trunk = { name: 'carrier', enabled: true, sources: [], register } as unknown as TrunkConfig & {
    register: TrunkRegister;
  };
  const registration = new TrunkRegistration({
    trunk,
    stack,
    resolver: new SipResolver(),
    contactHost: '192.0.2.10',
    contactPort: (t) => (t === 'tls' ? 5061 : 5060),
    sendKeepAlive: (to) => keepAlives.push(to),
    onStatus: (status) => {
      statuses.push(status);
      if (waiter?.match(status)) waiter.resolve();
    },
    log: pino({ level: 'silent' }),
    keepAliveIntervalMs: 30,
    retryBaseMs: 30,
  });
  const until = (match: (s: RegistrationStatus) => boolean) =>
    new Promise<void>((resolve) => {
      waiter = { match, resolve };
    });
  return { registration, requests, statuses, keepAlives, until, close: () => (registration.close(), stack.close()) };
}

const challenge = (extra = ''): Reply => ({
  status: 401,
  headers: [['WWW-Authenticate', `Digest realm="r", nonce="n${Math.random()}", algorithm=MD5, qop="auth"${extra}`]],
});

describe('TrunkRegistration (state machine on the real SIP core)', () => {
  it('answers a 401, registers for the granted Contact expires, and builds the REGISTER of RFC 3261 §10.2', async () => {
    const h = harness('udp', [
      () => challenge(),
      () => ({
        status: 200,
        headers: [
          ['Contact', '<sip:acct@192.0.2.10:5060>;expires=120'],
          ['Expires', '3600'],
        ],
      }),
    ]);
    const registered = h.until((s) => s.state === 'registered');
    h.registration.start();
    await registered;
    h.close();
    const [first, second] = h.requests;
    expect(first?.uri).to.equal('sip:127.0.0.1:5070');
    expect(first?.headers.get('To')).to.equal('<sip:acct@127.0.0.1>');
    expect(first?.headers.get('Contact')).to.equal('<sip:acct@192.0.2.10:5060>');
    expect(first?.headers.get('Expires')).to.equal('600');
    expect(second?.headers.get('Call-ID')).to.equal(first?.headers.get('Call-ID'));
    expect(second?.headers.get('CSeq')).to.equal('2 REGISTER');
    expect(parseDigest(second?.headers.get('Authorization') ?? '')?.get('username')).to.equal('acct');
    const status = h.statuses.find((s) => s.state === 'registered');
    expect((status?.expiresAtMs ?? 0) - Date.now()).to.be.within(100_000, 121_000);
  });

  it('fails on a second plain 401 (wrong password), backs off, and registers when the registrar accepts', async () => {
    const h = harness('udp', [() => challenge(), () => challenge(), () => challenge(), () => ({ status: 200 })]);
    const registered = h.until((s) => s.state === 'registered');
    h.registration.start();
    await registered;
    h.close();
    const failed = h.statuses.find((s) => s.state === 'failed');
    expect(failed).to.deep.include({ lastError: '401 Unauthorized', failures: 1 });
    expect(h.statuses[h.statuses.length - 1]).to.deep.include({ state: 'registered', failures: 0 });
    expect(JSON.stringify(h.statuses)).to.not.include('pw');
  });

  it('answers a stale=true challenge again instead of failing, and raises Expires on 423 Min-Expires', async () => {
    const h = harness('udp', [
      () => challenge(),
      () => challenge(', stale=true'),
      () => ({ status: 423, headers: [['Min-Expires', '900']] }),
      () => ({ status: 200 }),
    ]);
    const registered = h.until((s) => s.state === 'registered');
    h.registration.start();
    await registered;
    h.close();
    expect(h.statuses.some((s) => s.state === 'failed')).to.equal(false);
    // The last one is close(): Expires: 0 removes the binding (RFC 3261 §10.2.2).
    expect(h.requests.map((r) => r.headers.get('Expires'))).to.deep.equal(['600', '600', '600', '900', '0']);
  });

  it('over TCP keeps the connection alive with CRLF between refreshes, and says ;transport=tcp', async () => {
    const h = harness('tcp', [() => ({ status: 200, headers: [['Expires', '3600']] })]);
    const registered = h.until((s) => s.state === 'registered');
    h.registration.start();
    await registered;
    await waitFor('two CRLF keep-alives', 2000, () => h.keepAlives.length >= 2);
    h.close();
    expect(h.keepAlives.length).to.be.at.least(2);
    expect(h.keepAlives[0]).to.deep.equal({ address: '127.0.0.1', port: 5070, transport: 'tcp' });
    expect(h.requests[0]?.headers.get('Contact')).to.equal('<sip:acct@192.0.2.10:5060;transport=tcp>');
  });
});
