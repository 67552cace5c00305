import { expect } from 'chai';
import { newCallId, type CallRecord } from '@voicebridge/protocol';
import { CallRecordRepository } from '@voicebridge/store';
import { runCliCaptured, useTestRedis, type CliResult } from './helpers.ts';

const INVITED = Date.parse('2026-11-24T10:00:00.000Z');

/** An ended websocket call: the bot stream's counters and two turns timed on our VAD. */
function botCall(overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    version: 1,
    callId: newCallId(INVITED),
    sipCallId: `bot-${Math.random().toString(36).slice(2)}@pbx.example`,
    from: 'sip:+15557654321@198.51.100.7',
    to: 'sip:+15551230002@bridge.example',
    number: '+15551230002',
    agent: 'websocket',
    status: 'ended',
    invitedAtMs: INVITED,
    answeredAtMs: INVITED + 400,
    endedAtMs: INVITED + 20_400,
    verdict: { by: 'agent', reason: 'bot-closed' },
    bot: {
      url: 'wss://bot.example/media',
      connectedAtMs: INVITED + 250,
      callerFramesSent: 998,
      callerFramesFilled: 3,
      callerFramesDropped: 2,
      botMediaMessages: 120,
      botBytes: 96_000,
      botSamplesDropped: 8000,
      marks: 4,
      marksEchoed: 4,
      clears: 1,
      reconnects: 0,
      ignored: { 'unknown-event': 32, 'bad-json': 1 },
      closeCode: 1000,
      closeReason: 'conversation over',
    },
    turns: [
      {
        turn: 1,
        voiceEndAtMs: 3000,
        sttFinalAtMs: 3850,
        answerAtMs: 3850,
        ttsFirstAudioAtMs: 3850,
        firstRtpAtMs: 3890,
        interruptions: 0,
        jitterBufferMaxMs: 20,
      },
      { turn: 2, voiceEndAtMs: 9000, sttFinalAtMs: 9700, interruptions: 0 },
    ],
    transcript: [],
    ...overrides,
  };
}

describe('voicebridge calls show: a websocket call (runCli, real Redis)', () => {
  const db = useTestRedis();
  const nowMs = (): number => INVITED + 60_000;
  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv, { nowMs });

  it('prints the bot block (URL, connect time, media both ways, marks, clears, drops, ignored by kind, close) and the bot turn table', async () => {
    const record = botCall();
    await new CallRecordRepository(db.redis, db.keys, { nowMs }).create(record);
    const { status, stdout, stderr } = await cli('calls', 'show', record.callId);
    expect(stderr).to.equal('');
    expect(status).to.equal(0);
    const lines = stdout.trimEnd().split('\n');
    const bot = lines.indexOf('bot:');
    expect(lines.slice(bot, bot + 8)).to.deep.equal([
      'bot:',
      '  url           wss://bot.example/media',
      '  connected     2026-11-24T10:00:00.250Z (+0.3s)',
      '  caller → bot  998 frames sent, 3 of them filled in, 2 dropped',
      "  bot → caller  120 messages, 12.0s of audio, 1.0s dropped at the queue's bound",
      '  marks         4 received, 4 echoed; 1 clear',
      '  ignored       unknown-event 32, bad-json 1',
      '  bot closed    1000 conversation over',
    ]);
    expect(lines.slice(-4)).to.deep.equal([
      'bot turn latency (ms):',
      'TURN  AT     VOICE→BOT  BOT→RTP  TOTAL  JITTER BUF',
      '1     +3.9s  850        40       890    20',
      '2     +9.7s  700        -        -      -',
    ]);
    // The cascaded table's STT and TTS columns mean nothing for a bot: not printed.
    expect(stdout).to.not.include('STT→ANSWER');
  });

  it('a bot that never connected, never marked or misbehaved: the block says so', async () => {
    const record = botCall({
      turns: undefined,
      bot: {
        url: '',
        callerFramesSent: 0,
        callerFramesFilled: 0,
        callerFramesDropped: 0,
        botMediaMessages: 0,
        botBytes: 0,
        botSamplesDropped: 0,
        marks: 0,
        marksEchoed: 0,
        clears: 0,
        reconnects: 0,
        ignored: {},
      },
    });
    delete record.turns;
    await new CallRecordRepository(db.redis, db.keys, { nowMs }).create(record);
    const { stdout } = await cli('calls', 'show', record.callId);
    expect(stdout).to.include('  url           (not connected)\n');
    expect(stdout).to.include('  ignored       none\n');
    expect(stdout).to.not.include('bot closed');
    expect(stdout).to.not.include('turn latency');
  });
});
