import type { NumberConfig } from '@voicebridge/protocol';

/**
 * A caller's key press as the call record may show it. Keypads carry PINs and card numbers, so
 * unless the number says `dtmfInRecords: digits` the record gets `masked` in place of the key; the
 * agent kind still receives the key itself. Logs never carry it either way (docs/security.md).
 */
export function recordedKey(digit: string, config: Pick<NumberConfig, 'dtmfInRecords'>): string {
  return config.dtmfInRecords === 'digits' ? digit : 'masked';
}
