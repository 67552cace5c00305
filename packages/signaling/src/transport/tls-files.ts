import { readFileSync } from 'node:fs';
import { VoicebridgeError, type BridgeConfig } from '@voicebridge/protocol';

/** The operator's PEM files for SIP over TLS; an unreadable one stops the start naming its variable. */
export function readTlsFiles(config: BridgeConfig): { cert: Buffer; key: Buffer; ca?: Buffer } {
  const read = (name: 'SIP_TLS_CERT' | 'SIP_TLS_KEY' | 'SIP_TLS_CA'): Buffer | undefined => {
    const path = config[name];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new VoicebridgeError('VB_CONFIG_INVALID', `${name} (got ${JSON.stringify(path)}): cannot read the file`, {
        cause: error,
      });
    }
  };
  const cert = read('SIP_TLS_CERT');
  const key = read('SIP_TLS_KEY');
  if (cert === undefined || key === undefined) {
    throw new VoicebridgeError(
      'VB_CONFIG_INVALID',
      `${cert === undefined ? 'SIP_TLS_CERT' : 'SIP_TLS_KEY'}: is required when SIP_TRANSPORTS includes tls`,
    );
  }
  const ca = read('SIP_TLS_CA');
  return ca === undefined ? { cert, key } : { cert, key, ca };
}
