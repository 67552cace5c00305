import { expect } from 'chai';
import { keywordDistance, phoneCost } from '../../src/scripted/phone-distance.ts';
import { PronouncingDictionary } from '../../src/scripted/pronouncing-dictionary.ts';
import { DEFAULT_SOUND_THRESHOLD, PronunciationMatcher } from '../../src/scripted/pronunciation-matcher.ts';
import { ScriptedDialogue } from '../../src/scripted/scripted-dialogue.ts';
import { POCKETSPHINX_DEFAULTS } from '../../src/stt/pocketsphinx-pool.ts';

/** The real CMU dictionary of Debian's pocketsphinx-en-us, as the agent reads it. */
const dictionary = new PronouncingDictionary(POCKETSPHINX_DEFAULTS.dictPath);

const words = (text: string): string[] => text.split(' ');

describe('phone distance', () => {
  it('costs nothing for the same phone, less for a near sound than for an unrelated one', () => {
    expect(phoneCost('B', 'B')).to.equal(0);
    expect(phoneCost('P', 'B')).to.equal(0.4); // voicing only
    expect(phoneCost('B', 'P')).to.equal(0.4);
    expect(phoneCost('UH', 'AH')).to.equal(0.5); // a vowel for a vowel
    expect(phoneCost('M', 'NG')).to.equal(0.7); // both nasals
    expect(phoneCost('P', 'S')).to.equal(1);
    expect(phoneCost('AA', 'K')).to.equal(1);
  });

  it('finds a keyword anywhere a heard word starts, divided by its length', () => {
    const parking = ['P', 'AA', 'R', 'K', 'IH', 'NG'];
    // "there are barking": DH EH R | AA R | B AA R K IH NG
    const heard = ['DH', 'EH', 'R', 'AA', 'R', 'B', 'AA', 'R', 'K', 'IH', 'NG'];
    expect(keywordDistance(parking, heard, new Set([0, 3, 5]))).to.be.closeTo(0.4 / 6, 1e-9);
    expect(keywordDistance(parking, [...parking], new Set([0]))).to.equal(0);
  });

  it('does not find a keyword inside a heard word, only from its start', () => {
    // "sparking" as one word: the keyword would fit exactly from its second phone.
    const heard = ['S', 'P', 'AA', 'R', 'K', 'IH', 'NG'];
    const parking = ['P', 'AA', 'R', 'K', 'IH', 'NG'];
    expect(keywordDistance(parking, heard, new Set([0]))).to.be.closeTo(1 / 6, 1e-9);
    expect(keywordDistance(parking, heard, new Set([0, 1]))).to.equal(0);
  });

  it('counts a missing or an extra phone as a whole one', () => {
    const bread = ['B', 'R', 'EH', 'D'];
    expect(keywordDistance(bread, ['B', 'EH', 'D'], new Set([0]))).to.equal(0.25);
    expect(keywordDistance(bread, ['B', 'R', 'EH', 'AH', 'D'], new Set([0]))).to.equal(0.25);
  });

  it('is infinite for an empty keyword', () => {
    expect(keywordDistance([], ['B'], new Set([0]))).to.equal(Infinity);
  });
});

describe('PronouncingDictionary', () => {
  before(() => dictionary.load(AbortSignal.timeout(10_000)));

  it('gives every pronunciation of a word, alternates included', () => {
    expect(dictionary.pronunciations('address')).to.deep.equal([
      ['AE', 'D', 'R', 'EH', 'S'],
      ['AH', 'D', 'R', 'EH', 'S'],
    ]);
    expect(dictionary.pronunciations('bread')).to.deep.equal([['B', 'R', 'EH', 'D']]);
  });

  it('gives nothing for a word it lacks, a phrase, or before it is loaded', () => {
    expect(dictionary.pronunciations('voicebridgez')).to.deep.equal([]);
    expect(dictionary.pronunciations('opening hours')).to.deep.equal([]);
    expect(new PronouncingDictionary(POCKETSPHINX_DEFAULTS.dictPath).pronunciations('bread')).to.deep.equal([]);
  });

  it('remembers a lookup: the second is the same answer', () => {
    expect(dictionary.pronunciations('parking')).to.equal(dictionary.pronunciations('parking'));
  });

  it('rejects a file it cannot read, and reads it on a later try', async () => {
    const missing = new PronouncingDictionary('/nonexistent/cmudict.dict');
    let error: unknown;
    await missing.load(AbortSignal.timeout(5_000)).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/ENOENT/);
    expect(missing.loaded).to.equal(false);
  });
});

