import { expect } from 'chai';
import type { Logger } from '@voicebridge/protocol';
import {
  digestResponse,
  parseDigest,
  parseMessage,
  SipStack,
  type Dialog,
  type Endpoint,
  type InviteServerTransaction,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type SipStackHandler,
} from '../../src/index.ts';
import { holdsFor } from '../../../../test/support/wait-for.ts';

const PEER: Endpoint = { address: '127.0.0.1', port: 5099, transport: 'udp' };
const T1 = 10; // small timers keep the in-memory tests fast; the ratios are the RFC's

function invite(opts: { branch?: string; callId?: string; extra?: string[]; cseq?: number } = {}): Buffer {
  const body = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
  return Buffer.from(
    [
      'INVITE sip:+15550100@127.0.0.1:5060 SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:5099;branch=${opts.branch ?? 'z9hG4bK-inv-1'};rport`,
      'Max-Forwards: 70',
      'From: "Alice" <sip:alice@127.0.0.1:5099>;tag=from-1',
      'To: <sip:+15550100@127.0.0.1>',
      `Call-ID: ${opts.callId ?? 'call-1@127.0.0.1'}`,
      `CSeq: ${opts.cseq ?? 1} INVITE`,
      'Contact: <sip:alice@127.0.0.1:5099>',
      ...(opts.extra ?? []),
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

function inDialog(method: string, toTag: string, opts: { branch: string; cseq: number; cseqMethod?: string }): Buffer {
  return Buffer.from(
    [
      `${method} sip:+15550100@127.0.0.1:5060 SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:5099;branch=${opts.branch}`,
      'Max-Forwards: 70',
      'From: "Alice" <sip:alice@127.0.0.1:5099>;tag=from-1',
      `To: <sip:+15550100@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
      'Call-ID: call-1@127.0.0.1',
      `CSeq: ${opts.cseq} ${opts.cseqMethod ?? method}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

/** Keeps each line as one object (level, msg, the bindings, the fields), as pino would write it. */
function recordingLogger(lines: object[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (fields: object | string, msg?: string): void => {
      lines.push(
        typeof fields === 'string' ? { level, msg: fields, ...bindings } : { level, msg, ...bindings, ...fields },
      );
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

class Harness {
  readonly sent: { message: SipMessage; to: Endpoint }[] = [];
  readonly invites: InviteServerTransaction[] = [];
  readonly requests: SipRequest[] = [];
  readonly stack: SipStack;
  #waiters: { match: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];

  constructor(handler?: Partial<SipStackHandler>, log?: Logger) {
    this.stack = new SipStack({
      log,
      send: (data, to) => {
        const parsed = parseMessage(data);
        if (!parsed.ok) throw new Error(`stack sent an unparseable message: ${parsed.reason}`);
        this.sent.push({ message: parsed.message, to });
        this.#waiters = this.#waiters.filter((w) =>
          w.match(parsed.message) ? (w.resolve(parsed.message), false) : true,
        );
      },
      handler: {
        onInvite: (tx) => {
          this.invites.push(tx);
          handler?.onInvite?.(tx);
        },
        onRequest: (request, tx) => {
          this.requests.push(request);
          if (handler?.onRequest) handler.onRequest(request, tx);
          else this.stack.respond(tx, 200);
        },
      },
      advertised: { host: '192.0.2.10', port: 5060 },
      timers: { T1, T2: 4 * T1, T4: 5 * T1 },
    });
  }

  receive(data: Buffer, from: Endpoint = PEER): void {
    this.stack.receive(data, from);
  }

  responses(status?: number, method?: string): SipResponse[] {
    return this.sent
      .map((s) => s.message)
      .filter((m): m is SipResponse => m.type === 'response')
      .filter(
        (m) =>
          (status === undefined || m.status === status) &&
          (method === undefined || m.headers.get('CSeq')?.endsWith(method)),
      );
  }

  next(match: (m: SipMessage) => boolean): Promise<SipMessage> {
    const already = this.sent.map((s) => s.message).find(match);
    if (already) return Promise.resolve(already);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  accept(tx: InviteServerTransaction, listener: Partial<Parameters<SipStack['accept']>[1]['listener']> = {}): Dialog {
    return this.stack.accept(tx, {
      toTag: 'to-1',
      contact: 'sip:192.0.2.10:5060',
      body: Buffer.from('v=0\r\n'),
      contentType: 'application/sdp',
      listener: {
        onConfirmed: listener.onConfirmed ?? (() => undefined),
        onAckTimeout: listener.onAckTimeout ?? (() => undefined),
        onRequest: listener.onRequest ?? ((_r, tx2) => this.stack.respond(tx2, 200)),
      },
    });
  }
}

describe('SipStack (in memory)', () => {
  let h: Harness;
  afterEach(() => h.stack.close());

  it('gives our Via an IPv6 sent-by in brackets, the TLS port over TLS', () => {
    const stack = new SipStack({
      send: () => undefined,
      handler: { onInvite: () => undefined, onRequest: () => undefined },
      advertised: { host: '2001:db8::10', port: 5060, tlsPort: 5061 },
    });
    try {
      expect(stack.via('udp')).to.match(/^SIP\/2\.0\/UDP \[2001:db8::10\]:5060;rport;branch=z9hG4bK/);
      expect(stack.via('tls')).to.match(/^SIP\/2\.0\/TLS \[2001:db8::10\]:5061;rport;branch=z9hG4bK/);
    } finally {
      stack.close();
    }
    h = new Harness();
    expect(h.stack.via('udp')).to.match(/^SIP\/2\.0\/UDP 192\.0\.2\.10:5060;rport;branch=z9hG4bK/);
  });

  it('answers an INVITE with 100 Trying at once and hands it to the TU once, even when retransmitted', () => {
    h = new Harness();
    h.receive(invite());
    h.receive(invite());
    expect(h.invites).to.have.length(1);
    expect(h.responses(100)).to.have.length(2); // the retransmission gets the last provisional again
    expect(h.responses(100)[0]?.headers.get('To')).to.not.include('tag=');
  });

  it('stamps received and rport on the top Via of what it answers (RFC 3261 §18.2.1, RFC 3581)', () => {
    h = new Harness();
    h.receive(invite(), { address: '127.0.0.9', port: 6000, transport: 'udp' });
    const via = h.responses(100)[0]?.headers.get('Via') ?? '';
    expect(via).to.include('received=127.0.0.9').and.include('rport=6000');
    expect(h.sent[0]?.to).to.deep.equal({ address: '127.0.0.9', port: 6000, transport: 'udp' });
  });

  it('retransmits the 2xx until the ACK, then reports the dialog confirmed once (RFC 3261 §13.3.1.4)', async () => {
    h = new Harness();
    h.receive(invite({ extra: ['Record-Route: <sip:p1.example;lr>', 'Record-Route: <sip:p2.example;lr>'] }));
    let confirmed = 0;
    h.accept(h.invites[0] as InviteServerTransaction, { onConfirmed: () => confirmed++ });
    await h.next(() => h.responses(200).length >= 3);
    const ok = h.responses(200)[0] as SipResponse;
    expect(ok.headers.getAll('Record-Route')).to.deep.equal(['<sip:p1.example;lr>', '<sip:p2.example;lr>']);
    expect(ok.headers.get('Contact')).to.equal('<sip:192.0.2.10:5060>');
    expect(ok.headers.get('To')).to.include('tag=to-1');
    h.receive(inDialog('ACK', 'to-1', { branch: 'z9hG4bK-ack-1', cseq: 1 }));
    h.receive(inDialog('ACK', 'to-1', { branch: 'z9hG4bK-ack-1', cseq: 1 }));
    const count = h.responses(200).length;
    // Timer G would have fired three more times by now (T1, 2T1, 4T1) had the ACK not stopped it.
    await holdsFor('no 200 sent again after the ACK', 8 * T1, () => h.responses(200).length === count);
    expect(confirmed).to.equal(1);
  });

  it('gives up on a missing ACK after 64·T1 and tells the TU (RFC 3261 §13.3.1.4)', async () => {
    h = new Harness();
    h.receive(invite());
    const timedOut = new Promise<void>((resolve) =>
      h.accept(h.invites[0] as InviteServerTransaction, { onAckTimeout: resolve }),
    );
    await timedOut;
    // T1, 2T1, 4T1 (T2 cap), then every T2 until 64·T1: about 18 copies in all with these timers.
    expect(h.responses(200).length).to.be.within(10, 20);
  });

  it('answers CANCEL with 200 and signals the INVITE before a final response (RFC 3261 §9.2)', () => {
    h = new Harness();
    h.receive(invite());
    let cancelled = 0;
    (h.invites[0] as InviteServerTransaction).onCancel = () => cancelled++;
    h.receive(inDialog('CANCEL', '', { branch: 'z9hG4bK-inv-1', cseq: 1 }));
    expect(h.responses(200, 'CANCEL')).to.have.length(1);
    expect(cancelled).to.equal(1);
  });

  it('a CANCEL after the 200 OK gets 200 and changes nothing', () => {
    h = new Harness();
    h.receive(invite());
    let cancelled = 0;
    const tx = h.invites[0] as InviteServerTransaction;
    tx.onCancel = () => cancelled++;
    h.accept(tx);
    h.receive(inDialog('CANCEL', '', { branch: 'z9hG4bK-inv-1', cseq: 1 }));
    expect(h.responses(200, 'CANCEL')).to.have.length(1);
    expect(cancelled).to.equal(0);
  });

  it('answers a CANCEL that matches no INVITE with 481', () => {
    h = new Harness();
    h.receive(inDialog('CANCEL', '', { branch: 'z9hG4bK-nothing', cseq: 1 }));
    expect(h.responses(481, 'CANCEL')).to.have.length(1);
  });

  it('retransmits a non-2xx final until the ACK for it (Timer G), which matches the INVITE transaction', async () => {
    h = new Harness();
    h.receive(invite());
    const tx = h.invites[0] as InviteServerTransaction;
    h.stack.respond(tx, 486, { toTag: 'to-1' });
    await h.next(() => h.responses(486).length >= 3);
    h.receive(inDialog('ACK', 'to-1', { branch: 'z9hG4bK-inv-1', cseq: 1 }));
    expect(tx.state).to.equal('confirmed');
    const count = h.responses(486).length;
    await holdsFor('no 486 sent again after the ACK', 6 * T1, () => h.responses(486).length === count);
  });

  it('routes an in-dialog BYE to the dialog, and a BYE for no dialog gets 481', () => {
    h = new Harness();
    h.receive(invite());
    const got: string[] = [];
    h.accept(h.invites[0] as InviteServerTransaction, {
      onRequest: (r, tx) => {
        got.push(r.method);
        h.stack.respond(tx, 200);
      },
    });
    h.receive(inDialog('ACK', 'to-1', { branch: 'z9hG4bK-ack', cseq: 1 }));
    h.receive(inDialog('BYE', 'to-1', { branch: 'z9hG4bK-bye', cseq: 2 }));
    h.receive(inDialog('BYE', 'other-tag', { branch: 'z9hG4bK-bye2', cseq: 3 }));
    expect(got).to.deep.equal(['BYE']);
    expect(h.responses(200, 'BYE')).to.have.length(1);
    expect(h.responses(481, 'BYE')).to.have.length(1);
  });

  it('answers an out-of-order in-dialog CSeq with 500 (RFC 3261 §12.2.2)', () => {
    h = new Harness();
    h.receive(invite({ cseq: 10 }));
    h.accept(h.invites[0] as InviteServerTransaction);
    h.receive(inDialog('INFO', 'to-1', { branch: 'z9hG4bK-info', cseq: 5 }));
    expect(h.responses(500, 'INFO')).to.have.length(1);
  });

  it('sends our BYE along the route set to the remote target, retransmitting until answered (RFC 3261 §12.2.1.1)', async () => {
    h = new Harness();
    h.receive(invite({ extra: ['Record-Route: <sip:127.0.0.2:5070;lr>', 'Record-Route: <sip:127.0.0.3:5080;lr>'] }));
    const dialog = h.accept(h.invites[0] as InviteServerTransaction);
    h.receive(inDialog('ACK', 'to-1', { branch: 'z9hG4bK-ack', cseq: 1 }));
    const outcome = h.stack.request(dialog, 'BYE');
    const isBye = (m: SipMessage): boolean => m.type === 'request' && m.method === 'BYE';
    await h.next(() => h.sent.filter((s) => isBye(s.message)).length >= 2);
    const byes = h.sent.filter((s) => isBye(s.message));
    const bye = byes[0]?.message as SipRequest;
    expect(bye.uri).to.equal('sip:alice@127.0.0.1:5099');
    expect(bye.headers.getAll('Route')).to.deep.equal(['<sip:127.0.0.2:5070;lr>', '<sip:127.0.0.3:5080;lr>']);
    expect(byes[0]?.to).to.deep.equal({ address: '127.0.0.2', port: 5070, transport: 'udp' });
    expect(bye.headers.get('From')).to.include('tag=to-1');
    expect(bye.headers.get('To')).to.include('tag=from-1');
    expect(bye.headers.get('Via')).to.match(/^SIP\/2\.0\/UDP 192\.0\.2\.10:5060;/);
    const reply = Buffer.from(
      [
        'SIP/2.0 200 OK',
        `Via: ${bye.headers.get('Via')}`,
        `From: ${bye.headers.get('From')}`,
        `To: ${bye.headers.get('To')}`,
        `Call-ID: ${bye.headers.get('Call-ID')}`,
        `CSeq: ${bye.headers.get('CSeq')}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    h.receive(reply);
    const result = await outcome;
    expect(result.kind).to.equal('response');
  });

  it('answers a 401 to our in-dialog BYE once with the dialog credentials: new CSeq, Authorization with the digest (RFC 3261 §22.2)', async () => {
    h = new Harness();
    h.receive(invite());
    const dialog = h.accept(h.invites[0] as InviteServerTransaction);
    dialog.credentials = { username: 'trunk-user', password: 's3cret' };
    h.receive(inDialog('ACK', 'to-1', { branch: 'z9hG4bK-ack', cseq: 1 }));
    const outcome = h.stack.request(dialog, 'BYE');
    const byes = (): SipRequest[] =>
      h.sent.map((s) => s.message).filter((m): m is SipRequest => m.type === 'request' && m.method === 'BYE');
    await h.next((m) => m.type === 'request' && m.method === 'BYE');
    const first = byes()[0] as SipRequest;
    const reply = (request: SipRequest, status: string, extra: string[]): Buffer =>
      Buffer.from(
        [
          `SIP/2.0 ${status}`,
          `Via: ${request.headers.get('Via')}`,
          `From: ${request.headers.get('From')}`,
          `To: ${request.headers.get('To')}`,
          `Call-ID: ${request.headers.get('Call-ID')}`,
          `CSeq: ${request.headers.get('CSeq')}`,
          ...extra,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
    h.receive(
      reply(first, '401 Unauthorized', [
        'WWW-Authenticate: Digest realm="carrier", nonce="n0nce", qop="auth", algorithm=MD5',
      ]),
    );
    await h.next(() => byes().some((b) => b.headers.get('Authorization') !== undefined));
    const second = byes().find((b) => b.headers.get('Authorization') !== undefined) as SipRequest;
    const seq = (r: SipRequest): number => Number.parseInt(r.headers.get('CSeq') ?? '', 10);
    expect(seq(second)).to.equal(seq(first) + 1);
    const auth = parseDigest(second.headers.get('Authorization') ?? '');
    expect(auth?.get('username')).to.equal('trunk-user');
    expect(auth?.get('uri')).to.equal(second.uri);
    const expected = digestResponse({
      algorithm: 'MD5',
      username: 'trunk-user',
      realm: 'carrier',
      password: 's3cret',
      method: 'BYE',
      uri: second.uri,
      nonce: 'n0nce',
      qop: { nc: auth?.get('nc') ?? '', cnonce: auth?.get('cnonce') ?? '' },
    });
    expect(auth?.get('response')).to.equal(expected);
    h.receive(reply(second, '200 OK', []));
    const result = await outcome;
    expect(result.kind === 'response' && result.response.status).to.equal(200);
  });

  it('reports a BYE nobody answers as a timeout after 64·T1 (Timer F)', async () => {
    h = new Harness();
    h.receive(invite());
    const dialog = h.accept(h.invites[0] as InviteServerTransaction);
    h.receive(inDialog('ACK', 'to-1', { branch: 'z9hG4bK-ack', cseq: 1 }));
    expect((await h.stack.request(dialog, 'BYE')).kind).to.equal('timeout');
  });

  it('answers a malformed request with 400 and keeps serving', () => {
    const lines: object[] = [];
    h = new Harness(undefined, recordingLogger(lines).child({ node: 'n1' }));
    const bad = Buffer.from(
      invite()
        .toString('latin1')
        .replace(/Content-Length: \d+/, 'Content-Length: abc'),
      'latin1',
    );
    h.receive(bad);
    expect(h.responses(400)).to.have.length(1);
    h.receive(invite({ branch: 'z9hG4bK-2', callId: 'call-2' }));
    expect(h.invites).to.have.length(1);
    // On the logger it was given, with that logger's bindings: a service passes its pino child.
    expect(lines).to.deep.equal([
      {
        level: 'warn',
        msg: 'malformed SIP request rejected',
        node: 'n1',
        status: 400,
        reason: 'Malformed Content-Length',
        from: '127.0.0.1',
      },
    ]);
  });

  it('logs an over-long Via it cannot answer as one warning line for a flood of them, and sends nothing', () => {
    const lines: object[] = [];
    h = new Harness(undefined, recordingLogger(lines));
    const longVia = invite()
      .toString('latin1')
      .replace(/^Via: (.*)$/m, (_line, value: string) => `Via: ${value};x=${'a'.repeat(9000)}`);
    for (let i = 0; i < 50; i++) h.receive(Buffer.from(longVia, 'latin1'));
    expect(h.sent).to.have.length(0);
    expect(h.invites).to.have.length(0);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.deep.include({ level: 'warn', status: 513, reason: 'Header Line Too Long', from: '127.0.0.1' });
    expect((lines[0] as { msg: string }).msg).to.match(/^SIP message dropped unanswered: Header Line Too Long/);
  });

  it('drops garbage and stray responses silently', () => {
    h = new Harness();
    h.receive(Buffer.from('hello world'));
    h.receive(Buffer.from('\r\n\r\n'));
    h.receive(
      Buffer.from(
        'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKx\r\nCall-ID: x\r\nCSeq: 1 BYE\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nContent-Length: 0\r\n\r\n',
      ),
    );
    expect(h.sent).to.have.length(0);
  });

  it('leaves no transaction or dialog behind after close', () => {
    h = new Harness();
    h.receive(invite());
    h.accept(h.invites[0] as InviteServerTransaction);
    h.stack.close();
    h.stack.close();
    expect(h.stack.stats).to.deep.equal({ serverTransactions: 0, clientTransactions: 0, dialogs: 0 });
  });
});
