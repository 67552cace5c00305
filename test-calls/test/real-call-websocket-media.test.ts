import { expect } from 'chai';
import type { CallRecord } from '@voicebridge/protocol';
import type { G711Codec } from '@voicebridge/rtp';
import { botAudio, expectedPayloads, playoutOf, type Playout } from '../src/bot-playout.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { RtpTap } from '../src/rtp-tap.ts';
import { describeRun, endedRecord, runSipp, type SippResult } from '../src/sipp.ts';
import { sendPaced, waitFor } from '../../test/support/wait-for.ts';
import { parsePrometheusText } from '../../test/support/prometheus-text.ts';
import { TestBot, type BotConnection } from '../../packages/agent/test/bot/test-bot.ts';

const TAP_ADDRESS = '127.0.0.2';
const READ_TOKEN = 'read-token-websocket-media-0123';
const PACED = '+15550191';
const FLOOD = '+15550192';
const STEADY = '+15550193';
/** The 2× bot's audio: 8 s, sent as 250 ms chunks (not a whole number of 20 ms frames) every 125 ms. */
const PACED_FRAMES = 400;
const PACED_CHUNK_BYTES = 2000;
/** Each flooding bot sends 10 minutes at once, in 10 s messages (each under the 1 MiB message limit). */
const FLOOD_SECONDS = 600;
const FLOOD_MESSAGE_SECONDS = 10;
const FLOODERS = 4;
/** The ordinary call's bot: 20 s at once, within the call queue's 60 s bound. */
const STEADY_FRAMES = 1000;
/** The agent's call queue bound (OutboundAudio's maxQueuedMs) and what it publishes ahead (aheadMs), s. */
const QUEUE_BOUND_S = 60;
const AHEAD_S = 1.5;

/**
 * Bots that send faster than real time, on the real bridge (`voicebridge start`, one media worker),
 * called by SIPp through an RTP tap: every packet the media worker sends each caller is read on the
 * wire (sequence number, timestamp, payload) and compared byte for byte with what the bot sent
 * (media re-encodes the bot's μ-law for the call's codec, deterministically). Bots written from
 * Twilio's Media Streams reference (https://www.twilio.com/docs/voice/media-streams/websocket-messages)
 * and Pipecat's Twilio serializer (2× real time, large chunks, no marks, its own events).
 */
