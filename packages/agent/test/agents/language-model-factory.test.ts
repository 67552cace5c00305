import { expect } from 'chai';
import { createLanguageModelFactory } from '../../src/agents/language-model-factory.ts';
import { FakeOpenAiServer } from '../llm/fake-openai-server.ts';
import { collect, textOf } from '../llm/llm-helpers.ts';
import { captureLog } from '../log-capture.ts';

describe('createLanguageModelFactory: logs', function () {
  this.timeout(20_000);
  let server: FakeOpenAiServer;

  beforeEach(async () => {
    server = await FakeOpenAiServer.start();
  });
  afterEach(async () => {
    await server.close();
  });

  it("writes a call's model request and answer on the call's logger, with its bindings, else on the worker's", async () => {
    const worker = captureLog();
    const call = captureLog();
    const models = createLanguageModelFactory({ env: {}, log: worker.log });
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
