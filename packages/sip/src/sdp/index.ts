export { parseOffer, snapPtime } from './offer-answer.ts';
export type { AcceptedOffer, MediaDirection, OfferOptions, OfferOutcome, SupportedCodec } from './offer-answer.ts';
export { buildAnswer } from './answer-builder.ts';
export type { LocalMedia } from './answer-builder.ts';
export { chooseCrypto, formatCrypto } from './crypto-attribute.ts';
export type { AnswerCrypto, OfferedCrypto } from './crypto-attribute.ts';
export { buildOffer } from './offer-builder.ts';
export type { OfferMedia } from './offer-builder.ts';
