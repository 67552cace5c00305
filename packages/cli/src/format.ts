import type {
  CallEventDeadLetter,
  CallRecord,
  LlmConfig,
  NumberConfig,
  RealtimeModelConfig,
  SttEngineConfig,
  TranscriptEntry,
  TransportAddress,
  TtsEngineConfig,
  TurnLatency,
  WebsocketAgentConfig,
} from '@voicebridge/protocol';

/**
 * Caller numbers, From headers and transcripts are peer-controlled: escape control and bidi
 * characters so a crafted value cannot move the cursor, recolour or reorder an operator's terminal,
 * or break the one-line-per-entry layout.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Tenths of a second, rounded half up on the millisecond value (2050 ms → 2.1s, not toFixed's 2.0s). */
export function seconds(ms: number): string {
  return `${(Math.round(ms / 100) / 10).toFixed(1)}s`;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function fields(pairs: readonly (readonly [string, string | undefined])[]): string {
  const present = pairs.filter((p): p is readonly [string, string] => p[1] !== undefined);
  const width = Math.max(...present.map(([label]) => label.length));
  return present.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n';
}

export function formatNumberConfig(config: NumberConfig): string {
  const { agent } = config;
  const answers =
    agent.kind !== 'scripted'
      ? undefined
      : agent.answers.length === 0
        ? '(none)'
        : agent.answers.map((a) => `${printable(a.keyword)} = ${printable(a.text)}`).join(`\n${' '.repeat(15)}`);
  const llm = agent.kind === 'llm' || agent.kind === 'realtime' ? agent : undefined;
  const greeting = greetingOf(agent);
  return fields([
    ['number', config.number],
    ['agent', agent.kind],
    ['enabled', config.enabled ? 'yes' : 'no'],
    ['configVersion', String(config.configVersion)],
    ['updated', isoTime(config.updatedAtMs)],
    ['greeting', greeting === undefined ? undefined : printable(greeting)],
    ['answers', answers],
    ['fallback', agent.kind !== 'scripted' || agent.fallback === undefined ? undefined : printable(agent.fallback)],
    ['prompt', llm?.prompt === undefined ? undefined : printable(llm.prompt)],
    ['stt', config.engines?.stt === undefined ? undefined : formatEngine(config.engines.stt)],
    ['tts', config.engines?.tts === undefined ? undefined : formatEngine(config.engines.tts)],
    ['llm', agent.kind === 'llm' ? formatLlm(agent.llm) : undefined],
    ['model', agent.kind === 'realtime' ? formatRealtime(agent.realtime) : undefined],
    ['bot', agent.kind === 'websocket' ? formatBot(agent) : undefined],
    [
      'tools',
      llm?.tools === undefined || llm.tools.length === 0
        ? undefined
        : llm.tools
            .map((t) => `${printable(t.name)} → ${printable(t.url)} (${t.timeoutMs} ms)`)
            .join(`\n${' '.repeat(15)}`),
    ],
    [
      'transfers to',
      config.transferTargets === undefined || config.transferTargets.length === 0
        ? undefined
        : config.transferTargets.map(printable).join(', '),
    ],
    ['max duration', config.maxCallDurationS === undefined ? undefined : `${config.maxCallDurationS} s`],
    ['no input', config.noInputTimeoutS === undefined ? undefined : `${config.noInputTimeoutS} s`],
    ['DTMF in records', config.dtmfInRecords ?? 'masked'],
    [
      'barge-in',
      config.greetingInterruptible === undefined
        ? undefined
        : config.greetingInterruptible
          ? 'greeting too'
          : 'not on the greeting',
    ],
    [
      'recording',
      config.recording === undefined
        ? undefined
        : config.recording.enabled
          ? `on, kept ${config.recording.retentionDays} days`
          : 'off',
    ],
    ['events', config.events === undefined ? undefined : formatEvents(config.events)],
  ]);
}

/** `https://… signed with $VAR, no transcripts`: the secret shows as its variable. */
function formatEvents(events: NonNullable<NumberConfig['events']>): string {
  const transcripts = events.includeTranscript === true ? 'with transcripts' : 'no transcripts';
  return `${printable(events.url)}, signed with $${events.secretEnv}, ${transcripts}`;
}

/** A websocket number's bot greets the caller itself: it has no greeting of ours. */
function greetingOf(agent: NumberConfig['agent']): string | undefined {
  return agent.kind === 'websocket' ? undefined : agent.greeting;
}

/** A websocket number's bot: secrets show as the variables that hold them (`$NAME`). */
function formatBot(bot: WebsocketAgentConfig): string {
  const parts = [printable(bot.url)];
  for (const [name, value] of Object.entries(bot.parameters ?? {})) parts.push(`${name}=${printable(value)}`);
  for (const header of bot.headers ?? []) parts.push(`header ${header.name}: $${header.valueEnv}`);
  if (bot.authTokenEnv !== undefined) parts.push(`signed with $${bot.authTokenEnv}`);
  if (bot.accountSid !== undefined) parts.push(`account ${bot.accountSid}`);
  parts.push(bot.reconnectMs === undefined ? 'no reconnect' : `reconnect ${bot.reconnectMs} ms`);
  if (bot.transcribe === true) parts.push('both sides transcribed');
  return parts.join(', ');
}

/** `deepgram, model nova-3, voice V, key $VAR, fallback pocketsphinx`: the URL and the key never shown. */
function formatEngine(engine: SttEngineConfig | TtsEngineConfig): string {
  const parts: string[] = [engine.provider];
  if (engine.model !== undefined) parts.push(`model ${printable(engine.model)}`);
  if ('voice' in engine && engine.voice !== undefined) parts.push(`voice ${printable(engine.voice)}`);
  if ('language' in engine && engine.language !== undefined) parts.push(`language ${engine.language}`);
  if (engine.url !== undefined) parts.push(printable(engine.url));
  if (engine.keyEnv !== undefined) parts.push(`key $${engine.keyEnv}`);
  if (engine.provider !== 'pocketsphinx' && engine.provider !== 'flite')
    parts.push(`fallback ${engine.fallback ?? ('voice' in engine ? 'flite' : 'pocketsphinx')}`);
  return parts.join(', ');
}

/** A realtime number's model; the key shows as the variable that holds it (`$NAME`). */
function formatRealtime(model: RealtimeModelConfig): string {
  const parts = [`${model.provider} ${printable(model.model)}`];
  if (model.url !== undefined) parts.push(printable(model.url));
  if (model.apiKeyEnv !== undefined) parts.push(`key $${model.apiKeyEnv}`);
  if (model.voice !== undefined) parts.push(`voice ${model.voice}`);
  parts.push(`turn detection ${model.turnDetection}`);
  return parts.join(', ');
}

/** The model behind an llm number; the key shows as the variable that holds it (`$NAME`). */
function formatLlm(llm: LlmConfig): string {
  const parts = [printable(llm.baseUrl), `model ${printable(llm.model)}`];
  parts.push(llm.apiKeyEnv === undefined ? 'no key' : `key $${llm.apiKeyEnv}`);
  if (llm.temperature !== undefined) parts.push(`temperature ${llm.temperature}`);
  if (llm.maxTokens !== undefined) parts.push(`max tokens ${llm.maxTokens}`);
  return parts.join(', ');
}

export function formatNumberTable(configs: readonly NumberConfig[]): string {
  if (configs.length === 0) return 'no numbers configured\n';
  return table(
    ['NUMBER', 'AGENT', 'ENABLED', 'VERSION', 'UPDATED', 'ANSWERS', 'GREETING'],
    configs.map(({ agent, ...c }) => [
      c.number,
      agent.kind,
      c.enabled ? 'yes' : 'no',
      String(c.configVersion),
      isoTime(c.updatedAtMs),
      agent.kind === 'scripted' ? String(agent.answers.length) : '-',
      greetingOf(agent) === undefined ? '-' : truncate(printable(greetingOf(agent) ?? ''), 40),
    ]),
  );
}

function address(a: TransportAddress | undefined): string | undefined {
  return a === undefined ? undefined : a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** Talk time: answer to end; for a live call, answer to now. */
export function duration(record: CallRecord, nowMs: number): string {
  if (record.answeredAtMs === undefined) return '-';
  if (record.endedAtMs !== undefined) return seconds(record.endedAtMs - record.answeredAtMs);
  return record.status === 'ended' ? '-' : `${seconds(nowMs - record.answeredAtMs)} (live)`;
}

/** RTP/RTCP figures the media worker reported at close, on one line. */
/** `stt deepgram nova-3, 12.4 s audio; tts elevenlabs …, 210 chars → flite (why); llm m, 340+52 tokens`. */
export function enginesText(record: CallRecord): string | undefined {
  const engines = record.engines;
  if (engines === undefined) return undefined;
  const engine = (
    kind: string,
    use: { provider: string; model?: string; switchedTo?: string; switchReason?: string },
    used: string | undefined,
  ): string => {
    const model = use.model === undefined ? '' : ` ${printable(use.model)}`;
    const switched =
      use.switchedTo === undefined
        ? ''
        : ` → ${use.switchedTo}${use.switchReason === undefined ? '' : ` (${printable(use.switchReason)})`}`;
    return `${kind} ${use.provider}${model}${used === undefined ? '' : `, ${used}`}${switched}`;
  };
  const { stt, tts, llm } = engines;
  const parts = [
    engine('stt', stt, stt.audioSeconds === undefined ? undefined : `${stt.audioSeconds.toFixed(1)} s audio`),
    engine(
      'tts',
      tts,
      tts.characters === undefined
        ? undefined
        : `${tts.characters} chars${tts.cancelled ? `, ${tts.cancelled} cut by barge-in` : ''}`,
    ),
  ];
  if (llm !== undefined)
    parts.push(
      `llm${llm.model === undefined ? '' : ` ${printable(llm.model)}`}, ${llm.promptTokens}+${llm.completionTokens} tokens`,
    );
  return parts.join('; ');
}

export function mediaText(record: CallRecord): string | undefined {
  const m = record.media;
  if (!m) return undefined;
  const parts = [
    `sent ${m.packetsSent}`,
    `received ${m.packetsReceived}`,
    `lost ${m.packetsLost}`,
    `jitter ${m.jitterMs.toFixed(1)} ms`,
    `longest gap ${Math.round(m.longestGapMs)} ms`,
  ];
  if (m.roundTripMs !== undefined) parts.push(`rtt ${m.roundTripMs.toFixed(1)} ms`);
  if (m.jitterBufferMaxMs !== undefined) parts.push(`jitter buffer max ${Math.round(m.jitterBufferMaxMs)} ms`);
  if (m.callerFramesDroppedHeld)
    parts.push(`caller frames dropped while held for the agent ${m.callerFramesDroppedHeld}`);
  return parts.join(', ');
}

export function verdictText(record: CallRecord): string | undefined {
  const v = record.verdict;
  if (v === undefined) return undefined;
  const status = v.sipStatus === undefined ? '' : ` SIP ${v.sipStatus}`;
  const detail = v.detail === undefined ? '' : `: ${printable(v.detail)}`;
  const code = v.code === undefined ? '' : ` ${v.code}`;
  return `${v.reason}${code} by ${v.by}${status}${detail}`;
}

export function formatCallRecord(record: CallRecord, nowMs: number): string {
  const since = (ms: number | undefined): string | undefined =>
    ms === undefined ? undefined : `${isoTime(ms)} (+${seconds(ms - record.invitedAtMs)})`;
  const agent =
    record.agent === undefined
      ? undefined
      : `${record.agent}${record.configVersion === undefined ? '' : ` (configVersion ${record.configVersion})`}`;
  const codec =
    record.codec === undefined
      ? undefined
      : `${printable(record.codec)}${record.ptimeMs === undefined ? '' : `, ${record.ptimeMs} ms`}`;
  const head = fields([
    ['call', record.callId],
    ['sip call-id', printable(record.sipCallId)],
    ['from', printable(record.from)],
    ['to', printable(record.to)],
    ['number', printable(record.number)],
    ['trunk', record.trunk === undefined ? undefined : printable(record.trunk)],
    ['diversion', record.diversion === undefined ? undefined : record.diversion.map(printable).join(', ')],
    ['history-info', record.historyInfo === undefined ? undefined : record.historyInfo.map(printable).join(', ')],
    ['agent', agent],
    ['status', record.status],
    ['invited', isoTime(record.invitedAtMs)],
    ['answered', since(record.answeredAtMs)],
    ['ended', since(record.endedAtMs)],
    ['duration', duration(record, nowMs)],
    ['codec', codec],
    ['remote SIP', address(record.remoteSip)],
    ['remote RTP', address(record.remoteRtp)],
    ['SDP RTP', address(record.sdpRtp)],
    ['local RTP', address(record.localRtp)],
    ['media', mediaText(record)],
    ['engines', enginesText(record)],
    ['verdict', verdictText(record) ?? (record.status === 'ended' ? '(none)' : undefined)],
  ]);
  const count = record.transcript.length;
  const transcript =
    count === 0
      ? 'transcript: (empty)\n'
      : `transcript (${count} ${count === 1 ? 'entry' : 'entries'}):\n` +
        record.transcript.map((e) => `+${seconds(e.atMs)} ${e.speaker}: ${transcriptText(e)}\n`).join('');
  // A bot call's turns have no transcript or TTS stages: the CLI prints them with the bot block.
  const turns = record.agent === 'websocket' ? '' : formatTurnLatencies(record.turns) + formatTurnUsage(record.turns);
  return `${head}\n${transcript}${turns}`;
}

/** An interrupted reply shows what the caller heard, then what was cut off unheard. */
function transcriptText(entry: TranscriptEntry): string {
  const heard = printable(entry.text);
  return entry.cut === undefined ? heard : `${heard} [cut: ${printable(entry.cut)}]`;
}

/** `b - a` in ms, or '-' when either stage did not happen. */
function span(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? '-' : String(b - a);
}

/**
 * Per-turn latency as spans between consecutive stages (ms): caller's last voice → final
 * transcript → answer chosen / first token → TTS first audio → first RTP packet; total = last voice
 * (or the final transcript when no voice was seen) → first RTP packet.
 */
export function formatTurnLatencies(turns: readonly TurnLatency[] | undefined): string {
  if (turns === undefined || turns.length === 0) return '';
  const rows = turns.map((t) => [
    String(t.turn),
    `+${seconds(t.sttFinalAtMs)}`,
    span(t.voiceEndAtMs, t.sttFinalAtMs),
    span(t.sttFinalAtMs, t.answerAtMs),
    span(t.answerAtMs, t.ttsFirstAudioAtMs),
    span(t.ttsFirstAudioAtMs, t.firstRtpAtMs),
    span(t.voiceEndAtMs ?? t.sttFinalAtMs, t.firstRtpAtMs),
    t.falseBargeIns === undefined ? String(t.interruptions) : `${t.interruptions} (+${t.falseBargeIns} resumed)`,
    t.jitterBufferMaxMs === undefined ? '-' : String(Math.round(t.jitterBufferMaxMs)),
  ]);
  return `\nturn latency (ms):\n${table(['TURN', 'AT', 'VOICE→STT', 'STT→ANSWER', 'ANSWER→TTS', 'TTS→RTP', 'TOTAL', 'BARGE-INS', 'JITTER BUF'], rows)}`;
}

/**
 * What each turn used, when the agent counted it: STT audio before the final, TTS characters and
 * model tokens (prompt+completion) of the answer; '-' where the call's engines count nothing.
 */
export function formatTurnUsage(turns: readonly TurnLatency[] | undefined): string {
  const used = (turns ?? []).filter((t) => t.usage !== undefined);
  if (used.length === 0) return '';
  const rows = used.map(({ turn, usage = {} }) => [
    String(turn),
    usage.sttAudioSeconds === undefined ? '-' : usage.sttAudioSeconds.toFixed(1),
    usage.ttsCharacters === undefined ? '-' : String(usage.ttsCharacters),
    usage.promptTokens === undefined && usage.completionTokens === undefined
      ? '-'
      : `${usage.promptTokens ?? 0}+${usage.completionTokens ?? 0}`,
  ]);
  return `\nturn usage:\n${table(['TURN', 'STT AUDIO S', 'TTS CHARS', 'LLM TOKENS'], rows)}`;
}

export function formatCallTable(records: readonly CallRecord[], nowMs: number): string {
  if (records.length === 0) return 'no recent calls\n';
  return table(
    ['CALL ID', 'INVITED', 'FROM', 'NUMBER', 'STATUS', 'DURATION', 'VERDICT'],
    records.map((r) => [
      r.callId,
      isoTime(r.invitedAtMs),
      truncate(printable(r.from), 36),
      truncate(printable(r.number), 16),
      r.status,
      duration(r, nowMs),
      r.verdict === undefined
        ? '-'
        : `${r.verdict.reason}${r.verdict.sipStatus === undefined ? '' : ` ${r.verdict.sipStatus}`}`,
    ]),
  );
}

/** The call events given up on, one line each: `#2 call.answered: HTTP 503 after 12 attempts`. */
export function formatDeadLetters(letters: readonly CallEventDeadLetter[]): string {
  if (letters.length === 0) return '';
  const lines = letters.map(
    (l) =>
      `#${l.sequence} ${l.type}: ${printable(l.error)} after ${l.attempts} attempt${l.attempts === 1 ? '' : 's'} (${isoTime(l.failedAtMs)})\n`,
  );
  return `\nevents not delivered (${letters.length}):\n${lines.join('')}`;
}
