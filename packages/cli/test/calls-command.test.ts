import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { newCallId } from '@voicebridge/protocol';
import type { CallRecord } from '@voicebridge/protocol';
import { CallRecordRepository } from '@voicebridge/store';
import { runCli } from '../src/index.ts';
import { Capture, type CliResult, runCliCaptured, useTestRedis } from './helpers.ts';

const INVITED = Date.parse('2026-11-24T10:00:00.000Z');

/** An ended call; an override set to undefined removes that property, as the store would. */
function endedCall(overrides: Partial<CallRecord> = {}): CallRecord {
  const invitedAtMs = overrides.invitedAtMs ?? INVITED;
  const record: CallRecord = {
    version: 1,
    callId: newCallId(invitedAtMs),
    sipCallId: `a84b4c76e66710-${Math.random().toString(36).slice(2)}@pc33.example.com`,
    from: 'sip:+15557654321@198.51.100.7',
    to: 'sip:+15551230001@bridge.example',
    number: '+15551230001',
    agent: 'scripted',
    configVersion: 3,
    status: 'ended',
    invitedAtMs,
    answeredAtMs: invitedAtMs + 800,
    endedAtMs: invitedAtMs + 12_300,
    codec: 'PCMU',
    ptimeMs: 20,
    remoteSip: { address: '198.51.100.7', port: 5060 },
    remoteRtp: { address: '198.51.100.7', port: 40000 },
    sdpRtp: { address: '10.0.0.7', port: 40000 },
    localRtp: { address: '203.0.113.10', port: 30000 },
    media: {
      packetsSent: 575,
      packetsReceived: 570,
      packetsLost: 2,
      jitterMs: 1.25,
      longestGapMs: 61,
      roundTripMs: 12.5,
      jitterBufferMaxMs: 40,
    },
    verdict: { by: 'caller', reason: 'caller-bye' },
    transcript: [
      { speaker: 'agent', text: 'Hello, how can I help?', atMs: 0 },
      { speaker: 'caller', text: 'opening hours', atMs: 1200 },
      { speaker: 'agent', text: 'We open at nine.', atMs: 2050 },
    ],
    ...overrides,
  };
  return JSON.parse(JSON.stringify(record)) as CallRecord;
}

