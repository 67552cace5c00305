import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { parseCidrList } from '@voicebridge/protocol';
import { RedisKeys, TrunkRepository } from '@voicebridge/store';
import { TrunkDirectory } from '../../src/admission/trunk-directory.ts';
import { captureLog } from '../log-capture.ts';

describe('TrunkDirectory (real Redis)', () => {
  let redis: Redis;
  let keys: RedisKeys;
  let trunks: TrunkRepository;
  let directory: TrunkDirectory;

  beforeEach(() => {
    redis = new Redis({ maxRetriesPerRequest: 1 });
    keys = new RedisKeys(`vbtest:${randomBytes(6).toString('hex')}`);
    trunks = new TrunkRepository(redis, keys);
  });
  afterEach(async () => {
    directory?.close();
    const found = await redis.keys(`${keys.prefix}:*`);
    if (found.length > 0) await redis.del(...found);
    await redis.quit();
  });

  function open(allowed = 'none'): { messages: string[] } {
    const { log, messages } = captureLog();
    directory = new TrunkDirectory({ trunks, allowed: parseCidrList(allowed), refreshMs: 60_000, log });
    return { messages };
  }

  it('matches the most specific CIDR of an enabled trunk; a disabled trunk matches nothing', async () => {
    await trunks.put({ name: 'wide', sources: ['198.51.100.0/24'] });
    await trunks.put({ name: 'narrow', sources: ['198.51.100.16/28', '2001:db8::/32'] });
    await trunks.put({ name: 'off', sources: ['203.0.113.0/24'], enabled: false });
    open('10.0.0.0/8');
    await directory.start();
    expect(directory.match('198.51.100.20')?.name).to.equal('narrow');
    expect(directory.match('198.51.100.200')?.name).to.equal('wide');
    expect(directory.match('::ffff:198.51.100.17')?.name).to.equal('narrow');
    expect(directory.match('2001:db8::5')?.name).to.equal('narrow');
    expect(directory.match('203.0.113.5')).to.equal(undefined);
    expect(directory.isTrusted('203.0.113.5')).to.equal(false);
    expect(directory.isTrusted('10.1.2.3')).to.equal(true);
    expect(directory.match('10.1.2.3')).to.equal(undefined);
  });

  it('sees trunks added and removed at the next refresh, and tells when one has no sources', async () => {
    open();
    await directory.start();
    expect(directory.match('192.0.2.1')).to.equal(undefined);
    await trunks.put({ name: 'late', sources: ['192.0.2.0/24'] });
    await trunks.put({ name: 'digest-only', auth: { username: 'pbx', password: 'secret' } });
    await directory.refresh();
    expect(directory.match('192.0.2.1')?.name).to.equal('late');
    expect(directory.hasSourcelessTrunk).to.equal(true);
    await trunks.delete('late');
    await trunks.delete('digest-only');
    await directory.refresh();
    expect(directory.match('192.0.2.1')).to.equal(undefined);
    expect(directory.hasSourcelessTrunk).to.equal(false);
  });

  it('skips a corrupt trunk with an error line and keeps the valid ones', async () => {
    await trunks.put({ name: 'good', sources: ['192.0.2.0/24'] });
    await redis.set(keys.trunk('bad'), 'not json');
    await redis.sadd(keys.trunksIndex(), 'bad');
    const { messages } = open();
    await directory.start();
    expect(directory.match('192.0.2.9')?.name).to.equal('good');
    expect(messages).to.deep.equal(['trunk config skipped: it does not pass the schema']);
  });
});
