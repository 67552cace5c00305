import { expect } from 'chai';
import { NumberRepository } from '../src/index.ts';
import type { NumberConfigInput } from '../src/index.ts';
import { rejection, useTestRedis } from './redis-fixture.ts';

const NUMBER = '+15551230001';

describe('NumberRepository (real Redis)', () => {
  const db = useTestRedis();
  let numbers: NumberRepository;

  beforeEach(() => {
    numbers = new NumberRepository(db.redis, db.keys);
  });

  it('put applies defaults, stamps updatedAtMs and starts configVersion at 1', async () => {
    const before = Date.now();
    const saved = await numbers.put({ number: NUMBER, agent: { kind: 'echo' } });
    expect(saved).to.include({ version: 2, number: NUMBER, enabled: true, configVersion: 1 });
    expect(saved.agent).to.deep.equal({ kind: 'echo' });
    expect(saved.updatedAtMs).to.be.within(before, Date.now());
    expect(await numbers.get(NUMBER)).to.deep.equal(saved);
  });

  it('every put increments configVersion, also when puts race', async () => {
    await numbers.put({ number: NUMBER, agent: { kind: 'echo' } });
    const second = await numbers.put({ number: NUMBER, agent: { kind: 'scripted', greeting: 'Hello' } });
    expect(second.configVersion).to.equal(2);
    const raced = await Promise.all(
      Array.from({ length: 10 }, (_, i) => numbers.put({ number: NUMBER, agent: { kind: 'echo', greeting: `g${i}` } })),
    );
    expect(raced.map((c) => c.configVersion).sort((a, b) => a - b)).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect((await numbers.get(NUMBER))?.configVersion).to.equal(12);
  });

  it('keeps number configs without a TTL', async () => {
    await numbers.put({ number: NUMBER, agent: { kind: 'echo' } });
    expect(await db.redis.ttl(db.keys.number(NUMBER))).to.equal(-1);
    expect(await db.redis.ttl(db.keys.numbersIndex())).to.equal(-1);
  });

  it('rejects invalid input with VB_CONFIG_INVALID naming the field, writing nothing', async () => {
    const cases: [NumberConfigInput, RegExp][] = [
      [{ number: '+12ab', agent: { kind: 'echo' } }, /^number: /],
      [{ number: NUMBER, agent: { kind: 'echo', greeting: 'x'.repeat(1001) } }, /^agent\.greeting: /],
      [
        { number: NUMBER, agent: { kind: 'scripted', answers: [{ keyword: ' ', text: 'hi' }] } },
        /^agent\.answers\.0\.keyword: /,
      ],
      [{ number: NUMBER, agent: { kind: 'gpt' as 'echo' } }, /^agent\.kind: /],
    ];
    for (const [input, message] of cases) {
      const error = await rejection(numbers.put(input));
      expect(error.code).to.equal('VB_CONFIG_INVALID');
      expect(error.message).to.match(message);
    }
    expect(await numbers.list()).to.deep.equal([]);
  });

  it('get returns undefined for an unknown number and for a string that is not E.164', async () => {
    expect(await numbers.get(NUMBER)).to.equal(undefined);
    expect(await numbers.get('sip:alice@example.com')).to.equal(undefined);
  });

  it('list returns every configured number sorted; delete removes one and says whether it existed', async () => {
    await numbers.put({ number: '+15551230003', agent: { kind: 'echo' } });
    await numbers.put({ number: NUMBER, agent: { kind: 'scripted', answers: [{ keyword: 'hours', text: '9 to 5' }] } });
    expect((await numbers.list()).map((c) => c.number)).to.deep.equal([NUMBER, '+15551230003']);
    expect(await numbers.delete(NUMBER)).to.equal(true);
    expect(await numbers.delete(NUMBER)).to.equal(false);
    expect(await numbers.delete('not-a-number')).to.equal(false);
    expect((await numbers.list()).map((c) => c.number)).to.deep.equal(['+15551230003']);
    expect(await db.redis.sismember(db.keys.numbersIndex(), NUMBER)).to.equal(0);
  });

  it('ensureDefaults writes only numbers not configured yet and returns those', async () => {
    const edited = await numbers.put({ number: NUMBER, agent: { kind: 'echo', greeting: 'operator edit' } });
    const written = await numbers.ensureDefaults([
      { number: NUMBER, agent: { kind: 'scripted', greeting: 'demo' } },
      { number: '+15551230002', agent: { kind: 'scripted', greeting: 'demo 2' } },
    ]);
    expect(written.map((c) => c.number)).to.deep.equal(['+15551230002']);
    expect(written[0]?.configVersion).to.equal(1);
    expect(await numbers.get(NUMBER)).to.deep.equal(edited);
    expect(await numbers.get('+15551230002')).to.deep.equal(written[0]);
    expect(await numbers.ensureDefaults([{ number: '+15551230002', agent: { kind: 'echo' } }])).to.deep.equal([]);
    expect((await numbers.list()).length).to.equal(2);
  });

  it('ensureDefaults validates every default before writing any', async () => {
    const error = await rejection(
      numbers.ensureDefaults([
        { number: NUMBER, agent: { kind: 'echo' } },
        { number: '+1', agent: { kind: 'echo' } },
      ]),
    );
    expect(error.message).to.match(/^number: /);
    expect(await numbers.get(NUMBER)).to.equal(undefined);
  });

  it('update re-reads and re-applies the change when another writer got in between', async () => {
    await numbers.put({ number: NUMBER, agent: { kind: 'scripted', greeting: 'v1' } });
    const seen: (string | undefined)[] = [];
    const updated = await numbers.update(NUMBER, (current) => {
      seen.push(current?.agent.kind === 'scripted' ? current.agent.greeting : undefined);
      if (seen.length === 1) void numbers.put({ ...current!, agent: { kind: 'scripted', greeting: 'concurrent' } });
      return { ...current!, agent: { ...current!.agent, fallback: 'Sorry?' } };
    });
    expect(seen[0]).to.equal('v1');
    expect(seen.at(-1)).to.equal('concurrent');
    expect(updated.agent).to.deep.equal({ kind: 'scripted', greeting: 'concurrent', fallback: 'Sorry?', answers: [] });
    expect(updated.configVersion).to.equal(3);
  });

  it('update creates a number when change accepts undefined', async () => {
    const created = await numbers.update(NUMBER, (current) => ({
      ...current,
      number: NUMBER,
      agent: { kind: 'echo' },
    }));
    expect(created.configVersion).to.equal(1);
  });

  it('reports a corrupt stored value as an error naming the key, and a put repairs it', async () => {
    const key = db.keys.number(NUMBER);
    await db.redis.sadd(db.keys.numbersIndex(), NUMBER);
    await db.redis.set(key, '{not json');
    let error = await rejection(numbers.get(NUMBER));
    expect(error.code).to.equal('VB_CONFIG_INVALID');
    expect(error.message).to.include(key).and.include('not JSON');

    const saved = await numbers.put({ number: NUMBER, agent: { kind: 'echo' } });
    await db.redis.set(key, JSON.stringify({ ...saved, configVersion: 'seven' }));
    error = await rejection(numbers.get(NUMBER));
    expect(error.message).to.include(key).and.include('configVersion');
    error = await rejection(numbers.list());
    expect(error.message).to.include(key);

    await db.redis.set(key, JSON.stringify({ ...saved, number: '+15559999999' }));
    error = await rejection(numbers.get(NUMBER));
    expect(error.message).to.include(key).and.include('number');

    const repaired = await numbers.put({ number: NUMBER, agent: { kind: 'scripted' } });
    expect(await numbers.get(NUMBER)).to.deep.equal(repaired);
  });

  it('reads a v1 value as v2 (ADR 0001: one release), and the next write stores v2', async () => {
    const key = db.keys.number(NUMBER);
    const v1 = {
      version: 1,
      number: NUMBER,
      agent: 'llm',
      enabled: true,
      greeting: 'Hi',
      answers: [{ keyword: 'left', text: 'over' }],
      prompt: 'Be brief.',
      voice: 'kal',
      llm: { baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.2' },
      maxCallDurationS: 600,
      configVersion: 4,
      updatedAtMs: 1000,
    };
    await db.redis.set(key, JSON.stringify(v1));
    await db.redis.sadd(db.keys.numbersIndex(), NUMBER);
    const expected = {
      version: 2,
      number: NUMBER,
      enabled: true,
      agent: { kind: 'llm', greeting: 'Hi', prompt: 'Be brief.', llm: v1.llm },
      engines: { tts: { provider: 'flite', voice: 'kal' } },
      maxCallDurationS: 600,
      configVersion: 4,
      updatedAtMs: 1000,
    };
    expect(await numbers.get(NUMBER)).to.deep.equal(expected);
    expect(await numbers.list()).to.deep.equal([expected]);

    const updated = await numbers.update(NUMBER, (current) => ({ ...current!, enabled: false }));
    expect(updated.configVersion).to.equal(5);
    const stored = JSON.parse((await db.redis.get(key))!) as Record<string, unknown>;
    expect(stored).to.deep.include({ version: 2, enabled: false, agent: expected.agent });
    expect(stored).to.not.have.property('voice');
  });

  it('a v1 llm value without its llm config has no v2 form: an error naming the key and agent', async () => {
    const key = db.keys.number(NUMBER);
    await db.redis.set(
      key,
      JSON.stringify({
        version: 1,
        number: NUMBER,
        agent: 'llm',
        enabled: true,
        answers: [],
        configVersion: 1,
        updatedAtMs: 0,
      }),
    );
    const error = await rejection(numbers.get(NUMBER));
    expect(error.code).to.equal('VB_CONFIG_INVALID');
    expect(error.message).to.include(key).and.include('agent: agent llm has no llm config');
  });
});
