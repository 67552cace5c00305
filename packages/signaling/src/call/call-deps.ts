import type { SipStack } from '@voicebridge/sip';
import type { CallRecordRepository, NumberRepository } from '@voicebridge/store';
import type { Logger } from 'pino';
import type { AgentDispatcher } from './agent-dispatcher.ts';
import type { CallEvents } from './call-events.ts';
import type { MediaPool } from './media-pool.ts';
import type { MediaTargetPolicy } from './media-target.ts';
import type { SignalingMetrics } from '../signaling-metrics.ts';

/** What a Call needs, injected: no service locator, no singletons. */
export interface CallDeps {
  stack: SipStack;
  media: Pick<MediaPool, 'allocate' | 'start' | 'closeCall' | 'update' | 'dtmf'>;
  dispatcher: Pick<AgentDispatcher, 'dispatch' | 'withdraw'>;
  numbers: Pick<NumberRepository, 'get'>;
  records: Pick<CallRecordRepository, 'create' | 'update'>;
  /** This signaling node's id (NODE_ID), written into each record: only this node sweeps them. */
  nodeId?: string;
  /** SIP advertised address and port for Contact. */
  advertisedAddress: string;
  sipPort: number;
  /** SIP-over-TLS port for the Contact of calls that came over TLS. */
  tlsPort?: number;
  answerTimeoutMs: number;
  /** Which media addresses an offer may name (broadcast, loopback, our own: 488). */
  mediaTargets: Pick<MediaTargetPolicy, 'refusal'>;
  /** RFC 4028 Min-SE: the shortest session interval we accept (422 below it). Default 90 s. */
  sessionMinSeS?: number;
  /** RFC 4028 Session-Expires our INVITEs offer (a trunk's own wins); 0 or absent: none offered. */
  sessionExpiresS?: number;
  log: Logger;
  /** Counts admissions, refusals and verdicts; absent in tests that do not look. */
  metrics?: Pick<SignalingMetrics, 'admitted' | 'refused' | 'callEnded'>;
  /** The number's call events (ringing, answered, ended); absent in tests that do not look. */
  events?: Pick<CallEvents, 'publish' | 'ended'>;
}
