import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { parseCidr, type Cidr } from '@voicebridge/protocol';
import type { Endpoint } from '@voicebridge/sip';
import { waitFor, withTimeout } from '../../../../test/support/wait-for.ts';
import { TlsSipTransport } from '../../src/transport/tls-transport.ts';

const OPTIONS = [
  'OPTIONS sip:x@127.0.0.1 SIP/2.0',
  'Via: SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bKtls',
  'From: <sip:a@b>;tag=1',
  'To: <sip:x@127.0.0.1>',
  'Call-ID: tls1',
  'CSeq: 1 OPTIONS',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

/** A CA, a server certificate for 127.0.0.1 and a client certificate, both signed by the CA (openssl CLI). */
function pki(dir: string): Record<'ca' | 'caKey' | 'cert' | 'key' | 'clientCert' | 'clientKey', string> {
  const path = (name: string) => join(dir, name);
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=voicebridge test CA');
  for (const [name, subject, san] of [
    ['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
    ['client', '/CN=carrier', 'subjectAltName=DNS:carrier.test'],
  ] as const) {
    run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    execFileSync('sh', ['-c', `printf '%s' '${san}' > ${name}.ext`], { cwd: dir });
    run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  }
  return {
    ca: path('ca.pem'),
    caKey: path('ca.key'),
    cert: path('server.pem'),
    key: path('server.key'),
    clientCert: path('client.pem'),
    clientKey: path('client.key'),
  };
}

describe('TlsSipTransport (node:tls, real handshakes)', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'vb-tls-unit-'));
  const files = pki(dir);
  const transports: TlsSipTransport[] = [];
  const sockets: TLSSocket[] = [];
  after(async () => {
    for (const s of sockets) s.destroy();
    for (const t of transports) await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function listen(
    verifyClient: boolean,
  ): Promise<{ port: number; got: { text: string; from: Endpoint }[]; transport: TlsSipTransport }> {
    const got: { text: string; from: Endpoint }[] = [];
    const transport = new TlsSipTransport({
      bindAddress: '127.0.0.1',
      port: 0,
      allowed: [parseCidr('127.0.0.0/8') as Cidr],
      log: pino({ level: 'silent' }),
      cert: readFileSync(files.cert),
      key: readFileSync(files.key),
      ca: readFileSync(files.ca),
      verifyClient,
      onMessage: (data, from) => got.push({ text: data.toString(), from }),
    });
    transports.push(transport);
    return { port: (await transport.listen()).port, got, transport };
  }

  /**
   * Connects, sends `send` once the handshake is done, and resolves `result` with the bytes the server
   * sent back or the error that ended the connection (destroyed after the test).
   */
  function exchange(
    port: number,
    extra: Partial<ConnectionOptions>,
    send: string,
  ): { socket: TLSSocket; result: Promise<{ reply?: string; error?: Error }> } {
    const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(files.ca), ...extra }, () => socket.write(send));
    sockets.push(socket);
    const result = new Promise<{ reply?: string; error?: Error }>((resolve) => {
      socket.on('data', (data: Buffer) => {
        socket.destroy();
        resolve({ reply: data.toString() });
      });
      socket.on('error', (error) => resolve({ error }));
      socket.on('close', () => resolve({}));
    });
    return { socket, result: withTimeout(result, 'a reply or the end of the connection', 5000) };
  }

  it('frames a message from a TLS client and answers on the same connection, marked tls', async () => {
    const server = await listen(false);
    const result = new Promise<{ reply?: string; error?: Error }>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: server.port, ca: readFileSync(files.ca) }, () =>
        socket.write(OPTIONS),
      );
      socket.on('data', (data: Buffer) => {
        socket.destroy();
        resolve({ reply: data.toString() });
      });
      socket.on('error', (error) => resolve({ error }));
    });
    await waitFor('the OPTIONS at the server', 2000, () => server.got.length > 0);
    expect(server.got[0]?.from.transport).to.equal('tls');
    expect(server.got[0]?.text).to.include('Call-ID: tls1');
    server.transport.send(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'), server.got[0]!.from);
    expect((await result).reply).to.match(/^SIP\/2\.0 200 OK/);
  });

  it('with SIP_TLS_VERIFY_CLIENT refuses a client without a certificate and takes one signed by the CA', async () => {
    const server = await listen(true);
    expect((await exchange(server.port, {}, OPTIONS).result).reply, 'no reply without a certificate').to.equal(
      undefined,
    );
    expect(server.got, 'nothing from a client without a certificate').to.have.length(0);
    exchange(server.port, { cert: readFileSync(files.clientCert), key: readFileSync(files.clientKey) }, OPTIONS);
    await waitFor('the OPTIONS from the client with a certificate', 2000, () => server.got.length === 1);
  });

  it('refuses TLS 1.1', async () => {
    const server = await listen(false);
    const old = await exchange(server.port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }, OPTIONS).result;
    expect(old.error).to.be.instanceOf(Error);
    expect(server.got).to.have.length(0);
  });
});
