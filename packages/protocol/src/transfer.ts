import { z } from 'zod';

/**
 * Call transfer asked for by the agent (`transfer_call`): the agent names a target,
 * signaling checks it against the number's `transferTargets` and sends REFER (RFC 3515); progress
 * and the outcome travel back signaling → media → agent as this shape.
 */
export const TRANSFER_STATES = ['trying', 'success', 'failure'] as const;

export const TransferProgressSchema = z.object({
  state: z.enum(TRANSFER_STATES),
  /** The SIP status of the REFER, or of the transferee's INVITE (from the NOTIFY's message/sipfrag). */
  status: z.number().int().min(100).max(699).optional(),
  reason: z.string().max(500).optional(),
  /** Set when the bridge refused or could not try (e.g. VB_TRANSFER_NOT_ALLOWED): no REFER was sent. */
  code: z.string().max(64).optional(),
});
export type TransferProgressMessage = z.infer<typeof TransferProgressSchema>;

/** Matches a transfer request to its results on the agent's side. */
export const TransferRequestIdSchema = z.string().min(1).max(64);

/**
 * An entry of a number's `transferTargets` allow-list: a number (`+15550123`) or a sip:/sips:/tel:
 * URI, where `*` matches any run of characters (`+1555*`, `sip:*@pbx.example.com`).
 */
export const TransferTargetPatternSchema = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(
    /^(\+?[0-9*#]{1,32}|(sips?|tel):[^\s<>"]+)$/i,
    'must be a number or a sip:/sips:/tel: URI (* matches anything)',
  );

/** Whether `target` is on the allow-list; URIs compare case-insensitively, numbers exactly. */
export function transferTargetAllowed(patterns: readonly string[] | undefined, target: string): boolean {
  const wanted = target.trim();
  return (patterns ?? []).some((pattern) => {
    const isUri = /^(sips?|tel):/i.test(pattern);
    const glob = pattern.trim().split('*').map(escapeRegExp).join('.*');
    return new RegExp(`^${glob}$`, isUri ? 'i' : '').test(wanted);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
