import { expect } from 'chai';
import { SecretEnvAllowList, TrunkConfigSchema, type TrunkConfig } from '@voicebridge/protocol';
import { trunkTarget, type SecretReader } from '../../src/outbound/trunk-target.ts';
import { SipResolver } from '../../src/registration/sip-resolver.ts';

const resolver = new SipResolver(); // IP literals only below: no DNS is asked
const secrets = (values: Record<string, string> = {}): SecretReader => ({
  allowList: SecretEnvAllowList.parse('VB_SECRET_*'),
  read: (name) => values[name],
});

function trunk(fields: Record<string, unknown>): TrunkConfig {
  return TrunkConfigSchema.parse({
    version: 1,
    name: 'carrier',
    configVersion: 1,
    sources: ['192.0.2.0/24'],
    numberFrom: 'ruri',
    numberFormat: 'e164',
    trusted: false,
    enabled: true,
    rtpLatching: 'learn',
    updatedAtMs: 0,
    ...fields,
  });
}

describe('trunkTarget: where an outbound INVITE goes', () => {
  it('the outbound URI with its transport, the destination as the Request-URI user, the password by its variable', async () => {
    const target = await trunkTarget(
      trunk({
        outbound: { uri: 'sip:192.0.2.7:5070;transport=tcp', username: 'acct', passwordEnv: 'VB_SECRET_CARRIER' },
      }),
      'carrier',
      '+15550777',
      resolver,
      secrets({ VB_SECRET_CARRIER: 's3cret' }),
    );
    expect(target).to.deep.equal({
      requestUri: 'sip:+15550777@192.0.2.7:5070;transport=tcp',
      destination: { address: '192.0.2.7', port: 5070, transport: 'tcp' },
      credentials: { username: 'acct', password: 's3cret' },
    });
  });

  it('national numbers drop the country code; fromUser is carried', async () => {
    const target = await trunkTarget(
      trunk({ countryCode: '44', outbound: { uri: 'sip:192.0.2.7', numberFormat: 'national', fromUser: 'acct1' } }),
      'carrier',
      '+441632960001',
      resolver,
      secrets(),
    );
    expect(target.requestUri).to.equal('sip:1632960001@192.0.2.7');
    expect(target.destination).to.deep.equal({ address: '192.0.2.7', port: 5060, transport: 'udp' });
    expect(target.fromUser).to.equal('acct1');
    expect(target.credentials).to.equal(undefined);
  });

  it('a registered trunk without an outbound URI dials through its registrar with the registration credentials', async () => {
    const target = await trunkTarget(
      trunk({
        sources: [],
        register: {
          registrar: 'sip:192.0.2.9:5080',
          username: 'reguser',
          password: 'regpass',
          expires: 300,
          transport: 'udp',
        },
      }),
      'carrier',
      '+15550777',
      resolver,
      secrets(),
    );
    expect(target.requestUri).to.equal('sip:+15550777@192.0.2.9:5080');
    expect(target.credentials).to.deep.equal({ username: 'reguser', password: 'regpass' });
  });

  it('refusals name the trunk and the field: no route, an unset or unlisted password variable', async () => {
    const refusal = async (t: TrunkConfig | undefined, values: Record<string, string> = {}): Promise<string> => {
      try {
        await trunkTarget(t, 'carrier', '+15550777', resolver, secrets(values));
      } catch (error) {
        return (error as Error).message;
      }
      return 'no refusal';
    };
    expect(await refusal(undefined)).to.equal('trunk carrier does not exist');
    expect(await refusal(trunk({}))).to.equal('trunk carrier has no outbound.uri and no registrar');
    const unset = trunk({ outbound: { uri: 'sip:192.0.2.7', username: 'a', passwordEnv: 'VB_SECRET_X' } });
    expect(await refusal(unset)).to.equal('trunk carrier: outbound.passwordEnv VB_SECRET_X is not set');
    const unlisted = trunk({ outbound: { uri: 'sip:192.0.2.7', username: 'a', passwordEnv: 'REDIS_URL' } });
    expect(await refusal(unlisted, { REDIS_URL: 'redis://x' })).to.match(
      /^trunk carrier: outbound.passwordEnv REDIS_URL is not on AGENT_SECRET_ENV/,
    );
  });
});
