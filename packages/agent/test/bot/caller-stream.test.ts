import { expect } from 'chai';
import { WebSocket } from 'ws';
import { CallerStream } from '../../src/bot/caller-stream.ts';
import { StreamMessages } from '../../src/bot/stream-messages.ts';
import { streamIdentityOf } from '../../src/bot/twilio-ids.ts';
import { waitForEvent } from '../../../../test/support/wait-for.ts';
import { TestBot } from './test-bot.ts';

describe('CallerStream: the caller towards a bot that stops reading (real ws socket on loopback)', function () {
  this.timeout(60_000);
  let bot: TestBot | undefined;
  let client: WebSocket | undefined;
  afterEach(async () => {
    client?.terminate();
    await bot?.close();
  });

  it('drops caller frames once ~2 s of messages wait in the socket, counts them, and the socket stops growing', async () => {
    bot = await TestBot.start((connection) => {
      // A bot stuck in its own work: it never reads its socket again.
      (connection.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    });
    client = new WebSocket(bot.url());
    await waitForEvent(client, 'open', 'the socket', 5000);
    const stream = new CallerStream(new StreamMessages(streamIdentityOf('call-x', '+15550100')));
    let warned = 0;
    const samples = new Int16Array(160).fill(1000);
    // The kernel's buffers on loopback take many MB first; the bound is on what waits in our process.
    let offset = 0;
    for (let i = 0; i < 400_000 && stream.dropped === 0; i++, offset += 160) {
      stream.push({ sampleRateHz: 8000, sampleOffset: offset, samples, filled: false }, client, () => warned++);
    }
    expect(stream.dropped).to.equal(1);
    expect(warned).to.equal(1);
    const bound = client.bufferedAmount;
    for (let i = 0; i < 5000; i++, offset += 160)
      stream.push({ sampleRateHz: 8000, sampleOffset: offset, samples, filled: i % 2 === 0 }, client, () => warned++);
    expect(stream.dropped).to.equal(5001);
    expect(warned, 'one warning per stretch of drops').to.equal(1);
    expect(client.bufferedAmount).to.equal(bound);
    expect(bound).to.be.below(50_000);
  });
});
