import { formatHost, parseUri, type InviteServerTransaction } from '@voicebridge/sip';

/**
 * Our Contact for a dialog (RFC 3261 §8.1.1.8, §12.1.1): it must bring the peer's in-dialog requests
 * back over the transport the INVITE used. A TCP caller gets `;transport=tcp`; a TLS caller gets our
 * TLS port with `;transport=tls`, or a `sips:` URI when its Request-URI was SIPS (§12.1.1: "the
 * Contact header field MUST be a SIPS URI"). `address` is bracketed when it is IPv6.
 */
export function contactUri(
  address: string,
  tx: InviteServerTransaction,
  sipPort: number,
  tlsPort: number | undefined,
): string {
  const host = formatHost(address);
  const transport = tx.source.transport;
  if (transport === 'tls') {
    const port = tlsPort ?? sipPort;
    return parseUri(tx.request.uri)?.scheme === 'sips' ? `sips:${host}:${port}` : `sip:${host}:${port};transport=tls`;
  }
  return `sip:${host}:${sipPort}${transport === 'tcp' ? ';transport=tcp' : ''}`;
}
