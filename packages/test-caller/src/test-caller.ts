import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { SipStack, buildOffer, parseOffer, type Dialog, type Endpoint } from '@voicebridge/sip';
import { RtpLeg } from './rtp-leg.ts';

export type TestCallProgress =
  | { event: 'calling'; target: string }
  | { event: 'ringing'; status: number }
  | { event: 'answered' }
  | { event: 'greeting-heard' }
  | { event: 'speaking' }
  | { event: 'answer-heard' }
  | { event: 'hung-up'; by: 'us' | 'bridge' };

export interface TestCallOptions {
  /** The dialled number: the Request-URI's user part. */
  number: string;
  target: { host: string; port: number };
  /** The question, 8 kHz mono PCM. */
  question: Int16Array;
  /** The whole call, answer to BYE, at most this long. */
  maxSeconds: number;
  /** No final response within this: the bridge is not answering. */
  answerTimeoutMs?: number;
  onProgress?: (progress: TestCallProgress) => void;
}

export interface TestCallResult {
  sipCallId: string;
  /** How long after the answer the greeting's first audio came, ms. */
  greetingAfterMs?: number;
  /** From the end of our question to the first audio of the answer, as heard on the wire, ms. */
  heardLatencyMs?: number;
  hungUpBy: 'us' | 'bridge';
}

/** A call that could not be made: no answer, refused, unusable SDP. */
export class TestCallError extends Error {
  override readonly name = 'TestCallError';
}

/** The agent has finished a sentence after this much quiet (its replies pause less mid-answer). */
const QUIET_AFTER_SPEECH_MS = 1200;

/**
 * Places one call to a bridge the way a phone would, with the same SIP core the bridge uses: our
 * INVITE with a G.711 offer, the greeting listened to until it ends, the question spoken, the answer
 * listened to, BYE. Everything it opens (SIP and RTP sockets, the stack) is closed before it returns.
 */
export async function placeTestCall(options: TestCallOptions): Promise<TestCallResult> {
  const progress = options.onProgress ?? (() => undefined);
  const local = options.target.host.includes(':') ? '::1' : '127.0.0.1';
  const family = local === '::1' ? 'udp6' : 'udp4';
  const sipSocket = createSocket(family);
  await bind(sipSocket, local);
  const rtp = await RtpLeg.open(local);
  let stack: SipStack | undefined;
  try {
    stack = new SipStack({
      send: (data, to) => sipSocket.send(data, to.port, to.address),
      handler: {
        // A test caller takes no calls.
        onInvite: (tx) => stack?.respond(tx, 488),
        onRequest: (_request, tx) => stack?.respond(tx, 405),
      },
      advertised: { host: local, port: sipSocket.address().port },
      userAgent: 'voicebridge-test-call',
    });
    const sip = stack;
    sipSocket.on('message', (data, from) =>
      sip.receive(data, { address: from.address, port: from.port, transport: 'udp' }),
    );
    sipSocket.on('error', () => undefined);
    return await converse(sip, rtp, { address: local, sipPort: sipSocket.address().port }, options, progress);
  } finally {
    stack?.close();
    rtp.close();
    sipSocket.close();
  }
}

