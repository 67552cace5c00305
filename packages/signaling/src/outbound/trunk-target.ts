import { VoicebridgeError, type SecretEnvAllowList, type TrunkConfig } from '@voicebridge/protocol';
import { formatHost, type Endpoint } from '@voicebridge/sip';
import { parseSipTarget, type SipResolver, type SipTarget } from '../registration/sip-resolver.ts';
import type { OutboundTarget } from './dial-request.ts';

/** Reads a secret by variable name (the trunk's `outbound.passwordEnv`); undefined when unset. */
export interface SecretReader {
  allowList: SecretEnvAllowList;
  read(name: string): string | undefined;
}

const OUTBOUND_URI_RE = /^sip:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:;transport=(udp|tcp|tls))?$/i;

/**
 * Where a dial through `trunk` goes (RFC 3263 resolution as for REGISTER): the trunk's
 * `outbound.uri` (the carrier's proxy), else — a registered trunk dials through its registrar — the
 * registrar. The Request-URI's user is the destination as the trunk writes numbers (E.164, or
 * national digits without the country code). A 401/407 is answered with `outbound.username` and the
 * variable `outbound.passwordEnv` names (on the AGENT_SECRET_ENV allow-list), else the registration's
 * credentials.
 */
export async function trunkTarget(
  trunk: TrunkConfig | undefined,
  trunkName: string,
  destination: string,
  resolver: Pick<SipResolver, 'resolve'>,
  secrets: SecretReader,
): Promise<OutboundTarget> {
  if (trunk === undefined) throw new VoicebridgeError('VB_NOT_FOUND', `trunk ${trunkName} does not exist`);
  const hop = nextHop(trunk);
  const user = trunk.outbound?.numberFormat === 'national' ? national(destination, trunk.countryCode) : destination;
  const hostPort = `${formatHost(hop.target.host)}${hop.target.port === undefined ? '' : `:${hop.target.port}`}`;
  const credentials = outboundCredentials(trunk, secrets);
  return {
    requestUri: `${hop.target.secure ? 'sips' : 'sip'}:${user}@${hostPort}${hop.transport === 'udp' ? '' : `;transport=${hop.transport}`}`,
    destination: await resolver.resolve(hop.target, hop.transport),
    ...(credentials && { credentials }),
    ...(trunk.outbound?.fromUser !== undefined && { fromUser: trunk.outbound.fromUser }),
    ...(trunk.outbound?.sessionExpiresS !== undefined && { sessionExpiresS: trunk.outbound.sessionExpiresS }),
  };
}

function nextHop(trunk: TrunkConfig): { target: SipTarget; transport: Endpoint['transport'] } {
  const uri = trunk.outbound?.uri;
  if (uri !== undefined) {
    const match = OUTBOUND_URI_RE.exec(uri);
    if (!match)
      throw new VoicebridgeError('VB_CONFIG_INVALID', `trunk ${trunk.name}: outbound.uri ${uri} is not usable`);
    const transport = (match[3]?.toLowerCase() ?? 'udp') as Endpoint['transport'];
    const target: SipTarget = { host: (match[1] as string).replace(/^\[|\]$/g, ''), secure: false };
    if (match[2] !== undefined) target.port = Number(match[2]);
    return { target, transport };
  }
  const registrar = trunk.register ? parseSipTarget(trunk.register.registrar) : undefined;
  if (!trunk.register || !registrar)
    throw new VoicebridgeError('VB_CONFIG_INVALID', `trunk ${trunk.name} has no outbound.uri and no registrar`);
  return { target: registrar, transport: registrar.secure ? 'tls' : trunk.register.transport };
}

function outboundCredentials(
  trunk: TrunkConfig,
  secrets: SecretReader,
): { username: string; password: string } | undefined {
  const outbound = trunk.outbound;
  const register = trunk.register;
  const name = outbound?.passwordEnv;
  if (name !== undefined) {
    // Checked again here: the list may have changed since the trunk was saved.
    if (!secrets.allowList.allows(name))
      throw new VoicebridgeError(
        'VB_CONFIG_INVALID',
        `trunk ${trunk.name}: outbound.passwordEnv ${name} is not on AGENT_SECRET_ENV (${secrets.allowList.text})`,
      );
    const password = secrets.read(name);
    if (password === undefined || password === '')
      throw new VoicebridgeError('VB_CONFIG_INVALID', `trunk ${trunk.name}: outbound.passwordEnv ${name} is not set`);
    const username = outbound?.username ?? register?.authUsername ?? register?.username;
    return username === undefined ? undefined : { username, password };
  }
  if (register) return { username: register.authUsername ?? register.username, password: register.password };
  return undefined;
}

/** `+441632960001` with country code 44 → `1632960001`; a number of another country stays E.164. */
function national(destination: string, countryCode: string | undefined): string {
  if (countryCode === undefined || !destination.startsWith(`+${countryCode}`)) return destination;
  return destination.slice(1 + countryCode.length);
}
