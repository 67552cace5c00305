import { createHash, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { HttpServer, RouteResult } from '@voicebridge/http';
import { CALL_SID_PATTERN, callSidOf, ownerNodeOf, type CallRecord, type NodeCommand } from '@voicebridge/protocol';
import type { CallRecordRepository, RedisKeys } from '@voicebridge/store';

export interface TwilioCompatOptions {
  redis: Redis;
  keys: RedisKeys;
  records: CallRecordRepository;
  /** TWILIO_COMPAT_ACCOUNT_SID and TWILIO_COMPAT_AUTH_TOKEN: the one account this route serves. */
  accountSid: string;
  authToken: string;
}

/** The most live calls searched for a CallSid. */
const MAX_SCANNED = 10_000;
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * The one Twilio REST call a Twilio Media Streams bot makes to end a call without closing its
 * socket: Pipecat's serializer POSTs form `Status=completed` with HTTP Basic `AccountSid:token` to
 * `{base_url}/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json` and takes a 404 with JSON
 * `code: 20404` as "already ended" (https://www.twilio.com/docs/voice/api/call-resource#update-a-call-resource,
 * error 20404 https://www.twilio.com/docs/api/errors/20404). Its own realm: HTTP Basic with the
 * configured account, compared in constant time; errors in Twilio's shape (`code`, `message`,
 * `more_info`, `status`). The hang-up goes to the call's node like the API's (verdict
 * `operator-hangup`: someone outside the media path ended it).
 */
export function addTwilioCompatRoutes(server: HttpServer, options: TwilioCompatOptions): void {
  const expected = digest(`${options.accountSid}:${options.authToken}`);
  server.add({
    method: 'POST',
    path: '/2010-04-01/Accounts/:accountSid/Calls/:callSid',
    realm: 'public',
    handler: async ({ request }) => {
      const params = request.params as { accountSid?: string; callSid?: string };
      if (!authorized(request.headers.authorization, expected) || params.accountSid !== options.accountSid)
        return twilioError(401, 20003, 'Authenticate');
      const callSid = (params.callSid ?? '').replace(/\.json$/, '');
      const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<
        string,
        unknown
      >;
      const status = body['Status'];
      if (status !== 'completed' && status !== 'canceled')
        return twilioError(400, 21218, `Status must be completed or canceled (this server serves only hang-ups)`);
      const record = CALL_SID_PATTERN.test(callSid) ? await liveCallBySid(options, callSid) : undefined;
      if (!record) return notFound(callSid);
      const node = ownerNodeOf(record);
      const command: NodeCommand = { command: 'hangup', callId: record.callId };
      const receivers =
        node === undefined ? 0 : await options.redis.publish(options.keys.nodeCommands(node), JSON.stringify(command));
      // The call is live but its node does not listen: not "already ended", which a bot would believe.
      if (receivers === 0) return twilioError(503, 20500, `the node that owns ${callSid} is not reachable`);
      return { json: callJson(record, options.accountSid, callSid, 'completed') };
    },
  });
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/.exec(header ?? '');
  if (!match?.[1]) return false;
  return timingSafeEqual(digest(Buffer.from(match[1], 'base64').toString('utf8')), expected);
}

async function liveCallBySid(options: TwilioCompatOptions, callSid: string): Promise<CallRecord | undefined> {
  const ids = await options.redis.zrange(options.keys.liveCalls(), '0', String(MAX_SCANNED - 1));
  const callId = ids.find((id) => callSidOf(id) === callSid);
  if (callId === undefined) return undefined;
  const record = await options.records.get(callId);
  return record?.status === 'ended' ? undefined : record;
}

function notFound(callSid: string): RouteResult {
  return twilioError(404, 20404, `The requested resource /Calls/${callSid}.json was not found`);
}

function twilioError(status: number, code: number, message: string): RouteResult {
  return { status, json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

function callJson(record: CallRecord, accountSid: string, sid: string, status: string): Record<string, unknown> {
  return {
    sid,
    account_sid: accountSid,
    from: record.from,
    to: record.number,
    status,
    direction: 'inbound',
    date_created: new Date(record.invitedAtMs).toUTCString(),
    start_time: record.answeredAtMs === undefined ? null : new Date(record.answeredAtMs).toUTCString(),
    api_version: '2010-04-01',
    uri: `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`,
  };
}
