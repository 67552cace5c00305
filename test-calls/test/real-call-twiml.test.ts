import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { cseqMethod, describeRun, heldRtpPorts, runSipp } from '../src/sipp.ts';
import { repeatEvery, waitFor } from '../../test/support/wait-for.ts';
import { TestBot } from '../../packages/agent/test/bot/test-bot.ts';

const NUMBER = '+15550186';
const ALLOWED = '+15550123';
const ACCOUNT = `AC${'6'.repeat(32)}`;
const TOKEN = 'twilio-compat-token-twiml-0123';
/** RFC 4733 §3.2 event codes: 0-9 are the digits, 11 is #. */
const EVENT_PT = 101;

/**
 * The Twilio-compatible route's `Twiml=` parameter on a real call (`voicebridge start`, SIPp the
 * caller, a real ws bot): TwiML per https://www.twilio.com/docs/voice/twiml (`<Dial>`, `<Number>`,
 * `<Play digits>`, `<Hangup>`), the update call per
 * https://www.twilio.com/docs/voice/api/call-resource#update-a-call-resource, error codes per
 * https://www.twilio.com/docs/api/errors (12100 parse failure, 13224 Dial target refused,
 * 20003 authenticate, 20404 not found). `<Play digits>` reaches the caller's RTP as telephone-events,
 * `<Dial>` to a target off the number's transfer allow-list is refused naming it, to one on it
 * sends REFER, and once the call is over the route answers 404 code 20404.
 */
describe('real call: the Twilio-compatible route with Twiml= (SIPp, a real ws bot)', function () {
  this.timeout(120_000);
  let bridge: RunningBridge;
  let bot: TestBot;
  let rtp: Socket;
  const events: number[][] = [];
  let stopSilence: () => void = () => undefined;

  before(async () => {
    bot = await TestBot.start();
    rtp = createSocket('udp4');
    rtp.on('message', (packet) => {
      if ((packet[1]! & 0x7f) === EVENT_PT && packet.length >= 16) events.push([packet[12]!, packet[13]! & 0x80]);
    });
    await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', resolve));
    bridge = await startBridge({
      env: { STT_POOL_SIZE: '1', TWILIO_COMPAT_ACCOUNT_SID: ACCOUNT, TWILIO_COMPAT_AUTH_TOKEN: TOKEN },
    });
    const set = await bridge.cli([
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'websocket',
      '--websocket-url',
      bot.url('/media'),
      '--websocket-account-sid',
      ACCOUNT,
      '--transfer-target',
      ALLOWED,
    ]);
    expect(set.code, set.stderr).to.equal(0);
  });

  after(async () => {
    stopSilence();
    await bridge?.stop();
    await bot?.close();
    rtp?.close();
  });

  it('<Play digits> sends RFC 4733 events to the caller, <Dial> off the allow-list is refused naming the target, <Dial><Number> on it sends REFER; malformed or other TwiML gets Twilio errors; afterwards 404 code 20404', async () => {
    const sipp = runSipp({
      scenario: 'uac-refer-rtp.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: NUMBER,
      extraArgs: ['-key', 'rtp_port', String(rtp.address().port)],
      timeoutMs: 90_000,
    });
    await bot.waitFor(() => bot.events('start').length > 0, 'the stream starting', 30_000);
    const { callSid } = (bot.events('start')[0] as { start: { callSid: string } }).start;
    // The bridge sends nothing before the caller's own RTP latches it (strict symmetric RTP):
    // 20 ms of PCMU silence to the call's port, at most 90 s of it.
    const ports = await heldRtpPorts(bridge);
    let seq = 0;
    stopSilence = repeatEvery(20, () => {
      if (++seq > 4500) return stopSilence();
      const packet = Buffer.alloc(12 + 160, 0xff);
      packet.writeUInt16BE(0x8000, 0);
      packet.writeUInt16BE(seq, 2);
      packet.writeUInt32BE(seq * 160, 4);
      packet.writeUInt32BE(0x5eed, 8);
      for (const port of ports) rtp.send(packet, port, '127.0.0.1');
    });
    const post = (twiml: string, password = TOKEN): Promise<Response> =>
      fetch(`http://127.0.0.1:${bridge.httpPort}/2010-04-01/Accounts/${ACCOUNT}/Calls/${callSid}.json`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`${ACCOUNT}:${password}`).toString('base64')}` },
        body: new URLSearchParams({ Twiml: twiml }),
      });
    const answer = async (response: Response): Promise<Record<string, unknown>> => ({
      ...((await response.json()) as Record<string, unknown>),
      http: response.status,
    });

    expect(await answer(await post('<Response><Hangup/></Response>', 'wrong-password-here'))).to.include({
      status: 401,
      code: 20003,
    });
    expect(await answer(await post('<Response><Hangup/>'))).to.include({ http: 400, code: 12100 });
    const say = await answer(await post('<Response><Say>hello</Say></Response>'));
    expect(say).to.include({ http: 400, code: 12200 });
    expect(say['message']).to.include('<Say>');

    const play = await answer(await post('<?xml version="1.0"?><Response><Play digits="12#"/></Response>'));
    expect(play).to.include({ http: 200, sid: callSid, status: 'in-progress' });
    expect(play).to.not.have.property('code');
    // Each key's end packet (E bit) marks one press: 1, 2, # in order.
    await waitFor('three key presses at the caller', 20_000, () => {
      const ends = [...new Set(events.filter(([, end]) => end).map(([code]) => code))];
      return ends.length >= 3 ? ends : undefined;
    }).then((ends) => expect(ends).to.deep.equal([1, 2, 11]));

    const refused = await answer(await post('<Response><Dial>+15550199</Dial></Response>'));
    expect(refused).to.include({ http: 400, code: 13224 });
    expect(refused['message']).to.include('+15550199').and.include(NUMBER);

    const dial = await answer(await post(`<Response><Dial><Number>${ALLOWED}</Number></Dial></Response>`));
    expect(dial).to.include({ http: 200, sid: callSid, status: 'in-progress' });
    const result = await sipp;
    expect(result.code, describeRun(result)).to.equal(0);
    const refers = result.messages.filter((m) => m.direction === 'received' && cseqMethod(m) === 'REFER');
    expect(refers, 'one REFER').to.have.length(1);

    await waitFor('the call over', 15_000, async () => {
      const again = await answer(await post('<Response><Hangup/></Response>'));
      return again['http'] === 404 ? again : undefined;
    }).then((again) => expect(again).to.include({ code: 20404 }));
  });

  it('<Response><Hangup/></Response> ends the call: BYE to the caller, the call JSON says completed', async () => {
    const sipp = runSipp({
      scenario: 'uac-wait-bye.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: NUMBER,
      timeoutMs: 60_000,
    });
    await bot.waitFor(() => bot.events('start', 1).length > 0, 'the second stream starting', 30_000);
    const { callSid } = (bot.events('start', 1)[0] as { start: { callSid: string } }).start;
    const hangup = await fetch(
      `http://127.0.0.1:${bridge.httpPort}/2010-04-01/Accounts/${ACCOUNT}/Calls/${callSid}.json`,
      {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}` },
        body: new URLSearchParams({ Twiml: '<Response><Hangup/></Response>' }),
      },
    );
    expect(hangup.status).to.equal(200);
    expect(await hangup.json()).to.include({ sid: callSid, status: 'completed' });
    const result = await sipp;
    expect(result.code, describeRun(result)).to.equal(0);
  });
});
