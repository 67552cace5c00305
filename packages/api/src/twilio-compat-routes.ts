import { createHash, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { HttpServer, RouteResult } from '@voicebridge/http';
import {
  CALL_SID_PATTERN,
  callSidOf,
  ownerNodeOf,
  transferTargetAllowed,
  type CallRecord,
  type NodeCommand,
} from '@voicebridge/protocol';
import type { CallRecordRepository, NumberRepository, RedisKeys } from '@voicebridge/store';
import type { LocalCommands } from './local-commands.ts';
import { parseTwiml, type TwimlAction } from './twiml-subset.ts';

export interface TwilioCompatOptions {
  redis: Redis;
  keys: RedisKeys;
  records: CallRecordRepository;
  /** The call's number config: a `<Dial>` target must be on its transferTargets. */
  numbers: Pick<NumberRepository, 'get'>;
  /** TWILIO_COMPAT_ACCOUNT_SID and TWILIO_COMPAT_AUTH_TOKEN: the one account this route serves. */
  accountSid: string;
  authToken: string;
  /** Asked before the node command channel: this node's own calls need no PUBLISH. */
  localCommands?: LocalCommands;
}

/** The most live calls searched for a CallSid. */
const MAX_SCANNED = 10_000;
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * The Twilio REST call a Twilio Media Streams bot makes to control its call without closing its
 * socket. Hanging up: Pipecat's serializer POSTs form `Status=completed` with HTTP Basic `AccountSid:token` to
 * `{base_url}/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json` and takes a 404 with JSON
 * `code: 20404` as "already ended" (https://www.twilio.com/docs/voice/api/call-resource#update-a-call-resource,
 * error 20404 https://www.twilio.com/docs/api/errors/20404). Its own realm: HTTP Basic with the
 * configured account, compared in constant time; errors in Twilio's shape (`code`, `message`,
 * `more_info`, `status`). The hang-up goes to the call's node like the API's (verdict
 * `operator-hangup`: someone outside the media path ended it). `Twiml=` with one verb of a small
 * subset (twiml-subset.ts) does the same by `<Hangup/>`, transfers by `<Dial>` (REFER, only to a
 * target on the number's transferTargets: refused here naming it, and checked again on the node)
 * and presses keys by `<Play digits>` (RFC 4733); both answer the call as `in-progress`.
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
      const action = actionOf(body);
      if ('code' in action) return twilioError(400, action.code, action.message);
      const record = CALL_SID_PATTERN.test(callSid) ? await liveCallBySid(options, callSid) : undefined;
      if (!record) return notFound(callSid);
      const { callId } = record;
      let command: NodeCommand = { command: 'hangup', callId };
      if (action.verb === 'dial') {
        const config = await options.numbers.get(record.number);
        if (!transferTargetAllowed(config?.transferTargets, action.target))
          return twilioError(
            400,
            13224,
            `Dial: ${action.target} is not on the transfer allow-list of ${record.number}`,
          );
        command = { command: 'transfer', callId, target: action.target };
      } else if (action.verb === 'play-digits') command = { command: 'dtmf', callId, digits: action.digits };
      const node = ownerNodeOf(record);
      const local = (await options.localCommands?.run(command)) === true;
      const receivers = local
        ? 1
        : node === undefined
          ? 0
          : await options.redis.publish(options.keys.nodeCommands(node), JSON.stringify(command));
      // The call is live but its node does not listen: not "already ended", which a bot would believe.
      if (receivers === 0) return twilioError(503, 20500, `the node that owns ${callSid} is not reachable`);
      const status = action.verb === 'hangup' ? 'completed' : 'in-progress';
      return { json: callJson(record, options.accountSid, callSid, status) };
    },
  });
}

/** `Status=completed|canceled` hangs up; else `Twiml=` in the subset parseTwiml reads. */
function actionOf(body: Record<string, unknown>): TwimlAction | { code: number; message: string } {
  const status = body['Status'];
  if (status === 'completed' || status === 'canceled') return { verb: 'hangup' };
  if (status !== undefined) return { code: 21218, message: 'Status must be completed or canceled' };
  const twiml = body['Twiml'];
  if (typeof twiml === 'string') return parseTwiml(twiml);
  return { code: 12200, message: 'give Status (completed or canceled) or Twiml (<Hangup/>, <Dial>, <Play digits>)' };
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
