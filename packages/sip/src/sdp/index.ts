export { buildAnswer, parseOffer, snapPtime } from './offer-answer.ts';
export type {
  AcceptedOffer,
  LocalMedia,
  MediaDirection,
  OfferOptions,
  OfferOutcome,
  SupportedCodec,
} from './offer-answer.ts';
export { chooseCrypto, formatCrypto } from './crypto-attribute.ts';
export type { AnswerCrypto, OfferedCrypto } from './crypto-attribute.ts';
