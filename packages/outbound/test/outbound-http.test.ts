import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCidrList, VoicebridgeError } from '@voicebridge/protocol';
import { freePort } from '../../../test/support/free-port.ts';
import { waitFor } from '../../../test/support/wait-for.ts';
import { OutboundHttp, OutboundPolicy, OutboundRefusedError, type Resolver } from '../src/index.ts';

/** A real HTTP server on 127.0.0.1 that records what reached it. */
async function localServer(answer: (response: ServerResponse) => void): Promise<{
  port: number;
  seen: { url: string; host: string | undefined; headers: IncomingHttpHeaders }[];
  close: () => Promise<void>;
}> {
  const seen: { url: string; host: string | undefined; headers: IncomingHttpHeaders }[] = [];
  const server: Server = createServer((request, response) => {
    seen.push({ url: request.url ?? '', host: request.headers.host, headers: request.headers });
    request.resume();
    answer(response);
  });
  server.listen(await freePort('tcp'), '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** DNS as a test wants it: fixed answers per name, counting the questions. */
function fixedResolver(answers: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    return (answers[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

const use = { insecure: true, maxResponseBytes: 64 * 1024, what: 'webhook tool lookup' };

describe('OutboundHttp (outbound URL policy at connect)', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  function client(resolver: Resolver, denyCidrs = '', options: { headersTimeoutMs?: number } = {}): OutboundHttp {
    const http = new OutboundHttp({
      policy: new OutboundPolicy({ denyCidrs: parseCidrList(denyCidrs || 'none'), resolve: resolver }),
      ...options,
    });
    closers.push(() => http.close());
    return http;
  }

  it('connects to the address the policy resolved and checked, keeping the Host header', async () => {
    const server = await localServer((response) => response.end('{"ok":true}'));
    closers.push(server.close);
    const resolver = fixedResolver({ 'hooks.example.test': ['127.0.0.1'] });
    const response = await client(resolver).request(
      `http://hooks.example.test:${server.port}/lookup`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
      use,
    );
    expect(response.status).to.equal(200);
    expect(await response.text()).to.equal('{"ok":true}');
    // The system resolver knows no hooks.example.test: the request went where ours said.
    expect(resolver.asked).to.deep.equal(['hooks.example.test']);
    expect(server.seen.map((s) => s.host)).to.deep.equal([`hooks.example.test:${server.port}`]);
  });

  it('refuses at connect a name that resolves to the metadata address; the server that would answer sees nothing', async () => {
    const server = await localServer((response) => response.end('{"ok":true}'));
    closers.push(server.close);
    // Checked at set time, the name was fine; now it also answers with the metadata address.
    const resolver = fixedResolver({ 'hooks.example.test': ['169.254.169.254', '127.0.0.1'] });
    const error: unknown = await client(resolver)
      .request(`http://hooks.example.test:${server.port}/lookup`, { method: 'POST', body: '{}' }, use)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(OutboundRefusedError);
    expect((error as OutboundRefusedError).code).to.equal('VB_CONFIG_INVALID');
    expect((error as Error).message).to.equal(
      'webhook tool lookup refused by the outbound URL policy: hooks.example.test resolves to 169.254.169.254 is a cloud metadata address',
    );
    expect(server.seen).to.deep.equal([]);
  });

  it('refuses at connect an address in OUTBOUND_DENY_CIDRS', async () => {
    const server = await localServer((response) => response.end('ok'));
    closers.push(server.close);
    const http = client(fixedResolver({ 'hooks.example.test': ['127.0.0.1'] }), '127.0.0.0/8');
    await expectRejection(
      http.request(`http://hooks.example.test:${server.port}/`, {}, use),
      /resolves to 127\.0\.0\.1 is in OUTBOUND_DENY_CIDRS/,
    );
    await expectRejection(
      http.request(`http://127.0.0.1:${server.port}/`, {}, use),
      /127\.0\.0\.1 is in OUTBOUND_DENY/,
    );
    expect(server.seen).to.deep.equal([]);
  });

  it('plain http without insecure reaches only loopback addresses, whatever the name', async () => {
    const server = await localServer((response) => response.end('ok'));
    closers.push(server.close);
    const strict = { ...use, insecure: false };
    const http = client(fixedResolver({ localhost: ['10.0.0.5'] }));
    await expectRejection(
      http.request(`http://localhost:${server.port}/`, {}, strict),
      /localhost resolves to 10\.0\.0\.5, not a loopback address/,
    );
    await expectRejection(http.request(`http://hooks.example.test:${server.port}/`, {}, strict), /must be https/);
    const ok = await http.request(`http://127.0.0.1:${server.port}/`, {}, strict);
    expect(await ok.text()).to.equal('ok');
  });

  it('never follows a redirect: the 3xx is the answer', async () => {
    const server = await localServer((response) => {
      response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      response.end();
    });
    closers.push(server.close);
    const response = await client(fixedResolver({})).request(`http://127.0.0.1:${server.port}/`, {}, use);
    expect(response.status).to.equal(302);
    expect(response.headers.get('location')).to.equal('http://169.254.169.254/latest/meta-data/');
    expect(server.seen).to.have.length(1);
  });

  it('stops reading a reply past maxResponseBytes, declared or streamed', async () => {
    const big = 'x'.repeat(200_000);
    const declared = await localServer((response) => response.end(big));
    closers.push(declared.close);
    const http = client(fixedResolver({}));
    await expectRejection(
      http.request(`http://127.0.0.1:${declared.port}/`, {}, { ...use, maxResponseBytes: 1000 }),
      /longer than 1000 bytes/,
    );
    const streamed = await localServer((response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 20; i += 1) response.write('y'.repeat(10_000));
      response.end();
    });
    closers.push(streamed.close);
    const response = await http.request(`http://127.0.0.1:${streamed.port}/`, {}, { ...use, maxResponseBytes: 50_000 });
    const error = await response.text().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(VoicebridgeError).with.property('code', 'VB_BAD_MESSAGE');
  });

  it('times out a server that never sends headers', async () => {
    const server = await localServer(() => {
      // Never answers.
    });
    closers.push(server.close);
    const http = client(fixedResolver({}), '', { headersTimeoutMs: 200 });
    const started = performance.now();
    const error = await http.request(`http://127.0.0.1:${server.port}/`, {}, use).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(VoicebridgeError).with.property('code', 'VB_REQUEST_TIMEOUT');
    expect(performance.now() - started).to.be.below(2000);
  });

  it('fails with the signal reason when aborted, and refuses requests once closed', async () => {
    const server = await localServer(() => {
      // Never answers.
    });
    closers.push(server.close);
    const http = client(fixedResolver({}));
    const controller = new AbortController();
    const pending = http.request(`http://127.0.0.1:${server.port}/`, { signal: controller.signal }, use);
    await waitFor('the request at the server', 5000, () => server.seen.length === 1);
    const reason = new Error('call ended');
    controller.abort(reason);
    expect(
      await pending.then(
        () => undefined,
        (e: unknown) => e,
      ),
    ).to.equal(reason);
    http.close();
    http.close();
    await expectRejection(http.request(`http://127.0.0.1:${server.port}/`, {}, use), /closed/);
  });

  it('serves clients written for fetch, without their redirect following', async () => {
    const server = await localServer((response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"a":1}');
    });
    closers.push(server.close);
    const fetcher = client(fixedResolver({ 'model.example.test': ['127.0.0.1'] })).fetcher(use);
    const response = await fetcher(`http://model.example.test:${server.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: '{}',
    });
    expect(await response.json()).to.deep.equal({ a: 1 });
    expect(server.seen[0]?.headers['authorization']).to.equal('Bearer k');
    expect(server.seen[0]?.url).to.equal('/v1/chat/completions');
  });
});

async function expectRejection(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'rejected').to.be.instanceOf(Error);
  expect((error as Error).message).to.match(pattern);
}
