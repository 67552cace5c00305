export {
  SECRET_PREFIX,
  SIGNATURE_TOLERANCE_S,
  parseSecrets,
  signatureHeader,
  signedHeaders,
  verificationProblem,
  type SignedHeaders,
} from './webhook-signature.ts';
export { callEndedBody, callEventBody, type CallEventEnvelope } from './call-event-body.ts';
export { CallEventMetrics } from './call-event-metrics.ts';
export { CallEventPublisher, type CallEventPublisherOptions, type EventsNumber } from './call-event-publisher.ts';
export { CallEventWorker, type CallEventWorkerOptions } from './call-event-worker.ts';
export { CallEventRedelivery, eventJobOptions, type CallEventRedeliveryOptions } from './call-event-redelivery.ts';
export { receiverBackoff, retryAfterMs, RECEIVER_BACKOFF } from './receiver-backoff.ts';