describe('voicebridge calls (runCli, real Redis)', () => {
  const db = useTestRedis();
  let calls: CallRecordRepository;
  const nowMs = (): number => INVITED + 60_000;

  beforeEach(() => {
    // The fixtures carry fixed dates; the index window is measured on the injected clock, not the machine's.
    calls = new CallRecordRepository(db.redis, db.keys, { nowMs });
  });

  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv, { nowMs });

  it('show prints ids, parties, ISO times, duration, codec, addresses, verdict and the transcript', async () => {
    const r = endedCall();
    await calls.create(r);
    const { status, stdout, stderr } = await cli('calls', 'show', r.callId);
    expect(stderr).to.equal('');
    expect(status).to.equal(0);
    const lines = stdout.split('\n');
    for (const expected of [
      new RegExp(`^call +${r.callId}$`),
      new RegExp(`^sip call-id +${r.sipCallId.replace(/[.]/g, '\\.')}$`),
      /^from +sip:\+15557654321@198\.51\.100\.7$/,
      /^to +sip:\+15551230001@bridge\.example$/,
      /^agent +scripted \(configVersion 3\)$/,
      /^invited +2026-11-24T10:00:00\.000Z$/,
      /^answered +2026-11-24T10:00:00\.800Z \(\+0\.8s\)$/,
      /^ended +2026-11-24T10:00:12\.300Z \(\+12\.3s\)$/,
      /^duration +11\.5s$/,
      /^codec +PCMU, 20 ms$/,
      /^remote RTP +198\.51\.100\.7:40000$/,
      /^SDP RTP +10\.0\.0\.7:40000$/,
      /^media +sent 575, received 570, lost 2, jitter 1\.3 ms, longest gap 61 ms, rtt 12\.5 ms, jitter buffer max 40 ms$/,
      /^verdict +caller-bye by caller$/,
      /^transcript \(3 entries\):$/,
    ]) {
      expect(
        lines.some((l) => expected.test(l)),
        `${expected} in\n${stdout}`,
      ).to.equal(true);
    }
    expect(lines.slice(-4)).to.deep.equal([
      '+0.0s agent: Hello, how can I help?',
      '+1.2s caller: opening hours',
      '+2.1s agent: We open at nine.',
      '',
    ]);
  });

  it('show prints the per-turn latency table: spans between stages, barge-ins and jitter buffer depth', async () => {
    const r = endedCall({
      turns: [
        {
          turn: 1,
          voiceEndAtMs: 1000,
          sttFinalAtMs: 1400,
          answerAtMs: 1402,
          ttsFirstAudioAtMs: 1530,
          firstRtpAtMs: 1551,
          interruptions: 0,
          jitterBufferMaxMs: 20,
        },
        { turn: 2, sttFinalAtMs: 5000, answerAtMs: 5300, interruptions: 1 },
      ],
    });
    await calls.create(r);
    const { status, stdout } = await cli('calls', 'show', r.callId);
    expect(status).to.equal(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.slice(-4)).to.deep.equal([
      'turn latency (ms):',
      'TURN  AT     VOICE→STT  STT→ANSWER  ANSWER→TTS  TTS→RTP  TOTAL  BARGE-INS  JITTER BUF',
      '1     +1.4s  400        2           128         21       551    0          20',
      '2     +5.0s  -          300         -           -        -      1          -',
    ]);
    const json = await cli('calls', 'show', r.callId, '--json');
    expect((JSON.parse(json.stdout) as CallRecord).turns).to.deep.equal(r.turns);
  });

  it('show prints what each turn used: STT audio before the final, TTS characters and tokens of the answer', async () => {
    const r = endedCall({
      turns: [
        {
          turn: 1,
          sttFinalAtMs: 1400,
          interruptions: 0,
          usage: { sttAudioSeconds: 3.46, ttsCharacters: 42, promptTokens: 120, completionTokens: 11 },
        },
        { turn: 2, sttFinalAtMs: 5000, interruptions: 0, usage: { promptTokens: 150, completionTokens: 9 } },
        { turn: 3, sttFinalAtMs: 9000, interruptions: 0 },
      ],
    });
    await calls.create(r);
    const { status, stdout } = await cli('calls', 'show', r.callId);
    expect(status).to.equal(0);
    expect(stdout.trimEnd().split('\n').slice(-4)).to.deep.equal([
      'turn usage:',
      'TURN  STT AUDIO S  TTS CHARS  LLM TOKENS',
      '1     3.5          42         120+11',
      '2     -            -          150+9',
    ]);
  });

  it("show prints an interrupted reply's heard words, then its cut ones; barge-ins that resumed in the turn table", async () => {
    const r = endedCall({
      transcript: [
        { speaker: 'caller', text: 'opening hours', atMs: 1200 },
        {
          speaker: 'agent',
          text: 'We open at nine [interrupted; estimated heard text]',
          atMs: 2050,
          cut: 'and close at five.',
        },
      ],
      turns: [{ turn: 1, sttFinalAtMs: 1400, interruptions: 1, falseBargeIns: 2 }],
    });
    await calls.create(r);
    const { status, stdout } = await cli('calls', 'show', r.callId);
    expect(status).to.equal(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).to.include(
      '+2.1s agent: We open at nine [interrupted; estimated heard text] [cut: and close at five.]',
    );
    expect(lines.at(-1)).to.match(/^1 +\+1\.4s .* 1 \(\+2 resumed\) +-$/);
  });

  it('show names the engines of a call on cloud engines: models, usage, a switch to the fallback, tokens', async () => {
    const r = endedCall({
      engines: {
        stt: { provider: 'deepgram', model: 'nova-3', audioSeconds: 12.44 },
        tts: {
          provider: 'elevenlabs',
          model: 'eleven_flash_v2_5',
          characters: 210,
          cancelled: 1,
          switchedTo: 'flite',
          switchReason: 'no audio within 1000 ms',
        },
        llm: { model: 'gpt-4o-mini', promptTokens: 340, completionTokens: 52 },
      },
    });
    await calls.create(r);
    const { status, stdout } = await cli('calls', 'show', r.callId);
    expect(status).to.equal(0);
    expect(stdout).to.match(
      /\nengines +stt deepgram nova-3, 12\.4 s audio; tts elevenlabs eleven_flash_v2_5, 210 chars, 1 cut by barge-in → flite \(no audio within 1000 ms\); llm gpt-4o-mini, 340\+52 tokens\n/,
    );
  });

  it('show --json prints exactly the stored record; the SIP Call-ID finds it too', async () => {
    const r = endedCall({ sipCallId: 'odd Call-ID with spaces@host' });
    await calls.create(r);
    const byId = await cli('calls', 'show', r.callId, '--json');
    expect(byId.status).to.equal(0);
    expect(JSON.parse(byId.stdout)).to.deep.equal(r);
    const bySip = await cli('calls', 'show', '--json', r.sipCallId);
    expect(bySip.status).to.equal(0);
    expect(bySip.stdout).to.equal(byId.stdout);
  });

  it("show prints an error verdict's stable code and its one-line reason", async () => {
    const r = endedCall({
      verdict: { by: 'agent', reason: 'error', code: 'VB_ENGINE_FAILED', detail: 'flite: exited with code 1' },
    });
    await calls.create(r);
    const { stdout } = await cli('calls', 'show', r.callId);
    expect(stdout).to.match(/^verdict +error VB_ENGINE_FAILED by agent: flite: exited with code 1$/m);
  });

  it('show exits 1 for an unknown call', async () => {
    const result = await cli('calls', 'show', 'nothing@here');
    expect(result.status).to.equal(1);
    expect(result.stderr).to.equal('voicebridge: no call "nothing@here" (looked up as call id and as SIP Call-ID)\n');
  });

  it('escapes control characters from the wire instead of sending them to the terminal', async () => {
    const r = endedCall({
      from: 'sip:evil\u001b[2J@198.51.100.7',
      transcript: [{ speaker: 'caller', text: 'two\nlines \u202eand bidi', atMs: 500 }],
    });
    await calls.create(r);
    const { stdout } = await cli('calls', 'show', r.callId);
    expect(stdout).to.not.include('\u001b').and.not.include('\u202e');
    expect(stdout).to.include('sip:evil\\x1b[2J@198.51.100.7');
    expect(stdout).to.include('+0.5s caller: two\\nlines \\u202eand bidi\n');
  });

  it('list prints the newest calls first in a table, honours --limit, and --json prints the records', async () => {
    const older = endedCall();
    const live = endedCall({
      invitedAtMs: INVITED + 30_000,
      status: 'answered',
      answeredAtMs: INVITED + 31_000,
      endedAtMs: undefined,
      verdict: undefined,
    });
    const rejected = endedCall({
      invitedAtMs: INVITED + 40_000,
      answeredAtMs: undefined,
      endedAtMs: INVITED + 40_010,
      verdict: { by: 'bridge', reason: 'rejected', sipStatus: 404 },
      transcript: [],
    });
    for (const r of [older, live, rejected]) await calls.create(r);
    const { status, stdout } = await cli('calls', 'list');
    expect(status).to.equal(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^CALL ID\s+INVITED\s+FROM\s+NUMBER\s+STATUS\s+DURATION\s+VERDICT$/);
    expect(lines[1]).to.match(
      new RegExp(`^${rejected.callId}\\s+2026-11-24T10:00:40\\.000Z\\s.*\\sended\\s+-\\s+rejected 404$`),
    );
    expect(lines[2]).to.match(new RegExp(`^${live.callId}\\s.*\\sanswered\\s+29\\.0s \\(live\\)\\s+-$`));
    expect(lines[3]).to.match(new RegExp(`^${older.callId}\\s.*\\sended\\s+11\\.5s\\s+caller-bye$`));
    expect(lines).to.have.length(4);

    const limited = await cli('calls', 'list', '--limit', '2', '--json');
    expect(JSON.parse(limited.stdout)).to.deep.equal([rejected, live]);
  });

  it("list does not depend on the machine's date: the same calls list with Date.now a year ahead", async () => {
    const r = endedCall();
    await calls.create(r);
    const realNow = Date.now;
    const yearMs = 366 * 24 * 3600 * 1000;
    Date.now = () => realNow() + yearMs;
    try {
      const { status, stdout } = await cli('calls', 'list', '--json');
      expect(status).to.equal(0);
      expect(JSON.parse(stdout)).to.deep.equal([r]);
    } finally {
      Date.now = realNow;
    }
  });

  it('list skips a corrupt record, reports its key on stderr and exits 1', async () => {
    const good = endedCall();
    const bad = endedCall({ invitedAtMs: INVITED + 1000 });
    await calls.create(good);
    await calls.create(bad);
    await db.redis.hset(db.keys.call(bad.callId), 'status', '"exploded"');
    const result = await cli('calls', 'list', '--json');
    expect(result.status).to.equal(1);
    expect(JSON.parse(result.stdout)).to.deep.equal([good]);
    expect(result.stderr).to.include(
      `voicebridge: skipped: corrupt call record at key ${db.keys.call(bad.callId)}: status`,
    );
  });

  it('exits 2 naming a bad --limit or argument', async () => {
    for (const [argv, message] of [
      [['calls', 'list', '--limit', 'ten'], 'invalid --limit "ten": must be an integer from 1 to 1000'],
      [['calls', 'list', '--limit', '1001'], 'invalid --limit "1001"'],
      [['calls', 'list', '--limit=0'], 'invalid --limit "0"'],
      [['calls', 'show'], 'missing <callId>'],
      [['calls', 'show', 'a', 'b'], 'unexpected argument "b"'],
      [['calls', 'hangup'], 'unknown command "calls hangup"'],
    ] as [string[], string][]) {
      const result = await cli(...argv);
      expect(result.status, argv.join(' ')).to.equal(2);
      expect(result.stderr).to.include(`voicebridge: ${message}`);
    }
  });

  it('reports an unreachable Redis with its cause, exit 1, and leaves the borrowed connection alone', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    const down = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => {});
    const stderr = new Capture();
    const status = await runCli(['calls', 'list'], { redis: down, keys: db.keys, stdout: new Capture(), stderr });
    down.disconnect();
    expect(status).to.equal(1);
    expect(stderr.text).to.equal(`voicebridge: cannot reach Redis: connect ECONNREFUSED 127.0.0.1:${port}\n`);

    expect((await cli('calls', 'list')).status).to.equal(0);
    expect(db.redis.status).to.equal('ready');
  });
});
