/**
 * Every way one socket's messages from the bridge differ from what Twilio Media Streams sends
 * (https://www.twilio.com/docs/voice/media-streams/websocket-messages): `connected` first with no
 * counters, `start` second, every counter a string, `sequenceNumber` from "1" over every message
 * after `connected`, `chunk` from "1" without a gap, `timestamp` never going back, 160-byte base64
 * μ-law payloads, one stream id throughout, `stop` last. Empty when the stream conforms.
 */
export function streamProblems(messages: ReadonlyArray<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const at = (i: number, text: string): void => void problems.push(`message ${i + 1}: ${text}`);
  const first = messages[0];
  if (JSON.stringify(first) !== JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }))
    at(0, `not Twilio's connected: ${JSON.stringify(first)}`);
  const start = messages[1] as { event?: unknown; streamSid?: unknown; start?: Record<string, unknown> } | undefined;
  if (start?.event !== 'start') at(1, 'the second message is not start');
  const sid = start?.streamSid;
  if (typeof sid !== 'string' || !/^MZ[0-9a-f]{32}$/.test(sid)) at(1, `streamSid ${String(sid)}`);
  const body = start?.start ?? {};
  if (body['streamSid'] !== sid) at(1, 'start.streamSid differs from streamSid');
  if (typeof body['callSid'] !== 'string' || !/^CA[0-9a-f]{32}$/.test(body['callSid'])) at(1, 'callSid');
  if (typeof body['accountSid'] !== 'string' || !/^AC[0-9a-f]{32}$/.test(body['accountSid'])) at(1, 'accountSid');
  if (JSON.stringify(body['tracks']) !== '["inbound"]') at(1, 'tracks');
  if (JSON.stringify(body['mediaFormat']) !== '{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}')
    at(1, `mediaFormat ${JSON.stringify(body['mediaFormat'])}`);
  const parameters = body['customParameters'];
  if (typeof parameters !== 'object' || parameters === null) at(1, 'customParameters');
  else
    for (const [name, value] of Object.entries(parameters)) if (typeof value !== 'string') at(1, `parameter ${name}`);
  let chunk = 0;
  let timestamp = -1;
  messages.slice(1).forEach((message, index) => {
    const i = index + 1;
    if (message['sequenceNumber'] !== String(i)) at(i, `sequenceNumber ${String(message['sequenceNumber'])}`);
    if (message['streamSid'] !== sid) at(i, 'another streamSid');
    const event = message['event'];
    if (event === 'media') {
      const media = (message['media'] ?? {}) as Record<string, unknown>;
      chunk++;
      if (media['chunk'] !== String(chunk)) at(i, `chunk ${String(media['chunk'])}, expected ${chunk}`);
      if (media['track'] !== 'inbound') at(i, 'track');
      const ts = typeof media['timestamp'] === 'string' ? Number(media['timestamp']) : NaN;
      if (!/^\d+$/.test(String(media['timestamp'])) || ts <= timestamp)
        at(i, `timestamp ${String(media['timestamp'])}`);
      timestamp = ts;
      const payload = media['payload'];
      if (typeof payload !== 'string' || Buffer.from(payload, 'base64').length !== 160) at(i, 'payload');
    } else if (event === 'dtmf') {
      const dtmf = (message['dtmf'] ?? {}) as Record<string, unknown>;
      if (dtmf['track'] !== 'inbound_track' || typeof dtmf['digit'] !== 'string') at(i, 'dtmf');
    } else if (event === 'mark') {
      if (typeof (message['mark'] as Record<string, unknown> | undefined)?.['name'] !== 'string') at(i, 'mark');
    } else if (event === 'stop') {
      if (i !== messages.length - 1) at(i, 'stop before the end');
      const stop = (message['stop'] ?? {}) as Record<string, unknown>;
      if (stop['callSid'] !== body['callSid'] || stop['accountSid'] !== body['accountSid']) at(i, 'stop ids');
    } else if (i > 1) {
      at(i, `unexpected event ${String(event)}`);
    }
  });
  return problems;
}
