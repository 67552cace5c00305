import { expect } from 'chai';
import { ChunkAssembler, MalformedChunk } from '../../src/llm/chat-completion-wire.ts';
import { LlmError, parseRetryAfter } from '../../src/llm/llm-error.ts';
import { scrub } from '../../src/llm/provider-errors.ts';

function assemble(chunks: unknown[]): unknown[] {
  const answer = new ChunkAssembler();
  return [...chunks.flatMap((chunk) => answer.accept(chunk)), ...answer.finish()];
}

function toolDelta(fragments: unknown[]): unknown {
  return { choices: [{ index: 0, delta: { tool_calls: fragments }, finish_reason: null }] };
}

describe('ChunkAssembler', () => {
  it('reads a tool call sent whole in one chunk, and empty arguments as {}', () => {
    expect(
      assemble([
        toolDelta([{ index: 0, id: 'call_x', type: 'function', function: { name: 'end_call', arguments: '' } }]),
      ]),
    ).to.deep.equal([
      { type: 'tool_call', id: 'call_x', name: 'end_call', arguments: '{}' },
      { type: 'done', finishReason: 'tool_calls' },
    ]);
  });

  it('does not double a name or id that a server repeats with every fragment', () => {
    const fragment = (args: string): unknown => ({
      index: 0,
      id: 'call_1',
      function: { name: 'send_dtmf', arguments: args },
    });
    expect(assemble([toolDelta([fragment('{"digits"')]), toolDelta([fragment(':"12#"}')])])[0]).to.deep.equal({
      type: 'tool_call',
      id: 'call_1',
      name: 'send_dtmf',
      arguments: '{"digits":"12#"}',
    });
  });

  it('tells calls apart by id when a server leaves out the index, and names an id-less call by its index', () => {
    const events = assemble([
      toolDelta([{ id: 'a', function: { name: 'one', arguments: '{"x":' } }]),
      toolDelta([{ id: 'b', function: { name: 'two', arguments: { y: 2 } } }]),
      toolDelta([{ id: 'a', function: { arguments: '1}' } }]),
      toolDelta([{ index: 2, function: { name: 'three' } }]),
    ]);
    expect(events.slice(0, 3)).to.deep.equal([
      { type: 'tool_call', id: 'a', name: 'one', arguments: '{"x":1}' },
      { type: 'tool_call', id: 'b', name: 'two', arguments: '{"y":2}' },
      { type: 'tool_call', id: 'call_2', name: 'three', arguments: '{}' },
    ]);
  });

  it('ignores choices other than the first, role-only deltas and null content', () => {
    const chunks = [
      { choices: [{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }] },
      {
        choices: [
          { index: 0, delta: { content: 'a' } },
          { index: 1, delta: { content: 'b' } },
        ],
      },
      { choices: [{ index: 0, delta: {}, finish_reason: 'length' }] },
    ];
    expect(assemble(chunks)).to.deep.equal([
      { type: 'text', delta: 'a' },
      { type: 'done', finishReason: 'length' },
    ]);
  });

  it('counts a tool-call fragment as the first token, as well as text, but not a role-only delta', () => {
    const answer = new ChunkAssembler();
    answer.accept({ choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] });
    expect(answer.started).to.equal(false);
    answer.accept(toolDelta([{ index: 0, id: 'c', function: { name: 'end_call' } }]));
    expect(answer.started).to.equal(true);
  });

  it('reports "unknown" as the finish reason when the server gave none before [DONE]', () => {
    expect(assemble([{ choices: [{ delta: { content: 'x' } }] }]).at(-1)).to.deep.equal({
      type: 'done',
      finishReason: 'unknown',
    });
  });

  it('rejects chunks that do not follow the format, and a tool call without a name', () => {
    for (const bad of [null, [], 'text', { choices: {} }, { choices: [3] }, toolDelta(['x'])]) {
      expect(() => new ChunkAssembler().accept(bad), JSON.stringify(bad)).to.throw(MalformedChunk);
    }
    const answer = new ChunkAssembler();
    answer.accept(toolDelta([{ index: 0, id: 'c', function: { arguments: '{}' } }]));
    expect(() => answer.finish()).to.throw(MalformedChunk, /no name/);
  });
});

describe('LlmError helpers', () => {
  it('reads Retry-After as seconds or an HTTP date, in ms, and nothing from garbage', () => {
    const now = Date.parse('2026-11-24T01:00:00Z');
    expect(parseRetryAfter('120', now)).to.equal(120_000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 01:00:30 GMT', now)).to.equal(30_000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 00:59:00 GMT', now)).to.equal(0);
    expect(parseRetryAfter('soon', now)).to.equal(undefined);
    expect(parseRetryAfter('-5', now)).to.equal(undefined);
    expect(parseRetryAfter(null, now)).to.equal(undefined);
  });

  it('scrubs the key, bearer tokens and key-shaped strings from provider messages and shortens them', () => {
    expect(scrub('bad key abcd1234efgh5678 given', 'abcd1234efgh5678')).to.equal('bad key [redacted] given');
    expect(scrub('Authorization: Bearer whatever-token here', undefined)).to.equal(
      'Authorization: Bearer [redacted] here',
    );
    expect(scrub('keys gsk_abcdefghijklmnop and sk-proj-abc***xyz1', undefined)).to.equal(
      'keys [redacted] and [redacted]',
    );
    expect(scrub('x'.repeat(500), undefined)).to.have.length(201);
  });

  it('carries code, retryability from the protocol table, the provider and the HTTP details', () => {
    const error = new LlmError('api.groq.com', 'VB_ENGINE_FAILED', 'rate limited (429)', {
      status: 429,
      retryAfterMs: 2000,
    });
    expect(error).to.include({
      name: 'LlmError',
      code: 'VB_ENGINE_FAILED',
      retryable: true,
      provider: 'api.groq.com',
      status: 429,
      retryAfterMs: 2000,
    });
    expect(error.message).to.equal('api.groq.com: rate limited (429)');
    expect(new LlmError('x', 'VB_CONFIG_INVALID', 'no').retryable).to.equal(false);
    expect(new LlmError('x', 'VB_REQUEST_TIMEOUT', 'slow').retryable).to.equal(true);
  });
});
