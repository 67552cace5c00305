import { expect } from 'chai';
import { DialLimits } from '../src/index.ts';
import { useTestRedis } from './redis-fixture.ts';

describe('DialLimits (real Redis)', () => {
  const db = useTestRedis();
  let limits: DialLimits;
  beforeEach(() => {
    limits = new DialLimits(db.redis, db.keys);
  });

  it('the CPS bucket gives one second worth at once, then asks to wait about 1/rate', async () => {
    expect(await limits.takeCallToken('carrier', 2)).to.equal(0);
    expect(await limits.takeCallToken('carrier', 2)).to.equal(0);
    const wait = await limits.takeCallToken('carrier', 2);
    expect(wait).to.be.greaterThan(0).and.at.most(500);
    expect(await limits.takeCallToken('other', 2), 'buckets are per trunk').to.equal(0);
  });

  it('channels: at most the limit, idempotent per call, freed by release', async () => {
    expect(await limits.takeChannel('carrier', 'c1', 60_000, 2)).to.equal(true);
    expect(await limits.takeChannel('carrier', 'c1', 60_000, 2), 'the same call again').to.equal(true);
    expect(await limits.takeChannel('carrier', 'c2', 60_000, 2)).to.equal(true);
    expect(await limits.takeChannel('carrier', 'c3', 60_000, 2)).to.equal(false);
    expect(await limits.channelsHeld('carrier')).to.equal(2);
    await limits.releaseChannel('carrier', 'c1');
    expect(await limits.takeChannel('carrier', 'c3', 60_000, 2)).to.equal(true);
    expect(await limits.takeChannel('carrier', 'c4', 60_000, undefined), 'no limit').to.equal(true);
  });

  it('a lease that ran out frees its channel (a node that died)', async () => {
    expect(await limits.takeChannel('carrier', 'c1', 1, 1)).to.equal(true);
    const until = Date.now() + 2_000;
    let taken = false;
    while (!taken && Date.now() < until) {
      taken = await limits.takeChannel('carrier', 'c2', 60_000, 1);
      if (!taken) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(taken).to.equal(true);
  });

  it('daily caps: calls counted until the cap, minutes from answered seconds, per UTC day', async () => {
    const day = Date.UTC(2026, 11, 6, 12);
    const caps = { dailyMaxCalls: 2, dailyMaxMinutes: 1 };
    expect(await limits.countDailyCall('carrier', caps, day)).to.equal('ok');
    expect(await limits.countDailyCall('carrier', caps, day)).to.equal('ok');
    expect(await limits.countDailyCall('carrier', caps, day)).to.equal('daily-max-calls');
    expect(await limits.countDailyCall('carrier', caps, day + 86_400_000), 'the next day starts at 0').to.equal('ok');
    await limits.addAnsweredSeconds('carrier', 61, day + 86_400_000);
    expect(await limits.countDailyCall('carrier', caps, day + 86_400_000)).to.equal('daily-max-minutes');
    expect(await limits.today('carrier', day + 86_400_000)).to.deep.equal({ calls: 1, minutes: 2 });
  });

  it('the INVITE mark is set once: a retried job finds it', async () => {
    expect(await limits.inviteSentAt('c9')).to.equal(undefined);
    expect(await limits.markInviteSent('c9', 1234, 60_000)).to.equal(true);
    expect(await limits.markInviteSent('c9', 5678, 60_000)).to.equal(false);
    expect(await limits.inviteSentAt('c9')).to.equal(1234);
  });
});
