import { expect } from 'chai';
import { TrunkRepository } from '../src/index.ts';
import type { TrunkConfigInput } from '../src/index.ts';
import { rejection, useTestRedis } from './redis-fixture.ts';

describe('TrunkRepository (real Redis)', () => {
  const db = useTestRedis();
  let trunks: TrunkRepository;

  beforeEach(() => {
    trunks = new TrunkRepository(db.redis, db.keys);
  });

  it('put applies defaults, starts configVersion at 1 and stores the password as given', async () => {
    const saved = await trunks.put({
      name: 'carrier',
      sources: ['203.0.113.0/24'],
      auth: { username: 'u', password: 'p@ss:w0rd' },
    });
    expect(saved).to.include({
      version: 1,
      name: 'carrier',
      enabled: true,
      numberFrom: 'ruri',
      numberFormat: 'e164',
      trusted: false,
      rtpLatching: 'learn',
      configVersion: 1,
    });
    expect(saved.auth).to.deep.equal({ username: 'u', password: 'p@ss:w0rd' });
    expect(await trunks.get('carrier')).to.deep.equal(saved);
    expect(await db.redis.ttl(db.keys.trunk('carrier'))).to.equal(-1);
    expect(await db.redis.smembers(db.keys.trunksIndex())).to.deep.equal(['carrier']);
  });

  it('register gets expires 3600 and udp by default', async () => {
    const saved = await trunks.put({
      name: 'reg',
      register: { registrar: 'sip:sip.example.net:5060', username: 'acct', password: 'secret' },
    });
    expect(saved.register).to.deep.equal({
      registrar: 'sip:sip.example.net:5060',
      username: 'acct',
      password: 'secret',
      expires: 3600,
      transport: 'udp',
    });
    expect(saved.sources).to.deep.equal([]);
  });

  it('every write increments configVersion, also when updates race', async () => {
    await trunks.put({ name: 't', sources: ['10.0.0.1'] });
    const raced = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        trunks.update('t', (current) => ({ ...(current ?? { name: 't' }), name: 't', maxCalls: i + 1 }), 20),
      ),
    );
    expect(raced.map((t) => t.configVersion).sort((a, b) => a - b)).to.deep.equal([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects invalid input with VB_CONFIG_INVALID naming the field and never the password, writing nothing', async () => {
    const cases: [TrunkConfigInput, RegExp][] = [
      [{ name: 'bad name', sources: ['10.0.0.1'] }, /^name: /],
      [{ name: 't', sources: ['10.0.0.0/33'] }, /^sources\.0: must be a CIDR/],
      [{ name: 't', sources: [] }, /^sources: needs at least one CIDR/],
      [{ name: 't', sources: ['10.0.0.1'], numberFormat: 'national' }, /^countryCode: is required/],
      [{ name: 't', sources: ['10.0.0.1'], defaultNumber: '12345' }, /^defaultNumber: /],
      [{ name: 't', sources: ['10.0.0.1'], maxCalls: 0 }, /^maxCalls: /],
      [{ name: 't', sources: ['10.0.0.1'], auth: { username: 'u', password: 'has space' } }, /^auth\.password: /],
      [{ name: 't', register: { registrar: 'http://x', username: 'u', password: 'p' } }, /^register\.registrar: /],
      [
        { name: 't', register: { registrar: 'sip:x', username: 'u', password: 'p', expires: 5 } },
        /^register\.expires: /,
      ],
    ];
    for (const [input, pattern] of cases) {
      const error = await rejection(trunks.put(input));
      expect(error.code).to.equal('VB_CONFIG_INVALID');
      expect(error.message).to.match(pattern);
      expect(error.message).to.not.include('has space');
    }
    expect(await db.redis.exists(db.keys.trunksIndex())).to.equal(0);
  });

  it('list is sorted by name; delete removes the trunk and its index entry', async () => {
    await trunks.put({ name: 'zeta', sources: ['10.0.0.2'] });
    await trunks.put({ name: 'alpha', sources: ['10.0.0.1'] });
    expect((await trunks.list()).map((t) => t.name)).to.deep.equal(['alpha', 'zeta']);
    expect(await trunks.delete('zeta')).to.equal(true);
    expect(await trunks.delete('zeta')).to.equal(false);
    expect(await trunks.get('zeta')).to.equal(undefined);
    expect((await trunks.list()).map((t) => t.name)).to.deep.equal(['alpha']);
  });

  it('a corrupt stored value is an error naming its key; list can skip it and report it instead', async () => {
    await trunks.put({ name: 'good', sources: ['10.0.0.1'] });
    await db.redis.set(db.keys.trunk('broken'), '{"version":1}');
    await db.redis.sadd(db.keys.trunksIndex(), 'broken');
    const error = await rejection(trunks.get('broken'));
    expect(error.message).to.include(db.keys.trunk('broken'));
    expect((await rejection(trunks.list())).message).to.include(db.keys.trunk('broken'));
    const skipped: string[] = [];
    expect((await trunks.list((e) => skipped.push(e.message))).map((t) => t.name)).to.deep.equal(['good']);
    expect(skipped).to.have.length(1);
    expect(skipped[0]).to.include(db.keys.trunk('broken'));
  });
});
