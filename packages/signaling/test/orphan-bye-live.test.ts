import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { CallRecord } from '@voicebridge/protocol';
import { loadBridgeConfig } from '@voicebridge/protocol';
import { CallRecordRepository, RedisKeys } from '@voicebridge/store';
import { SignalingService } from '../src/index.ts';
import { freePort } from '../../../test/support/free-port.ts';
import { waitFor } from '../../../test/support/wait-for.ts';
import { captureLog } from './log-capture.ts';
import { newCallId, okFor, SipPeer } from './sip-peer.ts';

/**
 * A restarted signaling process BYEs the UDP callers an earlier run left up, on a client
 * transaction: a BYE that is lost is sent again (Timer E) until the caller answers.
 */
describe('SignalingService start: BYE for a call left up by an earlier run (real UDP, Redis)', function () {
  this.timeout(20_000);
  const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let eventsRedis: Redis;
  let peer: SipPeer;
  let signaling: SignalingService | undefined;

  before(async () => {
    redis = new Redis({ maxRetriesPerRequest: null });
    eventsRedis = new Redis({ maxRetriesPerRequest: null });
    peer = await SipPeer.open();
  });

  after(async () => {
    await signaling?.close(200);
    peer.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    eventsRedis.disconnect();
  });

  it('sends the BYE again when the first is lost, logs the answer, and closes the record with bridge-restart', async () => {
    const sipCallId = newCallId();
    const record: CallRecord = {
      version: 1,
      callId: `orphan-${randomBytes(4).toString('hex')}`,
      sipCallId,
      from: `sip:caller@127.0.0.1:${peer.port}`,
      to: 'sip:+15550100@127.0.0.1',
      number: '+15550100',
      status: 'answered',
      invitedAtMs: Date.now() - 5000,
      answeredAtMs: Date.now() - 4900,
      remoteSip: { address: '127.0.0.1', port: peer.port },
      dialog: {
        local: '<sip:+15550100@127.0.0.1>;tag=ours',
        remote: `<sip:caller@127.0.0.1:${peer.port}>;tag=theirs`,
        remoteTarget: `sip:caller@127.0.0.1:${peer.port}`,
        routeSet: [],
        transport: 'udp',
      },
      transcript: [],
    };
    const records = new CallRecordRepository(redis, new RedisKeys(prefix));
    await records.create(record);
    const config = loadBridgeConfig({
      SIP_PORT: String(await freePort('udp', 'tcp')),
      MEDIA_CONTROL_PORT: String(await freePort('tcp')), // no media worker: the BYE does not need one
      MEDIA_WORKERS: '1',
      REDIS_KEY_PREFIX: prefix,
      SIP_T1_MS: '100',
    });
    const { log, messages } = captureLog();
    signaling = await SignalingService.start({ config, log, redis, eventsRedis, mediaWaitMs: 100 });

    const first = await peer.request('BYE', sipCallId);
    const branch = first.headers.get('Via');
    // Not answered: the transaction sends the same BYE again (same Via branch) after T1.
    const again = await peer.wait(
      (m) => m !== first && m.type === 'request' && m.method === 'BYE' && m.headers.get('Call-ID') === sipCallId,
      5000,
    );
    expect(again.type === 'request' && again.headers.get('Via')).to.equal(branch);
    peer.send(okFor(first), config.SIP_PORT);
    await waitFor('the answered BYE logged', 2000, () =>
      messages.includes('BYE for a call left up by an earlier run answered'),
    );
    expect(messages).to.not.include('BYE for a call left up by an earlier run not answered (timeout)');
    const closed = await records.get(record.callId);
    expect(closed?.status).to.equal('ended');
    expect(closed?.verdict).to.deep.include({ by: 'bridge', reason: 'bridge-restart' });
  });
});
