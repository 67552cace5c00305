import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { parseMessage, type SipMessage, type SipRequest, type SipResponse } from '@voicebridge/sip';
import { withTimeout } from '../../../test/support/wait-for.ts';

/** A scriptable SIP user agent for tests: raw messages out, parsed messages in, over real UDP. */
export class SipPeer {
  readonly received: SipMessage[] = [];
  readonly socket: Socket;
  #waiters: { match: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (data) => {
      const parsed = parseMessage(data);
      if (!parsed.ok) return;
      this.received.push(parsed.message);
      this.#waiters = this.#waiters.filter((w) =>
        w.match(parsed.message) ? (w.resolve(parsed.message), false) : true,
      );
    });
  }

  static async open(): Promise<SipPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new SipPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(text: string | Buffer, port: number): void {
    this.socket.send(typeof text === 'string' ? Buffer.from(text) : text, port, '127.0.0.1');
  }

  /** Resolves with the first message (already received or to come) that matches. */
  wait(match: (m: SipMessage) => boolean, timeoutMs = 10_000): Promise<SipMessage> {
    const found = this.received.find(match);
    if (found) return Promise.resolve(found);
    const waiter = { match, resolve: (_: SipMessage): void => undefined };
    const arrived = new Promise<SipMessage>((resolve) => {
      waiter.resolve = resolve;
      this.#waiters.push(waiter);
    });
    return withTimeout(arrived, 'a matching SIP message', timeoutMs).finally(() => {
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
    });
  }

  response(status: number, method: string, callId: string): Promise<SipResponse> {
    return this.wait(
      (m) =>
        m.type === 'response' &&
        m.status === status &&
        (m.headers.get('CSeq') ?? '').endsWith(method) &&
        m.headers.get('Call-ID') === callId,
    ) as Promise<SipResponse>;
  }

  request(method: string, callId: string): Promise<SipRequest> {
    return this.wait(
      (m) => m.type === 'request' && m.method === method && m.headers.get('Call-ID') === callId,
    ) as Promise<SipRequest>;
  }

  close(): void {
    this.socket.close();
  }
}

export interface InviteOptions {
  number: string;
  bridgePort: number;
  peerPort: number;
  callId?: string;
  branch?: string;
  sdp?: string;
  extraHeaders?: string[];
  rtpPort?: number;
}

export function newCallId(): string {
  return `${randomBytes(6).toString('hex')}@127.0.0.1`;
}

export function offerSdp(rtpPort: number, formats = '0 8 101'): string {
  return [
    'v=0',
    'o=peer 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${rtpPort} RTP/AVP ${formats}`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

export function inviteText(o: InviteOptions & { callId: string; branch: string }): string {
  const body = o.sdp ?? offerSdp(o.rtpPort ?? 40000);
  return [
    `INVITE sip:${o.number}@127.0.0.1:${o.bridgePort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${o.peerPort};branch=${o.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:+15551230000@127.0.0.1:${o.peerPort}>;tag=caller-tag`,
    `To: <sip:${o.number}@127.0.0.1>`,
    `Call-ID: ${o.callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:caller@127.0.0.1:${o.peerPort}>`,
    ...(o.extraHeaders ?? []),
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** ACK/BYE/CANCEL in the caller's dialog. `toTag` is empty for CANCEL (it copies the INVITE's To). */
export function requestText(
  method: string,
  o: {
    bridgePort: number;
    peerPort: number;
    callId: string;
    number: string;
    toTag: string;
    branch: string;
    cseq: number;
  },
): string {
  return [
    `${method} sip:${o.number}@127.0.0.1:${o.bridgePort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${o.peerPort};branch=${o.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:+15551230000@127.0.0.1:${o.peerPort}>;tag=caller-tag`,
    `To: <sip:${o.number}@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** The To tag the bridge put in its answer ('' when none). */
export function toTagOf(response: SipResponse): string {
  return /tag=([^;>\s]+)/.exec(response.headers.get('To') ?? '')?.[1] ?? '';
}

export function okFor(request: SipRequest): string {
  return [
    'SIP/2.0 200 OK',
    ...request.headers.getAll('Via').map((v) => `Via: ${v}`),
    `From: ${request.headers.get('From')}`,
    `To: ${request.headers.get('To')}`,
    `Call-ID: ${request.headers.get('Call-ID')}`,
    `CSeq: ${request.headers.get('CSeq')}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
