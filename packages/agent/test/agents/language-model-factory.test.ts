import { expect } from 'chai';
import { OutboundHttp, OutboundPolicy, type Resolver } from '@voicebridge/outbound';
import { SecretEnvAllowList, VoicebridgeError } from '@voicebridge/protocol';
import { createLanguageModelFactory } from '../../src/agents/language-model-factory.ts';
import { LlmError } from '../../src/llm/llm-error.ts';
import { FakeOpenAiServer, streamText } from '../llm/fake-openai-server.ts';
import { collect, collectUntilError, textOf } from '../llm/llm-helpers.ts';
import { captureLog } from '../log-capture.ts';

describe('createLanguageModelFactory: logs', function () {
  this.timeout(20_000);
  let server: FakeOpenAiServer;

  let outbound: OutboundHttp;

  beforeEach(async () => {
    server = await FakeOpenAiServer.start();
    outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [] }) });
  });
  afterEach(async () => {
    outbound.close();
    await server.close();
  });

  it("writes a call's model request and answer on the call's logger, with its bindings, else on the worker's", async () => {
    const worker = captureLog();
    const call = captureLog();
    const models = createLanguageModelFactory({
      env: {},
      secretEnv: SecretEnvAllowList.default(),
      outbound,
      log: worker.log,
    });
    const config = { baseUrl: server.baseUrl, model: 'fake-model' };

    expect(textOf(await collect(models(config, call.log.child({ callId: 'c-1' }))))).to.equal('Hello.');
    expect(call.lines.map((line) => [line.level, line.msg, line['callId'], line['model']])).to.deep.equal([
      ['debug', 'llm request', 'c-1', 'fake-model'],
      ['debug', 'llm answer', 'c-1', 'fake-model'],
    ]);
    expect(worker.lines).to.deep.equal([]);

    await collect(models(config));
    expect(worker.lines.map((line) => line.msg)).to.deep.equal(['llm request', 'llm answer']);
  });
});

/** An environment that records which variables were read. */
function watchedEnv(values: Record<string, string>): { env: Record<string, string | undefined>; read: string[] } {
  const read: string[] = [];
  const env = new Proxy(values, {
    get: (target, name) => {
      if (typeof name === 'string') read.push(name);
      return typeof name === 'string' ? target[name] : undefined;
    },
  });
  return { env, read };
}

describe('language model factory: the key allow-list and the outbound URL policy', function () {
  this.timeout(20_000);
  let server: FakeOpenAiServer;
  let outbound: OutboundHttp;
  /** The model's host name, answered by the test: 127.0.0.1 (the fake server) or a refused address. */
  let modelHostAddress: string;
  const resolve: Resolver = (hostname) =>
    Promise.resolve(hostname === 'model.example.test' ? [{ address: modelHostAddress, family: 4 }] : []);

  beforeEach(async () => {
    server = await FakeOpenAiServer.start();
    server.respondWith(streamText(['Hello', '.']));
    outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [], resolve }) });
    modelHostAddress = '127.0.0.1';
  });
  afterEach(async () => {
    outbound.close();
    await server.close();
  });

  it('refuses a key variable off AGENT_SECRET_ENV without reading it, naming the list', () => {
    const { env, read } = watchedEnv({ ADMIN_TOKEN: 'admin-secret', OPENAI_API_KEY: 'sk-x' });
    const models = createLanguageModelFactory({ env, secretEnv: SecretEnvAllowList.default(), outbound });
    const build = (): unknown => models({ baseUrl: server.baseUrl, model: 'm', apiKeyEnv: 'ADMIN_TOKEN' });
    expect(build).to.throw(
      VoicebridgeError,
      /^llm\.apiKeyEnv: environment variable ADMIN_TOKEN is not on the agent's secret allow-list \(AGENT_SECRET_ENV=OPENAI_API_KEY,.*VB_SECRET_\*\)/,
    );
    expect(read).to.deep.equal([]);
    expect(() => models({ baseUrl: server.baseUrl, model: 'm', apiKeyEnv: 'OPENAI_API_KEY' })).to.not.throw();
    expect(read).to.deep.equal(['OPENAI_API_KEY']);
  });

  it('refuses a model URL at the metadata address before any request', () => {
    const models = createLanguageModelFactory({ env: {}, secretEnv: SecretEnvAllowList.default(), outbound });
    expect(() => models({ baseUrl: 'http://169.254.169.254/v1', model: 'm' }, undefined, { insecure: true })).to.throw(
      VoicebridgeError,
      'llm.baseUrl refused by the outbound URL policy: 169.254.169.254 is a cloud metadata address',
    );
    expect(() => models({ baseUrl: 'http://models.internal:8000/v1', model: 'm' })).to.throw(/must be https/);
  });

  it('at connect, a model name that now resolves to the metadata address is refused, not retried; the server never hears of it', async () => {
    const port = new URL(server.baseUrl).port;
    const config = { baseUrl: `http://model.example.test:${port}/v1`, model: 'm' };
    const models = createLanguageModelFactory({ env: {}, secretEnv: SecretEnvAllowList.default(), outbound });
    // While the name resolves to 127.0.0.1, the local server answers it.
    expect(
      (await collect(models(config, undefined, { insecure: true }))).some((event) => event.type === 'text'),
    ).to.equal(true);
    expect(server.requests).to.have.length(1);
    // A new connection (a kept-alive one stays with the address checked when it opened) resolves again.
    outbound.close();
    outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [], resolve }) });
    modelHostAddress = '169.254.169.254';
    const again = createLanguageModelFactory({ env: {}, secretEnv: SecretEnvAllowList.default(), outbound });
    const { error } = await collectUntilError(again(config, undefined, { insecure: true }));
    expect(error).to.be.instanceOf(LlmError);
    expect((error as LlmError).code).to.equal('VB_CONFIG_INVALID');
    expect((error as LlmError).retryable).to.equal(false);
    expect((error as LlmError).message).to.include(
      'model.example.test resolves to 169.254.169.254 is a cloud metadata address',
    );
    expect(server.requests).to.have.length(1);
  });
});
