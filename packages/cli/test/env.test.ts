import { expect } from 'chai';
import { DEFAULT_AGENT_SECRET_ENV } from '@voicebridge/protocol';
import { EnvError, readCliEnv } from '../src/env.ts';

describe('readCliEnv', () => {
  it('defaults to the local Redis and the vb prefix', () => {
    const env = readCliEnv({});
    expect(env).to.include({ redisUrl: 'redis://127.0.0.1:6379', keyPrefix: 'vb', denyCidrs: 'none' });
    expect(env).to.include({ eventsMaxAttempts: 12, eventsBackoffMs: 5000, callRecordTtlS: 604_800 });
    expect(env.secretEnv.text).to.equal(DEFAULT_AGENT_SECRET_ENV);
  });

  it('accepts redis and rediss URLs with credentials and a database', () => {
    for (const url of ['redis://:secret@redis.internal:6380/2', 'rediss://user:pw@10.0.0.5', 'redis://[::1]:6379/']) {
      expect(readCliEnv({ REDIS_URL: url }).redisUrl).to.equal(url);
    }
  });

  it('refuses a bad value naming the variable, without echoing a password', () => {
    const cases: [Record<string, string>, string][] = [
      [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
      [{ REDIS_URL: 'http://user:hunter2@host' }, 'REDIS_URL'],
      [{ REDIS_URL: 'redis://:hunter2@host/db1' }, 'REDIS_URL'],
      [{ REDIS_URL: '' }, 'REDIS_URL'],
      [{ REDIS_KEY_PREFIX: '' }, 'REDIS_KEY_PREFIX'],
      [{ REDIS_KEY_PREFIX: 'vb*' }, 'REDIS_KEY_PREFIX'],
      [{ REDIS_KEY_PREFIX: 'v b' }, 'REDIS_KEY_PREFIX'],
      [{ AGENT_SECRET_ENV: '*' }, 'AGENT_SECRET_ENV'],
      [{ AGENT_SECRET_ENV: 'OPENAI-KEY' }, 'AGENT_SECRET_ENV'],
      [{ OUTBOUND_DENY_CIDRS: '10.0.0.0/40' }, 'OUTBOUND_DENY_CIDRS'],
      [{ EVENTS_MAX_ATTEMPTS: '0' }, 'EVENTS_MAX_ATTEMPTS'],
      [{ EVENTS_BACKOFF_MS: 'soon' }, 'EVENTS_BACKOFF_MS'],
      [{ CALL_RECORD_TTL_S: '5' }, 'CALL_RECORD_TTL_S'],
    ];
    for (const [env, variable] of cases) {
      let caught: unknown;
      try {
        readCliEnv(env);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(env)).to.be.instanceOf(EnvError);
      expect((caught as EnvError).variable).to.equal(variable);
      expect((caught as EnvError).message)
        .to.match(new RegExp(`^invalid ${variable}: `))
        .and.not.include('hunter2');
    }
  });
});
