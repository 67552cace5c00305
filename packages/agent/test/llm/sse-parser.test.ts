import { expect } from 'chai';
import { SseParser, type SseEvent } from '../../src/llm/sse-parser.ts';

function parse(pieces: string[]): SseEvent[] {
  const parser = new SseParser();
  return pieces.flatMap((piece) => parser.push(piece));
}

/** The stream cut after every character: chunk boundaries anywhere, including inside a CRLF. */
function parseByCharacter(text: string): SseEvent[] {
  return parse([...text]);
}

describe('SseParser', () => {
  it('dispatches an event at the blank line after its data', () => {
    const parser = new SseParser();
    expect(parser.push('data: {"a":1}\n')).to.deep.equal([]);
    expect(parser.push('\n')).to.deep.equal([{ event: 'message', data: '{"a":1}' }]);
  });

  it('accepts LF, CRLF and CR line endings, split anywhere across chunks', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const stream = `data: one${eol}${eol}data: two${eol}${eol}data: [DONE]${eol}${eol}`;
      const expected = ['one', 'two', '[DONE]'].map((data) => ({ event: 'message', data }));
      expect(parseByCharacter(stream), JSON.stringify(eol)).to.deep.equal(expected);
      expect(parse([stream]), JSON.stringify(eol)).to.deep.equal(expected);
    }
  });

  it('does not count the LF of a CRLF split across chunks as a second line ending', () => {
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).to.deep.equal([{ event: 'message', data: 'a\nb' }]);
  });

  it('joins multi-line data with LF and drops only one space after the colon', () => {
    expect(parse(['data: first\ndata:second\ndata:  third\ndata\n\n'])).to.deep.equal([
      { event: 'message', data: 'first\nsecond\n third\n' },
    ]);
  });

  it('ignores comments, unknown fields, retry, and events without data', () => {
    expect(parse([': keep-alive\n\nretry: 1000\nfoo: bar\n\nevent: ping\n\n:\ndata: x\n\n'])).to.deep.equal([
      { event: 'message', data: 'x' },
    ]);
  });

  it('carries the event name and the last event id', () => {
    expect(parse(['event: error\nid: 7\ndata: boom\n\ndata: next\n\n'])).to.deep.equal([
      { event: 'error', data: 'boom', id: '7' },
      { event: 'message', data: 'next', id: '7' },
    ]);
  });

  it('ignores a byte-order mark at the start and discards an unfinished last event', () => {
    expect(parse(['\uFEFF', 'data: a\n\ndata: cut off'])).to.deep.equal([{ event: 'message', data: 'a' }]);
  });
});
