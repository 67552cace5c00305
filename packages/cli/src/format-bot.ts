import type { BotStreamStats, CallRecord, TurnLatency } from '@voicebridge/protocol';
import { isoTime, printable, seconds, table } from './format.ts';

/** 8 kHz μ-law: one byte, one sample. */
const SAMPLES_PER_SECOND = 8000;

/**
 * A websocket call's bot stream, as `calls show` prints it: where it went (the URL the record keeps,
 * already without its query), when it connected, media both ways, marks, clears, what was dropped
 * and ignored, and how the bot closed. Counts only: the record keeps no content of the stream.
 */
export function formatBotStream(record: CallRecord): string {
  const bot = record.bot;
  if (bot === undefined) return '';
  const rows: Array<[string, string]> = [['url', bot.url === '' ? '(not connected)' : printable(bot.url)]];
  if (bot.connectedAtMs !== undefined)
    rows.push(['connected', `${isoTime(bot.connectedAtMs)} (+${seconds(bot.connectedAtMs - record.invitedAtMs)})`]);
  rows.push(
    ['caller → bot', callerMedia(bot)],
    ['bot → caller', botMedia(bot)],
    [
      'marks',
      `${bot.marks} received, ${bot.marksEchoed} echoed; ${bot.clears} ${bot.clears === 1 ? 'clear' : 'clears'}`,
    ],
  );
  if (bot.reconnects > 0) rows.push(['reconnects', String(bot.reconnects)]);
  const ignored = Object.entries(bot.ignored).filter(([, n]) => n > 0);
  rows.push([
    'ignored',
    ignored.length === 0 ? 'none' : ignored.map(([kind, n]) => `${printable(kind)} ${n}`).join(', '),
  ]);
  if (bot.closeCode !== undefined)
    rows.push([
      'bot closed',
      `${bot.closeCode}${bot.closeReason === undefined || bot.closeReason === '' ? '' : ` ${printable(bot.closeReason)}`}`,
    ]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return `\nbot:\n${rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

function callerMedia(bot: BotStreamStats): string {
  const parts = [`${bot.callerFramesSent} frames sent`];
  if (bot.callerFramesFilled > 0) parts.push(`${bot.callerFramesFilled} of them filled in`);
  parts.push(`${bot.callerFramesDropped} dropped`);
  return parts.join(', ');
}

function botMedia(bot: BotStreamStats): string {
  return [
    `${bot.botMediaMessages} messages`,
    `${seconds((bot.botBytes * 1000) / SAMPLES_PER_SECOND)} of audio`,
    `${seconds((bot.botSamplesDropped * 1000) / SAMPLES_PER_SECOND)} dropped at the queue's bound`,
  ].join(', ');
}

/** `b - a` in ms, or '-' when either stage did not happen. */
function span(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? '-' : String(b - a);
}

/**
 * A websocket call's turns: the caller's turn ends at its last voiced frame (our VAD: a bot call has
 * no transcript of ours), the bot's reply is its first voiced audio after it (`sttFinalAtMs`, where
 * the record keeps it), then its first RTP packet to the caller. VOICE→BOT is the bot's own time,
 * BOT→RTP the bridge's.
 */
export function formatBotTurns(turns: readonly TurnLatency[] | undefined): string {
  if (turns === undefined || turns.length === 0) return '';
  const rows = turns.map((t) => [
    String(t.turn),
    `+${seconds(t.sttFinalAtMs)}`,
    span(t.voiceEndAtMs, t.sttFinalAtMs),
    span(t.sttFinalAtMs, t.firstRtpAtMs),
    span(t.voiceEndAtMs ?? t.sttFinalAtMs, t.firstRtpAtMs),
    t.jitterBufferMaxMs === undefined ? '-' : String(Math.round(t.jitterBufferMaxMs)),
  ]);
  return `\nbot turn latency (ms):\n${table(['TURN', 'AT', 'VOICE→BOT', 'BOT→RTP', 'TOTAL', 'JITTER BUF'], rows)}`;
}