describe('PronunciationMatcher', () => {
  before(() => dictionary.load(AbortSignal.timeout(10_000)));
  const keywords = [['hours'], ['price'], ['bread'], ['books'], ['parking']];
  const matcher = new PronunciationMatcher(dictionary, DEFAULT_SOUND_THRESHOLD);

  it('hears a keyword the recogniser wrote as a near-sounding word', () => {
    expect(matcher.match(words('do you tell brett'), keywords)).to.deep.include({ index: 2 });
    expect(matcher.match(words('there are barking'), keywords)?.index).to.equal(4);
  });

  it('does not take a near miss one phone short of a short keyword for it: "bed" is not "bread"', () => {
    const runs = matcher.heardRuns(words('is the bed comfortable'));
    expect(matcher.distance(runs, ['bread'])).to.equal(0.25);
    expect(matcher.match(words('is the bed comfortable'), keywords)).to.equal(undefined);
    // The same sentence matches once the threshold admits one phone of four missing.
    expect(new PronunciationMatcher(dictionary, 0.25).match(words('is the bed comfortable'), keywords)?.index).to.equal(
      2,
    );
  });

  it('matches nothing in unrelated speech', () => {
    expect(matcher.match(words('can i bring my dog'), keywords)).to.equal(undefined);
    expect(matcher.match(words('thank you very much'), keywords)).to.equal(undefined);
  });

  it('prefers the closest keyword', () => {
    // "bread" exactly, "price" not at all, "parking" far.
    expect(matcher.match(words('bread'), [['parking'], ['bread'], ['price']])).to.deep.equal({ index: 1, distance: 0 });
  });

  it('never matches by sound a keyword missing from the dictionary', () => {
    expect(matcher.match(words('voicebridgez please'), [['voicebridgez']])).to.equal(undefined);
  });

  it('lets a heard word missing from the dictionary split what was heard', () => {
    // "par" + unknown + "king" must not join into "parking".
    const runs = matcher.heardRuns(['par', 'xqzt', 'king']);
    expect(runs).to.have.length(2);
    expect(matcher.distance(runs, ['parking'])).to.be.greaterThan(DEFAULT_SOUND_THRESHOLD);
  });

  it('refuses a threshold outside [0, 1)', () => {
    expect(() => new PronunciationMatcher(dictionary, 1)).to.throw(RangeError, /threshold/);
    expect(() => new PronunciationMatcher(dictionary, -0.1)).to.throw(RangeError, /threshold/);
    expect(() => new PronunciationMatcher(dictionary, Number.NaN)).to.throw(RangeError, /threshold/);
  });
});

describe('ScriptedDialogue matching by sound', () => {
  before(() => dictionary.load(AbortSignal.timeout(10_000)));
  const answers = [
    { keyword: 'price', text: 'Three dollars.' },
    { keyword: 'bread', text: 'Baked every morning.' },
  ];
  const dialogue = new ScriptedDialogue({ answers }, new PronunciationMatcher(dictionary, DEFAULT_SOUND_THRESHOLD));

  it('answers a keyword heard as a near-sounding word', () => {
    expect(dialogue.reply('do you tell brett')).to.equal('Baked every morning.');
    expect(dialogue.topicOf('do you tell brett')).to.equal('bread');
  });

  it('lets a keyword heard by spelling win over one that only sounds near', () => {
    expect(dialogue.reply('the price of brett')).to.equal('Three dollars.');
  });

  it('still says what it heard when nothing sounds like a keyword', () => {
    expect(dialogue.reply('is the bed comfortable')).to.match(/^I heard: is the bed comfortable\./);
  });
});
