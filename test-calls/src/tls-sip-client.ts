import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { schedule } from '../../test/support/wait-for.ts';

/** A self-signed certificate for 127.0.0.1 (IP SAN), made with the openssl CLI in a temp dir. */
export function selfSignedCertificate(): { dir: string; cert: string; key: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'vb-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { dir, cert, key, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface SipTextMessage {
  startLine: string;
  headers: Map<string, string[]>;
  body: string;
  raw: string;
}

/**
 * A minimal SIP-over-TLS user agent for tests: one TLS connection, messages framed by Content-Length
 * (RFC 3261 §18.3), and a way to wait for the next message that matches.
 */
export class TlsSipClient {
  readonly socket: TLSSocket;
  readonly received: SipTextMessage[] = [];
  #buffer = '';
  #waiters: { match: (m: SipTextMessage) => boolean; resolve: (m: SipTextMessage) => void }[] = [];

  private constructor(socket: TLSSocket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
  }

  static connect(port: number, ca: Buffer): Promise<TlsSipClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca, minVersion: 'TLSv1.2' }, () =>
        resolve(new TlsSipClient(socket)),
      );
      socket.once('error', reject);
    });
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  next(match: (m: SipTextMessage) => boolean, timeoutMs = 20_000): Promise<SipTextMessage> {
    const found = this.received.find(match);
    if (found) {
      this.received.splice(this.received.indexOf(found), 1);
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const cancel = schedule(timeoutMs, () =>
        reject(
          new Error(
            `no matching SIP message in ${timeoutMs} ms; got:\n${this.received.map((m) => m.startLine).join('\n')}`,
          ),
        ),
      );
      this.#waiters.push({
        match,
        resolve: (m) => {
          cancel();
          resolve(m);
        },
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    for (;;) {
      this.#buffer = this.#buffer.replace(/^(\r\n)+/, '');
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.#buffer.slice(0, end);
      const length = Number(/\r\n(?:Content-Length|l)\s*:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.#buffer.length < end + 4 + length) return;
      const body = this.#buffer.slice(end + 4, end + 4 + length);
      this.#buffer = this.#buffer.slice(end + 4 + length);
      const [startLine = '', ...lines] = head.split('\r\n');
      const headers = new Map<string, string[]>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      const message = { startLine, headers, body, raw: `${head}\r\n\r\n${body}` };
      const waiter = this.#waiters.find((w) => w.match(message));
      if (waiter) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      } else {
        this.received.push(message);
      }
    }
  }
}
