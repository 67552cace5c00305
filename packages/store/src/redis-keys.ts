import { createHash } from 'node:crypto';
import { E164_PATTERN, NODE_ID_PATTERN, TRUNK_NAME_PATTERN, VoicebridgeError } from '@voicebridge/protocol';

/**
 * A prefix names one deployment's keyspace. Glob characters are refused so that `pattern()` matches
 * exactly this prefix's keys (SCAN MATCH would otherwise treat `*`, `?`, `[` as wildcards).
 * Same rule as REDIS_KEY_PREFIX in the protocol's bridge config, so a value it accepts works here.
 */
export const KEY_PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Our own call ids (see `newCallId`) and anything else used as a key segment. Peer-controlled strings
 * never become key segments: the SIP Call-ID is hashed instead.
 */
export const KEY_SEGMENT_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

export function isValidKeyPrefix(prefix: string): boolean {
  return KEY_PREFIX_PATTERN.test(prefix);
}

export function isKeySafeCallId(callId: string): boolean {
  return KEY_SEGMENT_PATTERN.test(callId);
}

/**
 * The one place Redis key names are built. Layout (prefix `vb`):
 *
 *   vb:number:+15551230001       STRING  NumberConfig JSON, no TTL
 *   vb:numbers                   SET     configured numbers, no TTL
 *   vb:call:<callId>             HASH    one field per top-level CallRecord property, JSON values, TTL
 *   vb:call:<callId>:transcript  LIST    TranscriptEntry JSON, appended by the agent, TTL
 *   vb:call:<callId>:owner       STRING  owner epoch counter (INCR per claim of the call's job), TTL
 *   vb:call:<callId>:conversation STRING ConversationState JSON of a live call, fenced by the owner epoch, TTL
 *   vb:call:<callId>:sip         LIST    SipTraceEntry JSON, the call's SIP messages (masked, bounded), TTL
 *   vb:call:<callId>:event-seq   STRING  the call's last call-event sequence number (INCR), TTL
 *   vb:call:<callId>:events-dead LIST    CallEventDeadLetter JSON, events given up on (bounded), TTL
 *   vb:sipcall:<sha256 hex>      STRING  callId for a SIP Call-ID, TTL
 *   vb:calls:recent              ZSET    callId scored by invitedAtMs, trimmed by age
 *   vb:calls:live                ZSET    callIds not yet ended, scored by invitedAtMs, trimmed by age
 *   vb:calls:by-<field>:<digest> ZSET    callIds with one value of number/from/trunk/verdict/direction,
 *                                        scored by invitedAtMs, trimmed by age (the API's filters)
 *   vb:node:<nodeId>:calls:live  ZSET    the same, of the calls one signaling node took (record.nodeId)
 *   vb:node:<nodeId>:lease       STRING  NodeLeaseHolder JSON of the process that runs the node, PX TTL renewed
 *   vb:trunk:<name>              STRING  TrunkConfig JSON (passwords in clear: protect Redis), no TTL
 *   vb:trunks                    SET     configured trunk names, no TTL
 *   vb:node:<nodeId>:commands    PUBSUB  NodeCommand JSON for the node that owns a call (hang-up)
 *   vb:trunk-status:<name>       STRING  RegistrationStatus JSON, written by signaling, TTL (gone when it stops)
 *   vb:dial:<name>:active        ZSET    outbound calls holding a channel of the trunk, scored by lease expiry
 *   vb:dial:<name>:bucket        HASH    the trunk's outbound CPS token bucket (tokens, ms), TTL
 *   vb:dial:<name>:day:<date>    HASH    outbound calls started and answered seconds on one UTC day, TTL 2 days
 *   vb:call:<callId>:invite-sent STRING  ms the first INVITE of an outbound call left (never dialled twice), TTL
 */
export class RedisKeys {
  readonly #prefix: string;

  constructor(prefix: string) {
    if (!isValidKeyPrefix(prefix)) {
      throw new VoicebridgeError(
        'VB_CONFIG_INVALID',
        `invalid Redis key prefix ${JSON.stringify(prefix)}: must be 1 to 64 of letters, digits, _ . : -`,
      );
    }
    this.#prefix = prefix;
  }

  get prefix(): string {
    return this.#prefix;
  }

