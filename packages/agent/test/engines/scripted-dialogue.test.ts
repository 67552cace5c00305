import { expect } from 'chai';
import { ScriptedDialogue } from '../../src/scripted/scripted-dialogue.ts';

const answers = [
  { keyword: 'hours', text: 'We are open nine to five.' },
  { keyword: 'price', text: 'A ticket costs ten euros.' },
  { keyword: 'address', text: 'We are at 1 Main Street.' },
];

describe('ScriptedDialogue', () => {
  it('greets with the configured greeting', () => {
    expect(new ScriptedDialogue({ greeting: 'Welcome to the museum.', answers }).greeting()).to.equal(
      'Welcome to the museum.',
    );
  });

  it('greets by listing the keywords when no greeting is configured', () => {
    expect(new ScriptedDialogue({ answers }).greeting()).to.equal(
      'Hello. You can ask me about hours, price or address.',
    );
    expect(new ScriptedDialogue({ greeting: '  ', answers: [] }).greeting()).to.equal(
      'Hello. Say something and I will tell you what I heard.',
    );
  });

  it('answers the text of a keyword it hears, whatever the case', () => {
    const dialogue = new ScriptedDialogue({ answers });
    expect(dialogue.reply('what are your opening hours')).to.equal('We are open nine to five.');
    expect(dialogue.reply('WHAT IS THE PRICE')).to.equal('A ticket costs ten euros.');
  });

  it('matches whole words only', () => {
    const dialogue = new ScriptedDialogue({ answers: [{ keyword: 'art', text: 'Art is on floor two.' }] });
    expect(dialogue.reply('where do I start')).to.match(/^I heard: where do I start\./);
    expect(dialogue.reply('is there art here')).to.equal('Art is on floor two.');
  });

  it('matches simple plurals both ways', () => {
    const dialogue = new ScriptedDialogue({
      answers: [
        { keyword: 'hour', text: 'hours answer' },
        { keyword: 'prices', text: 'prices answer' },
        { keyword: 'address', text: 'address answer' },
        { keyword: 'city', text: 'city answer' },
      ],
    });
    expect(dialogue.reply('your hours please')).to.equal('hours answer');
    expect(dialogue.reply('the price of a ticket')).to.equal('prices answer');
    expect(dialogue.reply('both addresses')).to.equal('address answer');
    expect(dialogue.reply('which cities')).to.equal('city answer');
  });

  it('lets the first configured keyword win when several are heard', () => {
    const dialogue = new ScriptedDialogue({ answers });
    expect(dialogue.reply('the address and the price and the hours')).to.equal('We are open nine to five.');
  });

  it('matches a keyword of several words as a phrase', () => {
    const dialogue = new ScriptedDialogue({ answers: [{ keyword: 'opening hours', text: 'Nine to five.' }] });
    expect(dialogue.reply('what are your opening hours')).to.equal('Nine to five.');
    expect(dialogue.reply('opening soon, hours later')).to.match(/^I heard:/);
  });

  it('falls back to saying what it heard and listing the keywords', () => {
    const dialogue = new ScriptedDialogue({ answers });
    expect(dialogue.reply('  can I bring   my dog ')).to.equal(
      'I heard: can I bring my dog. Ask me about hours, price or address.',
    );
    expect(new ScriptedDialogue({ answers: [] }).reply('hello')).to.equal('I heard: hello.');
  });

  it('puts what it heard wherever {heard} is in a configured fallback', () => {
    const dialogue = new ScriptedDialogue({
      answers,
      fallback: 'You said {heard}; I only know hours. Again: {heard}.',
    });
    expect(dialogue.reply('a $& b')).to.equal('You said a $& b; I only know hours. Again: a $& b.');
    expect(new ScriptedDialogue({ answers, fallback: 'Please hold.' }).reply('dog')).to.equal('Please hold.');
  });

  it('reprompts when it heard nothing', () => {
    expect(new ScriptedDialogue({ answers }).reply('')).to.equal(
      'Sorry, I did not catch that. You can ask me about hours, price or address.',
    );
    expect(new ScriptedDialogue({ answers: [] }).reply(' \n ')).to.equal('Sorry, I did not catch that.');
  });

  it('lists at most five topics', () => {
    const many = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6'].map((keyword) => ({ keyword, text: keyword }));
    expect(new ScriptedDialogue({ answers: many }).greeting()).to.equal(
      'Hello. You can ask me about a1, b2, c3, d4 and more.',
    );
  });

  it('is deterministic', () => {
    const dialogue = new ScriptedDialogue({ answers });
    expect(dialogue.reply('tell me something')).to.equal(dialogue.reply('tell me something'));
  });
});
