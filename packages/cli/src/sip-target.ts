import { advertisedSipAddress, isWildcard, loadBridgeConfig } from '@voicebridge/protocol';

/**
 * The SIP address `voicebridge start` listens on with this environment (the same schema it reads),
 * for `test-call`: a wildcard bind with no advertised address is reached on loopback.
 */
export function bridgeSipTarget(env: Record<string, string | undefined>): { host: string; port: number } {
  const config = loadBridgeConfig(env);
  const address = advertisedSipAddress(config);
  const host = isWildcard(address) ? (address.includes(':') ? '::1' : '127.0.0.1') : address;
  return { host, port: config.SIP_PORT };
}