describe('websocket bots faster than real time on the real media worker (SIPp, RTP tap)', function () {
  this.timeout(180_000);
  let bridge: RunningBridge;
  let tap: RtpTap;
  let paced: TestBot;
  let flood: TestBot;
  let steady: TestBot;
  const pacedAudio = botAudio(1, PACED_FRAMES);
  const steadyAudio = botAudio(2, STEADY_FRAMES);
  const floodAudio = botAudio(3, (FLOOD_MESSAGE_SECONDS * 1000) / 20).toString('base64');
  /** Connections that have started sending (a bot sends once the caller's audio reaches it: the call is up). */
  const sending = new Set<BotConnection>();
  const floodSent = new Set<BotConnection>();

  before(async () => {
    paced = await TestBot.start();
    paced.onMessage = (conn, message) => {
      if (message['event'] !== 'media' || sending.has(conn)) return;
      sending.add(conn);
      const sid = message['streamSid'];
      const chunks = Math.ceil(pacedAudio.length / PACED_CHUNK_BYTES);
      void sendPaced(chunks, 125, (i) => {
        const payload = pacedAudio.subarray(i * PACED_CHUNK_BYTES, (i + 1) * PACED_CHUNK_BYTES).toString('base64');
        conn.send({ event: 'media', streamSid: sid, media: { payload } });
        conn.send({ event: 'pipecat-metrics', data: { ttfb: 0.2 } });
      });
    };
    flood = await TestBot.start();
    flood.onMessage = (conn, message) => {
      if (message['event'] !== 'media' || sending.has(conn)) return;
      sending.add(conn);
      const sid = message['streamSid'];
      for (let s = 0; s < FLOOD_SECONDS; s += FLOOD_MESSAGE_SECONDS)
        conn.send({ event: 'media', streamSid: sid, media: { payload: floodAudio } });
      // Keys pressed after the flood reach the caller as RFC 4733 once the agent has read all of it.
      conn.send({ event: 'voicebridge.dtmf', dtmf: { digits: '9' } });
      floodSent.add(conn);
    };
    steady = await TestBot.start();
    steady.onMessage = (conn, message) => {
      if (message['event'] !== 'media' || sending.has(conn)) return;
      sending.add(conn);
      conn.send({
        event: 'media',
        streamSid: message['streamSid'],
        media: { payload: steadyAudio.toString('base64') },
      });
    };
    bridge = await startBridge({
      env: { STT_POOL_SIZE: '1', RTP_ADVERTISED_ADDRESS: TAP_ADDRESS, READ_TOKEN },
      rtpPorts: 20,
    });
    tap = await RtpTap.start({ tapAddress: TAP_ADDRESS, bridgeAddress: '127.0.0.1', ports: bridge.rtpRange });
    for (const [number, bot] of [
      [PACED, paced],
      [FLOOD, flood],
      [STEADY, steady],
    ] as const) {
      const set = await bridge.cli(['numbers', 'set', number, '--agent', 'websocket', '--websocket-url', bot.url()]);
      expect(set.code, set.stderr).to.equal(0);
    }
  });

  after(async () => {
    tap?.close();
    await bridge?.stop();
    for (const bot of [paced, flood, steady]) await bot?.close();
  });

  /** One SIPp caller (Debian's PCMA pcap as its voice) per call, on the line until the bridge's BYE. */
  const callers = (number: string, calls: number): Promise<SippResult> =>
    runSipp({
      scenario: 'uac-wait-bye.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: number,
      calls,
      timeoutMs: 120_000,
    });
  const records = (run: SippResult): Promise<CallRecord[]> =>
    Promise.all(
      run.sipCallIds.map((id) =>
        waitFor('the record with its bot stream', 15_000, async () => {
          const record = await endedRecord(bridge, id, 15_000);
          return record.bot === undefined ? undefined : record;
        }),
      ),
    );
  /** The record of the live call the bot's connection `n` streams (its bridge RTP port tells its packets). */
  const liveRecord = async (number: string, n: number): Promise<CallRecord> =>
    waitFor(`the live ${number} record ${n}`, 10_000, async () => {
      const list = await bridge.cli(['calls', 'list', '--json', '--limit', '50']);
      const live = (JSON.parse(list.stdout) as CallRecord[])
        .filter((r) => r.number === number && r.localRtp !== undefined)
        .sort((a, b) => a.invitedAtMs - b.invitedAtMs);
      return live.length > n ? live[n] : undefined;
    });
  const playout = (record: CallRecord, expected: readonly Uint8Array[]): Playout =>
    playoutOf(tap.packets, record.localRtp?.port ?? -1, expected, record.codec as G711Codec);
  const agentMemory = async (): Promise<{ rssBytes: number; heapBytes: number }> => {
    const response = await fetch(`http://127.0.0.1:${bridge.httpPort}/metrics`, {
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    const samples = parsePrometheusText(await response.text()).filter((s) => s.labels['process'] === 'agent');
    const value = (name: string): number => samples.find((s) => s.name === name)?.value ?? NaN;
    return { rssBytes: value('process_resident_memory_bytes'), heapBytes: value('nodejs_heap_size_used_bytes') };
  };

  it('a 2×-real-time bot (Pipecat-like) plays at real time: every frame once, in order, no gap, no two packets for one slot', async () => {
    const run = callers(PACED, 1);
    await paced.waitFor(() => paced.connections.length === 1 && sending.has(paced.connections[0]!), 'the call', 30_000);
    const record = await liveRecord(PACED, 0);
    const expected = expectedPayloads(pacedAudio, record.codec as G711Codec);
    // The bot is done after 4 s; its 8 s of audio leave the media worker at 20 ms a packet.
    await waitFor('the bot audio played out', 30_000, () => {
      const seen = playout(record, expected);
      return seen.framesInOrder === PACED_FRAMES || seen.brokenBy !== undefined ? seen : undefined;
    });
    paced.connections[0]?.socket.close(1000, 'done');
    const sipp = await run;
    expect(sipp.code, describeRun(sipp)).to.equal(0);
    const seen = playout(record, expected);
    process.stdout.write(`      2× bot on the caller's wire: ${JSON.stringify(seen)}\n`);
    expect(seen.framesInOrder, `the bot's frames in order (then ${seen.brokenBy ?? 'the end'})`).to.equal(PACED_FRAMES);
    // No packet missing, none for a slot already sent. Slots a stalled media clock skipped (ADR
    // 0014: the box is shared, its load is not this test's) are reported above, not asserted.
    expect(seen, 'the RTP stream').to.deep.include({ sequenceGaps: 0, sequenceRepeats: 0, timestampErrors: 0 });
    // Played at 2× the 8 s would span 4 s: at real time they span about 8 s.
    expect(seen.spanMs, 'the 8 s of audio spread over (ms)').to.be.above(((PACED_FRAMES - 1) * 20 * 3) / 4);
    const [ended] = await records(sipp);
    expect(ended?.bot).to.deep.include({
      botBytes: pacedAudio.length,
      botSamplesDropped: 0,
      marks: 0,
      closeCode: 1000,
    });
    expect(ended?.bot?.ignored).to.deep.equal({ 'unknown-event': Math.ceil(pacedAudio.length / PACED_CHUNK_BYTES) });
  });

  it('four bots flooding 10 minutes at once stay within the bound (the rest dropped, counted), memory bounded, and a fifth call on the same media worker keeps every frame in its slot', async () => {
    const before = await agentMemory();
    const steadyRun = callers(STEADY, 1);
    await steady.waitFor(() => steady.connections.some((c) => sending.has(c)), 'the ordinary call', 30_000);
    const steadyRecord = await liveRecord(STEADY, 0);
    const floodRun = callers(FLOOD, FLOODERS);
    await flood.waitFor(() => floodSent.size === FLOODERS, 'four floods sent', 60_000);
    const floodRecords = await Promise.all(Array.from({ length: FLOODERS }, (_, n) => liveRecord(FLOOD, n)));
    // The key pressed after each flood reaches its caller: the agent read the whole 10 minutes.
    await waitFor('every flood read by the agent', 60_000, () =>
      floodRecords.every((r) => tap.packets.some((p) => p.port === r.localRtp?.port && p.payloadType === 101)),
    );
    const flooded = await agentMemory();
    const expected = expectedPayloads(steadyAudio, steadyRecord.codec as G711Codec);
    await waitFor('the ordinary call played out', 60_000, () => {
      const seen = playout(steadyRecord, expected);
      return seen.framesInOrder === STEADY_FRAMES || seen.brokenBy !== undefined ? seen : undefined;
    });
    for (const conn of [...steady.connections, ...flood.connections]) conn.socket.close(1000, 'done');
    const [steadyDone, floodDone] = await Promise.all([steadyRun, floodRun]);
    expect(steadyDone.code, describeRun(steadyDone)).to.equal(0);
    expect(floodDone.code, describeRun(floodDone)).to.equal(0);

    const seen = playout(steadyRecord, expected);
    const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;
    process.stdout.write(`      ordinary call on the caller's wire: ${JSON.stringify(seen)}\n`);
    process.stdout.write(
      `      agent process: rss ${mb(before.rssBytes)} → ${mb(flooded.rssBytes)}, heap used ${mb(before.heapBytes)} → ${mb(flooded.heapBytes)}\n`,
    );
    expect(seen.framesInOrder, `the ordinary bot's frames in order (then ${seen.brokenBy ?? 'the end'})`).to.equal(
      STEADY_FRAMES,
    );
    expect(seen, 'its RTP stream').to.deep.include({ sequenceGaps: 0, sequenceRepeats: 0, timestampErrors: 0 });

    for (const record of await records(floodDone)) {
      const bot = record.bot!;
      const talkS = (record.endedAtMs! - record.answeredAtMs!) / 1000;
      expect(bot.botBytes, 'the whole flood reached the agent').to.equal(FLOOD_SECONDS * 8000);
      // Queued up to the bound, published ahead by at most AHEAD_S, played at most as long as the
      // call lasted: everything else was dropped, and counted.
      expect(bot.botSamplesDropped, 'samples dropped at the bound').to.be.within(
        Math.floor((FLOOD_SECONDS - QUEUE_BOUND_S - AHEAD_S - talkS) * 8000),
        (FLOOD_SECONDS - QUEUE_BOUND_S) * 8000,
      );
    }
    const [steadyEnded] = await records(steadyDone);
    expect(steadyEnded?.bot).to.deep.include({ botBytes: steadyAudio.length, botSamplesDropped: 0 });
    // Unbounded, the four queues alone would hold 4 × 600 s of 16-bit PCM (77 MB) in the agent.
    expect(flooded.heapBytes - before.heapBytes, "the agent's heap growth (bytes)").to.be.below(
      FLOODERS * FLOOD_SECONDS * 16_000,
    );
  });
});
