import { hostname } from 'node:os';
import { advertisedSipAddress, isWildcard, type BridgeConfig } from './bridge-config.ts';
import { VoicebridgeError } from './errors.ts';

/**
 * NODE_ID, or the default: the advertised SIP address and port and the host name, so two nodes on
 * one host (different ports) and one address used from two hosts both get distinct ids. A wildcard
 * advertised address names no node: there an explicit NODE_ID is required (VB_CONFIG_INVALID).
 */
export function nodeIdOf(config: BridgeConfig, host: string = hostname()): string {
  if (config.NODE_ID !== undefined) return config.NODE_ID;
  const address = advertisedSipAddress(config);
  if (isWildcard(address)) {
    throw new VoicebridgeError(
      'VB_CONFIG_INVALID',
      `NODE_ID: is required when the advertised SIP address is ${address}`,
    );
  }
  // IPv6 takes `_` before the port: brackets are glob characters in a Redis SCAN pattern.
  const where = address.includes(':') ? `${address}_${config.SIP_PORT}` : `${address}:${config.SIP_PORT}`;
  // A host name may hold characters a key segment must not (and be up to 253 long): keep it usable.
  const id = `${where}@${host.replace(/[^A-Za-z0-9_.-]/g, '-')}`;
  return id.slice(0, 128);
}