  /** SCAN MATCH pattern covering every key under this prefix (cleanup, tests). */
  pattern(): string {
    return `${this.#prefix}:*`;
  }

  number(e164: string): string {
    if (!E164_PATTERN.test(e164)) {
      throw new VoicebridgeError('VB_CONFIG_INVALID', `not an E.164 number: ${JSON.stringify(e164)}`);
    }
    return `${this.#prefix}:number:${e164}`;
  }

  numbersIndex(): string {
    return `${this.#prefix}:numbers`;
  }

  trunk(name: string): string {
    if (!TRUNK_NAME_PATTERN.test(name)) {
      throw new VoicebridgeError('VB_CONFIG_INVALID', `not a trunk name: ${JSON.stringify(name.slice(0, 80))}`);
    }
    return `${this.#prefix}:trunk:${name}`;
  }

  trunkStatus(name: string): string {
    this.trunk(name); // validates the name
    return `${this.#prefix}:trunk-status:${name}`;
  }

  /** Keys of a trunk's outbound limits: `active`, `bucket`, `day:2026-12-06`. */
  dialTrunk(name: string, part: 'active' | 'bucket' | `day:${string}`): string {
    this.trunk(name); // validates the name
    return `${this.#prefix}:dial:${name}:${part}`;
  }

  callInviteSent(callId: string): string {
    return `${this.#prefix}:call:${this.#callSegment(callId)}:invite-sent`;
  }

  trunksIndex(): string {
    return `${this.#prefix}:trunks`;
  }

  call(callId: string): string {
    return `${this.#prefix}:call:${this.#callSegment(callId)}`;
  }

  callTranscript(callId: string): string {
    return `${this.#prefix}:call:${this.#callSegment(callId)}:transcript`;
  }

  callOwner(callId: string): string {
    return `${this.#prefix}:call:${this.#callSegment(callId)}:owner`;
  }

  callSipTrace(callId: string): string {
    return `${this.#prefix}:call:${this.#callSegment(callId)}:sip`;
  }

  callEventSequence(callId: string): string {
    return `${this.#prefix}:call:${this.#callSegment(callId)}:event-seq`;
  }

  callEventsDead(callId: string): string {
    return `${this.#prefix}:call:${this.#callSegment(callId)}:events-dead`;
  }

  callConversation(callId: string): string {
    return `${this.#prefix}:call:${this.#callSegment(callId)}:conversation`;
  }

  /** The SIP Call-ID is peer-controlled (any length, any bytes): only its sha256 reaches the key. */
  callBySipCallId(sipCallId: string): string {
    const digest = createHash('sha256').update(sipCallId, 'utf8').digest('hex');
    return `${this.#prefix}:sipcall:${digest}`;
  }

  recentCalls(): string {
    return `${this.#prefix}:calls:recent`;
  }

  liveCalls(): string {
    return `${this.#prefix}:calls:live`;
  }

  /**
   * The index of calls whose `field` has `value`. Values are peer-controlled (the caller's URI), so
   * only their digest reaches the key.
   */
  callsBy(field: string, value: string): string {
    const digest = createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 32);
    return `${this.#prefix}:calls:by-${field}:${digest}`;
  }

  /** Where a node's own keys start: `vb:node:<nodeId>:` (its command channel, live index, lease). */
  nodePrefix(nodeId: string): string {
    if (!NODE_ID_PATTERN.test(nodeId)) {
      throw new VoicebridgeError('VB_CONFIG_INVALID', `not a node id: ${JSON.stringify(nodeId.slice(0, 140))}`);
    }
    return `${this.#prefix}:node:${nodeId}:`;
  }

  /** The pub/sub channel a node takes commands on (hang up a call it owns). */
  nodeCommands(nodeId: string): string {
    return `${this.nodePrefix(nodeId)}commands`;
  }

  nodeLiveCalls(nodeId: string): string {
    return `${this.nodePrefix(nodeId)}calls:live`;
  }

  nodeLease(nodeId: string): string {
    return `${this.nodePrefix(nodeId)}lease`;
  }

  #callSegment(callId: string): string {
    if (!isKeySafeCallId(callId)) {
      throw new VoicebridgeError(
        'VB_BAD_MESSAGE',
        `call id not usable in a key: ${JSON.stringify(callId.slice(0, 140))}`,
      );
    }
    return callId;
  }
}
