import { expect } from 'chai';
import {
  BridgeConfigSchema,
  DEFAULT_AGENT_SECRET_ENV,
  loadBridgeConfig,
  SecretEnvAllowList,
  VoicebridgeError,
} from '../src/index.ts';

describe('SecretEnvAllowList (AGENT_SECRET_ENV)', () => {
  it('by default allows the common provider key names and VB_SECRET_*, nothing else', () => {
    const list = SecretEnvAllowList.default();
    for (const name of ['OPENAI_API_KEY', 'DEEPGRAM_API_KEY', 'ASSEMBLYAI_API_KEY', 'ELEVENLABS_API_KEY'])
      expect(list.allows(name), name).to.equal(true);
    for (const name of ['CARTESIA_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'ANTHROPIC_API_KEY', 'GROQ_API_KEY'])
      expect(list.allows(name), name).to.equal(true);
    expect(list.allows('VB_SECRET_CRM_TOKEN')).to.equal(true);
    for (const name of [
      'ADMIN_TOKEN',
      'REDIS_PASSWORD',
      'AWS_SECRET_ACCESS_KEY',
      'VB_SECRET',
      'openai_api_key',
      'PATH',
    ])
      expect(list.allows(name), name).to.equal(false);
  });

  it('by default allows none of the bridge own settings', () => {
    const list = SecretEnvAllowList.default();
    const allowed = Object.keys(BridgeConfigSchema.shape).filter((name) => list.allows(name));
    expect(allowed).to.deep.equal([]);
  });

  it('takes names and prefixes ending in *, and none for the empty list', () => {
    const list = SecretEnvAllowList.parse(' OPENAI_API_KEY , ACME_* ');
    expect(list.allows('OPENAI_API_KEY')).to.equal(true);
    expect(list.allows('ACME_STT_KEY')).to.equal(true);
    expect(list.allows('DEEPGRAM_API_KEY')).to.equal(false);
    expect(list.text).to.equal('OPENAI_API_KEY,ACME_*');
    const none = SecretEnvAllowList.parse('none');
    expect(none.allows('OPENAI_API_KEY')).to.equal(false);
    expect(none.text).to.equal('none');
  });

  it('refuses a bare * and entries that are not variable names', () => {
    expect(() => SecretEnvAllowList.parse('OPENAI_API_KEY,*')).to.throw(/bare \*/);
    expect(() => SecretEnvAllowList.parse('OPENAI-KEY')).to.throw(/"OPENAI-KEY" is not a variable name/);
    expect(() => SecretEnvAllowList.parse('A*B')).to.throw(/not a variable name/);
  });

  it('its refusal names the variable, the list and how to change it, never a value', () => {
    const message = SecretEnvAllowList.parse('OPENAI_API_KEY,VB_SECRET_*').refusal('ADMIN_TOKEN');
    expect(message).to.include('ADMIN_TOKEN');
    expect(message).to.include('AGENT_SECRET_ENV=OPENAI_API_KEY,VB_SECRET_*');
    expect(message).to.include('add ADMIN_TOKEN to AGENT_SECRET_ENV');
  });

  it('is read once with the bridge config: default when unset, a bad list exits naming the key', () => {
    expect(loadBridgeConfig({}).AGENT_SECRET_ENV).to.equal(DEFAULT_AGENT_SECRET_ENV);
    expect(loadBridgeConfig({ AGENT_SECRET_ENV: 'none' }).AGENT_SECRET_ENV).to.equal('none');
    expect(() => loadBridgeConfig({ AGENT_SECRET_ENV: '*' }))
      .to.throw(VoicebridgeError)
      .with.property('message')
      .that.matches(/^AGENT_SECRET_ENV \(got "\*"\): a bare \*/);
  });
});
