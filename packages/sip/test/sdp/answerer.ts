import { expect } from 'chai';
import type { AcceptedOffer, LocalMedia, OfferOutcome } from '../../src/sdp/index.ts';

/** The bridge's side of the offer tests: both G.711 codecs accepted, and its media address. */
export const BOTH = { codecs: ['PCMU', 'PCMA'] as ('PCMU' | 'PCMA')[] };
export const LOCAL: LocalMedia = { address: '203.0.113.5', port: 20000, sessionId: '4242', sessionVersion: 1 };

/** The accepted offer; fails the test with the status and warning when it was refused. */
export function accepted(outcome: OfferOutcome): AcceptedOffer {
  if (!outcome.ok) return expect.fail(`expected an accepted offer, got ${outcome.status} ${outcome.warning}`);
  return outcome.offer;
}

/** The refusal; fails the test when the offer was accepted. */
export function refused(outcome: OfferOutcome): { status: number; warning: string } {
  if (outcome.ok) return expect.fail('expected the offer to be refused');
  return outcome;
}
