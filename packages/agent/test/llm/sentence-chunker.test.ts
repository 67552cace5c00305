import { expect } from 'chai';
import { SentenceChunker, speakableClauses, type SentenceChunkerOptions } from '../../src/llm/sentence-chunker.ts';

/** Feeds the text one piece at a time (as a model streams it) and collects every clause. */
function chunk(pieces: string[], options?: SentenceChunkerOptions): string[] {
  const chunker = new SentenceChunker(options);
  return [...pieces.flatMap((piece) => chunker.push(piece)), ...chunker.flush()];
}

/** Every split of the text into single characters: the hardest token boundaries there are. */
function byCharacter(text: string, options?: SentenceChunkerOptions): string[] {
  return chunk([...text], options);
}

describe('SentenceChunker', () => {
  it('emits a sentence as soon as the character after its full stop arrives', () => {
    const chunker = new SentenceChunker();
    expect(chunker.push('Hello there')).to.deep.equal([]);
    expect(chunker.push('.')).to.deep.equal([]);
    expect(chunker.push(' How')).to.deep.equal(['Hello there.']);
    expect(chunker.push(' can I help?')).to.deep.equal([]);
    expect(chunker.flush()).to.deep.equal(['How can I help?']);
  });

  it('ends clauses at . ! ? ; and :', () => {
    expect(byCharacter('We are open. Great! Anything else? Yes; one thing: the price.')).to.deep.equal([
      'We are open.',
      'Great!',
      'Anything else?',
      'Yes;',
      'one thing:',
      'the price.',
    ]);
  });

  it('ends a clause at a comma only once the clause is long enough to be worth a pause', () => {
    expect(
      byCharacter('Sure, our opening hours on weekdays are nine to five, and on Saturdays ten to two.'),
    ).to.deep.equal(['Sure, our opening hours on weekdays are nine to five,', 'and on Saturdays ten to two.']);
    expect(byCharacter('Well, yes, maybe.', { commaMinChars: 3 })).to.deep.equal(['Well,', 'yes,', 'maybe.']);
  });

  it('never splits inside numbers, whatever the token boundaries', () => {
    const text = 'It costs 3.5 dollars, or 1,000 for the lot at 10:30 today. Version 2.0.1 is out.';
    expect(byCharacter(text)).to.deep.equal([
      'It costs 3.5 dollars, or 1,000 for the lot at 10:30 today.',
      'Version 2.0.1 is out.',
    ]);
    expect(chunk(['It costs 3', '.', '5 dollars.'])).to.deep.equal(['It costs 3.5 dollars.']);
  });

  it('does not end a sentence at abbreviations, initials or a list number', () => {
    expect(byCharacter('Ask Dr. Smith, e.g. on Monday. Mr. J. Doe agrees, i.e. yes.')).to.deep.equal([
      'Ask Dr. Smith, e.g. on Monday.',
      'Mr. J. Doe agrees, i.e. yes.',
    ]);
    expect(byCharacter('1. Call us. 2. Visit us.')).to.deep.equal(['1. Call us.', '2. Visit us.']);
    expect(byCharacter("I'm afraid not, no. Anything else?")).to.deep.equal(["I'm afraid not, no.", 'Anything else?']);
  });

  it('keeps closing quotes and brackets and runs of punctuation with their clause', () => {
    expect(byCharacter('He said "we are closed." (Really?!) Wait... ok.')).to.deep.equal([
      'He said "we are closed."',
      '(Really?!)',
      'Wait...',
      'ok.',
    ]);
  });

  it('ends a clause at a line break, as in a list without punctuation', () => {
    expect(chunk(['Options:\n- pizza\n', '- pasta\r\n\n- salad'])).to.deep.equal([
      'Options:',
      '- pizza',
      '- pasta',
      '- salad',
    ]);
  });

  it('flushes the unfinished rest, collapsing white space, and never emits an empty clause', () => {
    expect(chunk(['  and   then\t', 'nothing  '])).to.deep.equal(['and then nothing']);
    expect(chunk(['', '   ', '\n'])).to.deep.equal([]);
    expect(chunk(['Price: 3.'])).to.deep.equal(['Price:', '3.']);
  });

  it('cuts a run-on longer than maxChars at its last space, without waiting for the end', () => {
    const chunker = new SentenceChunker({ maxChars: 20 });
    expect(chunker.push('one two three four five six seven')).to.deep.equal(['one two three four']);
    expect(chunker.flush()).to.deep.equal(['five six seven']);
    expect(chunk(['x'.repeat(45)], { maxChars: 20 })).to.deep.equal(['x'.repeat(20), 'x'.repeat(20), 'x'.repeat(5)]);
  });

  it('is ready for the next text after a flush', () => {
    const chunker = new SentenceChunker();
    chunker.push('First answer');
    expect(chunker.flush()).to.deep.equal(['First answer']);
    expect(chunker.push('Second. ')).to.deep.equal(['Second.']);
  });
});

describe('speakableClauses', () => {
  it('yields each clause while the deltas are still arriving', async () => {
    const seen: string[] = [];
    async function* deltas(): AsyncGenerator<string> {
      for (const delta of ['Hi', ' there.', ' How', ' are', ' you?']) {
        seen.push(delta);
        yield delta;
      }
    }
    const clauses: Array<{ clause: string; deltasSeen: number }> = [];
    for await (const clause of speakableClauses(deltas())) clauses.push({ clause, deltasSeen: seen.length });
    expect(clauses).to.deep.equal([
      { clause: 'Hi there.', deltasSeen: 3 },
      { clause: 'How are you?', deltasSeen: 5 },
    ]);
  });
});
