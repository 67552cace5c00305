import { expect } from 'chai';
import { PocketsphinxOutputParser, type RecognizedUtterance } from '../../src/stt/pocketsphinx-output.ts';

const OUTPUT = [
  'what are your opening hours',
  '<s> 4.370 4.450 1.000100',
  'what(2) 4.460 4.710 0.523313',
  '<sil> 4.720 4.890 0.999800',
  'hours 5.770 6.420 0.999500',
  '</s> 6.430 6.860 1.000000',
  '',
  '<s> 7.000 7.400 1.000000',
  '</s> 7.410 7.900 1.000000',
  '',
].join('\n');

function parseAll(chunks: string[], flush = false): RecognizedUtterance[] {
  const utterances: RecognizedUtterance[] = [];
  const parser = new PocketsphinxOutputParser((utterance) => utterances.push(utterance));
  for (const chunk of chunks) parser.push(chunk);
  if (flush) parser.flush();
  return utterances;
}

describe('PocketsphinxOutputParser', () => {
  it('turns the hypothesis and -time segments into utterances, without fillers or pronunciation marks', () => {
    const [first, second] = parseAll([OUTPUT]);
    expect(first).to.deep.equal({
      text: 'what are your opening hours',
      words: [
        { word: 'what', startMs: 4460, endMs: 4710 },
        { word: 'hours', startMs: 5770, endMs: 6420 },
      ],
      startMs: 4370,
      endMs: 6860,
    });
    expect(second).to.deep.equal({ text: '', words: [], startMs: 7000, endMs: 7900 });
  });

  it('gives the same utterances however the output is chunked', () => {
    const byteByByte = parseAll(OUTPUT.split(''));
    expect(byteByByte).to.deep.equal(parseAll([OUTPUT]));
  });

  it('completes an utterance without </s> at the next hypothesis or on flush', () => {
    const text = 'hello\nhello 0.100 0.500 0.9\nbye\nbye 1.000 1.300 0.8\n';
    expect(parseAll([text]).map((u) => u.text)).to.deep.equal(['hello']);
    expect(parseAll([text], true).map((u) => u.text)).to.deep.equal(['hello', 'bye']);
  });
});
