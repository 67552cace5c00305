import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SipStack, type Endpoint } from '../../src/index.ts';

const SOURCE: Endpoint = { address: '127.0.0.7', port: 40123, transport: 'udp' };

function options(via: string, extra: string[] = []): Buffer {
  return Buffer.from(
    [
      'OPTIONS sip:+15550100@127.0.0.1 SIP/2.0',
      `Via: ${via}`,
      'Max-Forwards: 70',
      'From: <sip:alice@pbx.example.com>;tag=f1',
      'To: <sip:+15550100@127.0.0.1>',
      'Call-ID: routing-1',
      'CSeq: 1 OPTIONS',
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

function stack(forceRport?: boolean): { stack: SipStack; sent: { text: string; to: Endpoint }[] } {
  const sent: { text: string; to: Endpoint }[] = [];
  const s = new SipStack({
    send: (data, to) => sent.push({ text: data.toString('latin1'), to }),
    handler: { onInvite: () => undefined, onRequest: (_r, tx) => s.respond(tx, 200) },
    advertised: { host: '192.0.2.10', port: 5060 },
    timers: { T1: 10, T2: 40, T4: 50 },
    forceRport,
  });
  return { stack: s, sent };
}

/** RFC 3261 §18.2.2 and RFC 3581: where the stack sends its answers. */
describe('where replies go (RFC 3261 §18.2.2, RFC 3581)', () => {
  it('answers the packet source, not the Via host (a name, another address, another port), stamping received', () => {
    for (const via of [
      'SIP/2.0/UDP pbx.example.com:5070;branch=z9hG4bK-a',
      'SIP/2.0/UDP 203.0.113.5:5070;branch=z9hG4bK-b',
      'SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK-c;rport',
    ]) {
      const { stack: s, sent } = stack();
      s.receive(options(via), SOURCE);
      expect(sent, via).to.have.length(1);
      expect(sent[0]?.to, via).to.deep.equal(SOURCE);
      expect(sent[0]?.text, via).to.match(/^Via: .*;received=127\.0\.0\.7/m);
      s.close();
    }
  });

  it('fills rport with the source port when asked (RFC 3581 §4)', () => {
    const { stack: s, sent } = stack();
    s.receive(options('SIP/2.0/UDP 127.0.0.7:5060;rport;branch=z9hG4bK-r'), SOURCE);
    expect(sent[0]?.text).to.match(/^Via: SIP\/2\.0\/UDP 127\.0\.0\.7:5060;rport=40123;branch=z9hG4bK-r\r$/m);
    s.close();
  });

  it('with forceRport off, answers a Via without rport at its sent-by port (5060 when absent), still at the source address', () => {
    const { stack: s, sent } = stack(false);
    s.receive(options('SIP/2.0/UDP 203.0.113.5:5070;branch=z9hG4bK-1'), SOURCE);
    s.receive(options('SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK-2'), SOURCE);
    s.receive(options('SIP/2.0/UDP 203.0.113.5:5070;rport;branch=z9hG4bK-3'), SOURCE);
    expect(sent.map((m) => m.to)).to.deep.equal([{ ...SOURCE, port: 5070 }, { ...SOURCE, port: 5060 }, SOURCE]);
    s.close();
  });

  it('answers a malformed request at its source too, whatever its Via says', () => {
    const { stack: s, sent } = stack(false);
    s.receive(options('SIP/2.0/UDP 198.51.100.1:5080;branch=z9hG4bK-m;rport', ['Content-Length: x']), SOURCE);
    expect(sent).to.have.length(1);
    expect(sent[0]?.text.split('\r\n')[0]).to.match(/^SIP\/2\.0 400 /);
    expect(sent[0]?.to).to.deep.equal(SOURCE);
    s.close();
  });

  it('never replies to a response: stray, malformed, or with a Via pointing at us', () => {
    const { stack: s, sent } = stack();
    const response = (status: string, extra = ''): Buffer =>
      Buffer.from(
        `SIP/2.0 ${status}\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-x\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: r\r\nCSeq: 1 OPTIONS\r\n${extra}Content-Length: 0\r\n\r\n`,
      );
    s.receive(response('200 OK'), SOURCE);
    s.receive(response('486 Busy Here'), SOURCE);
    s.receive(response('200 OK', 'Content-Length: 9\r\n'), SOURCE);
    s.receive(response('999 Nope'), SOURCE);
    expect(sent).to.deep.equal([]);
    s.close();
  });

  it('never resolves a name: no module of the SIP core or the SIP transports imports node:dns', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const files = [
      ...walk(join(root, 'sip/src')),
      join(root, 'signaling/src/transport/udp-transport.ts'),
      join(root, 'signaling/src/transport/tcp-transport.ts'),
      join(root, 'signaling/src/transport/stream-transport.ts'),
      join(root, 'signaling/src/transport/stream-connection.ts'),
    ];
    expect(files.length).to.be.above(10);
    const offenders = files.filter((f) => /from\s+['"](node:)?dns(\/promises)?['"]/.test(readFileSync(f, 'utf8')));
    expect(offenders).to.deep.equal([]);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}
