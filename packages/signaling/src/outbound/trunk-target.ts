import { VoicebridgeError, type TrunkConfig } from '@voicebridge/protocol';
import { formatHost } from '@voicebridge/sip';
import { trunkCredentials } from '../call/refer-client.ts';
import { parseSipTarget, type SipResolver } from '../registration/sip-resolver.ts';
import type { OutboundTarget } from './dial-request.ts';

/**
 * Where a dial through `trunk` goes: a registered trunk dials through its registrar (the carrier
 * that delivers our calls takes our calls out), answering its challenge with the registration's
 * credentials; the destination is the Request-URI's user. RFC 3263 resolution as for REGISTER.
 */
export async function trunkTarget(
  trunk: TrunkConfig | undefined,
  trunkName: string,
  destination: string,
  resolver: Pick<SipResolver, 'resolve'>,
): Promise<OutboundTarget> {
  if (trunk === undefined) throw new VoicebridgeError('VB_NOT_FOUND', `trunk ${trunkName} does not exist`);
  const register = trunk.register;
  const registrar = register ? parseSipTarget(register.registrar) : undefined;
  if (!register || !registrar)
    throw new VoicebridgeError('VB_CONFIG_INVALID', `trunk ${trunkName} has no outbound route (no registrar)`);
  const transport = registrar.secure ? 'tls' : register.transport;
  const hostPort = `${formatHost(registrar.host)}${registrar.port === undefined ? '' : `:${registrar.port}`}`;
  const scheme = registrar.secure ? 'sips' : 'sip';
  const credentials = trunkCredentials(trunk);
  return {
    requestUri: `${scheme}:${destination}@${hostPort}${transport === 'tcp' ? ';transport=tcp' : ''}`,
    destination: await resolver.resolve(registrar, transport),
    ...(credentials && { credentials }),
  };
}
