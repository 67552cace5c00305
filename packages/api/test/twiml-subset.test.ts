import { expect } from 'chai';
import { parseTwiml } from '../src/twiml-subset.ts';

/** The TwiML subset of the Twilio-compatible route (https://www.twilio.com/docs/voice/twiml). */
describe('parseTwiml: <Hangup/>, <Dial>, <Play digits> and nothing else', () => {
  it('reads the three verbs in their usual spellings', () => {
    expect(parseTwiml('<Response><Hangup/></Response>')).to.deep.equal({ verb: 'hangup' });
    expect(
      parseTwiml('<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Hangup></Hangup>\n</Response>\n'),
    ).to.deep.equal({ verb: 'hangup' });
    expect(parseTwiml('<Response><Dial>+15550123</Dial></Response>')).to.deep.equal({
      verb: 'dial',
      target: '+15550123',
    });
    expect(parseTwiml('<Response><Dial><Number> +15550123 </Number></Dial></Response>')).to.deep.equal({
      verb: 'dial',
      target: '+15550123',
    });
    expect(
      parseTwiml('<Response><Dial><Sip>sip:desk@pbx.example.com;transport=tcp&amp;x</Sip></Dial></Response>'),
    ).to.deep.equal({
      verb: 'dial',
      target: 'sip:desk@pbx.example.com;transport=tcp&x',
    });
    expect(parseTwiml(`<Response><Play digits='12#'/></Response>`)).to.deep.equal({
      verb: 'play-digits',
      digits: '12#',
    });
  });

  it('refuses what is not well-formed (12100) and what is outside the subset (12200), naming it', () => {
    const cases: Array<[string, number, string]> = [
      ['', 12100, '<Response>'],
      ['<Response><Hangup/>', 12100, '<Response>'],
      ['<Response></Response>', 12200, 'exactly one verb'],
      ['<Response><Hangup/><Hangup/></Response>', 12200, 'exactly one verb'],
      ['<Response><Play digits="1"/><Hangup/></Response>', 12200, 'exactly one verb'],
      ['<Response><Say>hello</Say></Response>', 12200, '<Say>'],
      ['<Response><Play>https://example.com/a.mp3</Play></Response>', 12200, '<Play>'],
      ['<Response><Play digits="1w2"/></Response>', 12200, '<Play digits>'],
      ['<Response><Play digits="1" loop="2"/></Response>', 12200, '<Play>'],
      ['<Response><Dial timeout="10">+15550123</Dial></Response>', 12200, 'timeout'],
      ['<Response><Dial><Client>alice</Client></Dial></Response>', 12200, '<Number>'],
      ['<Response><Dial></Dial></Response>', 12200, '<Dial>'],
      ['<Response><Dial>+1 555</Dial></Response>', 12200, '<Dial>'],
      ['<Response><Hangup reason="x"/></Response>', 12200, '<Hangup/>'],
      [`<Response><Hangup/>${' '.repeat(5000)}</Response>`, 12100, 'longer'],
    ];
    for (const [twiml, code, named] of cases) {
      const refusal = parseTwiml(twiml);
      expect(refusal, twiml).to.have.property('code', code);
      expect((refusal as { message: string }).message, twiml).to.include(named);
    }
  });
});