async function converse(
  stack: SipStack,
  rtp: RtpLeg,
  us: { address: string; sipPort: number },
  options: TestCallOptions,
  progress: (p: TestCallProgress) => void,
): Promise<TestCallResult> {
  const { host, port } = options.target;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const local = us.address;
  const localHost = local.includes(':') ? `[${local}]` : local;
  const sipCallId = `${randomBytes(12).toString('hex')}@voicebridge-test-call`;
  const requestUri = `sip:${options.number}@${hostPart}:${port}`;
  const destination: Endpoint = { address: host, port, transport: 'udp' };
  const offer = buildOffer({
    address: local,
    port: rtp.port,
    sessionId: String(Date.now()),
    sessionVersion: 1,
    codecs: ['PCMU', 'PCMA'],
    telephoneEventPayloadType: 101,
    ptimeMs: 20,
  });
  progress({ event: 'calling', target: requestUri });
  const uac = stack.dial({
    requestUri,
    from: `<sip:test-call@${localHost}>;tag=${stack.generateTag()}`,
    to: `<${requestUri}>`,
    callId: sipCallId,
    contact: `sip:test-call@${localHost}:${us.sipPort}`,
    destination,
    headers: [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS']],
    body: Buffer.from(offer),
    contentType: 'application/sdp',
    listener: { onProvisional: (response) => progress({ event: 'ringing', status: response.status }) },
  });
  const answerTimeoutMs = options.answerTimeoutMs ?? 30_000;
  const ringTimer = setTimeout(() => uac.cancel('SIP;cause=480;text="No answer"'), answerTimeoutMs);
  const outcome = await uac.outcome.finally(() => clearTimeout(ringTimer));
  if (outcome.kind === 'timeout')
    throw new TestCallError(`no answer from ${host}:${port}: is a bridge running there (voicebridge start)?`);
  if (outcome.kind === 'cancelled')
    throw new TestCallError(`no answer from ${host}:${port} within ${Math.round(answerTimeoutMs / 1000)} s`);
  if (outcome.kind === 'failed')
    throw new TestCallError(`the bridge refused the call: ${outcome.response.status} ${outcome.response.reason}`);
  const dialog = outcome.dialog;
  const answerSdp = parseOffer(outcome.response.body.toString('utf8'), { codecs: ['PCMU', 'PCMA'] });
  if (!answerSdp.ok) {
    await bye(stack, dialog);
    throw new TestCallError(`the bridge's SDP answer is unusable: ${answerSdp.warning}`);
  }
  const answeredAt = Date.now();
  progress({ event: 'answered' });
  const { codec, remoteRtp } = answerSdp.offer;
  rtp.start({ ...remoteRtp, codec: codec.name, payloadType: codec.payloadType });
  const ended = remoteBye(stack, dialog);
  const deadline = answeredAt + options.maxSeconds * 1000;
  const result: TestCallResult = { sipCallId, hungUpBy: 'us' };

  const greeting = await speechThenQuiet(rtp, ended.promise, deadline);
  if (greeting.heardAtMs !== undefined) {
    result.greetingAfterMs = greeting.heardAtMs - answeredAt;
    progress({ event: 'greeting-heard' });
  }
  if (!ended.done && Date.now() < deadline) {
    progress({ event: 'speaking' });
    await Promise.race([rtp.say(options.question), ended.promise]);
    const spokeAt = Date.now();
    const answer = await speechThenQuiet(rtp, ended.promise, deadline);
    if (answer.heardAtMs !== undefined) {
      result.heardLatencyMs = answer.heardAtMs - spokeAt;
      progress({ event: 'answer-heard' });
    }
  }
  if (ended.done) result.hungUpBy = 'bridge';
  else await bye(stack, dialog);
  progress({ event: 'hung-up', by: result.hungUpBy });
  return result;
}

/** Waits for the far end's voice, then for QUIET_AFTER_SPEECH_MS without it; bounded by `deadline`. */
async function speechThenQuiet(rtp: RtpLeg, ended: Promise<void>, deadline: number): Promise<{ heardAtMs?: number }> {
  let heardAtMs: number | undefined;
  let finished = false;
  await Promise.race([
    ended,
    new Promise<void>((resolve) => {
      const check = (): void => {
        const now = Date.now();
        const last = rtp.lastVoiceAtMs;
        if (last !== undefined && heardAtMs === undefined && last >= startedAt) heardAtMs = last;
        if (
          finished ||
          now >= deadline ||
          (heardAtMs !== undefined && last !== undefined && now - last >= QUIET_AFTER_SPEECH_MS)
        )
          return resolve();
        setTimeout(check, 50);
      };
      const startedAt = Date.now();
      check();
    }),
  ]);
  finished = true;
  return heardAtMs === undefined ? {} : { heardAtMs };
}

/** Answers the bridge's in-dialog requests; `done` once it sent BYE. */
function remoteBye(stack: SipStack, dialog: Dialog): { promise: Promise<void>; done: boolean } {
  const state = { done: false, promise: Promise.resolve() };
  state.promise = new Promise<void>((resolve) => {
    dialog.listener = {
      onConfirmed: () => undefined,
      onAckTimeout: () => undefined,
      onRequest: (request, tx) => {
        stack.respondInDialog(dialog, tx, request.method === 'BYE' || request.method === 'OPTIONS' ? 200 : 488);
        if (request.method === 'BYE') {
          state.done = true;
          resolve();
        }
      },
    };
  });
  return state;
}

async function bye(stack: SipStack, dialog: Dialog): Promise<void> {
  await stack.request(dialog, 'BYE');
}

function bind(socket: Socket, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
