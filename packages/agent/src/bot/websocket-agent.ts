import type { OutboundPolicy } from '@voicebridge/outbound';
import {
  agentConfigOf,
  type CallJob,
  type BotStreamStats,
  type CallRecord,
  type CheckedOutboundUrl,
  type WebsocketAgentConfig,
} from '@voicebridge/protocol';
import { pcmuDecode } from '@voicebridge/rtp';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import {
  AgentRefusal,
  type AgentKind,
  type AgentUsage,
  type CallContext,
  type PrepareOptions,
} from '../agents/agent-kind.ts';
import { delay } from '../stt/abortable.ts';
import type { SpeechToText } from '../stt/speech-to-text.ts';
import { parseBotMessage, type BotMessage, type IgnoredReason } from './bot-messages.ts';
import { resolveBotSecrets, type BotSecretSource, type BotSecrets } from './bot-secrets.ts';
import { BotTranscripts } from './bot-transcripts.ts';
import { BotTurns } from './bot-turns.ts';
import { openBotSocket } from './bot-socket.ts';
import { CallerStream } from './caller-stream.ts';
import { StreamMessages } from './stream-messages.ts';
import { streamIdentityOf, twilioSignature } from './twilio-ids.ts';

export interface WebsocketAgentOptions extends BotSecretSource {
  /** Every bot URL is checked by it, and the socket connects only to addresses it checked. */
  policy: OutboundPolicy;
  /** The caller and callee for `from_number`/`to_number` and the SIP Call-ID come from the call's record; the stream's counters go there. */
  records?: {
    get(callId: string): Promise<CallRecord | undefined>;
    update?(callId: string, patch: { bot: BotStreamStats }): Promise<void>;
  };
  /** The recogniser of numbers that ask for a transcript of both sides (`transcribe`). */
  stt?: SpeechToText;
}

/** Close codes that say the bot (or the network) failed rather than hung up: only these reconnect. */
const ABNORMAL_CLOSES = new Set([1001, 1006, 1011, 1012, 1013, 1014]);
/** Bot audio that came before the answer waits at most this much (8 kHz μ-law bytes); more is dropped. */
const EARLY_AUDIO_MAX_BYTES = 60 * 8000;
const RECONNECT_FIRST_DELAY_MS = 100;
const RECONNECT_MAX_DELAY_MS = 2000;

/**
 * The `websocket` agent kind: the call streamed to the number's own bot as a Twilio Media Streams
 * client (docs/agents.md, "Bring your own bot"). `prepare` connects and sends `connected` and
 * `start`, so a bot that is not there is refused before the caller is answered (503
 * `bot-unreachable`); from the answer, caller frames go to the bot as `media`, the bot's audio goes
 * through the call's bounded queue, its marks ride the call's marks (echoed once, when the audio
 * before them left media, or on `clear`), and its socket closing ends the call (`bot-closed`), unless
 * the close was abnormal and the number allows a reconnect.
 */
export class WebsocketAgent implements AgentKind {
  readonly #job: CallJob;
  readonly #config: WebsocketAgentConfig;
  readonly #log: Logger;
  readonly #options: WebsocketAgentOptions;
  readonly #messages: StreamMessages;
  readonly #caller: CallerStream;
  readonly #early: BotMessage[] = [];
  readonly #ignored = new Map<IgnoredReason, number>();
  readonly #turns = new BotTurns();
  #transcripts: BotTranscripts | undefined;
  #earlyBytes = 0;
  #checked: CheckedOutboundUrl | undefined;
  #secrets: BotSecrets | undefined;
  #parameters: Record<string, string> = {};
  #socket: WebSocket | undefined;
  #call: CallContext | undefined;
  /** Set when the bot ended the call before it was answered: the run hangs up at once. */
  #endedEarly = false;
  #closed = false;
  readonly #counts = { botMedia: 0, botBytes: 0, botDropped: 0, marks: 0, marksEchoed: 0, clears: 0, reconnects: 0 };
  #closeCode: number | undefined;
  #closeReason: string | undefined;
  #connectedAtMs: number | undefined;

  constructor(job: CallJob, log: Logger, options: WebsocketAgentOptions) {
    this.#job = job;
    this.#config = agentConfigOf(job.config.agent, 'websocket');
    this.#log = log;
    this.#options = options;
    this.#messages = new StreamMessages(streamIdentityOf(job.callId, job.number, this.#config.accountSid));
    this.#caller = new CallerStream(this.#messages);
  }

  async prepare(signal: AbortSignal, options?: PrepareOptions): Promise<void> {
    this.#secrets = resolveBotSecrets(this.#config, this.#options);
    try {
      this.#checked = this.#options.policy.check(
        this.#config.url,
        'websocket',
        this.#job.config.insecure === true,
        'agent.url',
      );
    } catch (error) {
      throw unreachable(error instanceof Error ? error.message : String(error));
    }
    const record = await this.#options.records?.get(this.#job.callId).catch(() => undefined);
    this.#parameters = {
      ...this.#config.parameters,
      from_number: userPart(record?.from) ?? '',
      to_number: userPart(record?.to) ?? this.#job.number,
      callId: this.#job.callId,
      sipCallId: record?.sipCallId ?? '',
    };
    // A call already answered is a takeover (the owner before us died or handed it back, ADR 0010):
    // the bot hears the same stream again, marked as a reconnect, and may greet again (docs/agents.md).
    const takeover = record?.status === 'answered';
    if (takeover) this.#log.info('taking the bot stream over: start again with reconnect=1');
    if (!options?.deferConnect) await this.#connectOrRefuse(signal, takeover);
  }

  /**
   * A call we placed: the bot is connected at the answer, so its `start` comes when the callee picked
   * up, as Twilio starts a stream on an outbound call only once it is answered; the bot decides when
   * to speak (docs/agents.md).
   */
  connect(signal: AbortSignal): Promise<void> {
    return this.#connectOrRefuse(signal, false);
  }

  async #connectOrRefuse(signal: AbortSignal, takeover: boolean): Promise<void> {
    try {
      await this.#connect(signal, takeover);
    } catch (error) {
      if (signal.aborted) throw error;
      throw unreachable(error instanceof Error ? error.message : String(error));
    }
  }

  run(call: CallContext): Promise<void> {
    return this.#attach(call);
  }

  /** Taken over with a saved conversation: the socket `prepare` opened already said `reconnect=1`. */
  resume(call: CallContext): Promise<void> {
    return this.#attach(call);
  }

  onDtmf(digit: string): void {
    this.#send(this.#messages.dtmf(digit));
  }

  usage(): AgentUsage {
    const { ignored, url: _url, closeReason: _reason, connectedAtMs: _at, ...counts } = this.#stats();
    const usage: Record<string, number> = { ...counts };
    for (const [reason, n] of Object.entries(ignored)) usage[`ignored.${reason}`] = n;
    return usage;
  }

  /** The stream's counters as the call record keeps them; the URL without its query (a token may be there). */
  #stats(): BotStreamStats {
    const url = this.#checked ? `${this.#checked.url.origin}${this.#checked.url.pathname}` : '';
    return {
      url,
      ...(this.#connectedAtMs !== undefined && { connectedAtMs: this.#connectedAtMs }),
      callerFramesSent: this.#caller.sent,
      callerFramesFilled: this.#caller.filled,
      callerFramesDropped: this.#caller.dropped,
      botMediaMessages: this.#counts.botMedia,
      botBytes: this.#counts.botBytes,
      botSamplesDropped: this.#counts.botDropped + (this.#call?.audio.dropped ?? 0),
      marks: this.#counts.marks,
      marksEchoed: this.#counts.marksEchoed,
      clears: this.#counts.clears,
      reconnects: this.#counts.reconnects,
      ignored: Object.fromEntries(this.#ignored),
      ...(this.#closeCode !== undefined && { closeCode: this.#closeCode }),
      ...(this.#closeReason !== undefined && { closeReason: this.#closeReason }),
    };
  }

  /** Idempotent: tells the bot the stream stopped and closes its socket normally. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    // Only a call that ran has a record to complete (a probe or a refusal has none of its own).
    if (this.#call)
      void this.#options.records
        ?.update?.(this.#job.callId, { bot: this.#stats() })
        .catch((error: unknown) => this.#log.warn({ err: error }, 'could not write the bot stream to the record'));
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    socket.removeAllListeners();
    socket.on('error', () => undefined);
    if (socket.readyState === socket.OPEN) {
      socket.send(this.#messages.stop());
      socket.close(1000, reason.slice(0, 100));
    } else {
      socket.terminate();
    }
  }

  async #attach(call: CallContext): Promise<void> {
    this.#call = call;
    if (this.#endedEarly) return call.hangup('bot-closed');
    for (const message of this.#early.splice(0)) this.#onBotMessage(message);
    this.#earlyBytes = 0;
    // The frames that came with or before media's `start` too: the bot has had its `start` since prepare.
    const unobserve = call.observeCallerFrames(
      (frame) => {
        this.#turns.onCallerFrame(frame.samples);
        this.#caller.push(frame, this.#socket, () => this.#log.warn('bot socket not draining: dropping caller audio'));
      },
      { replay: true },
    );
    this.#caller.dropped += call.callerFramesDroppedEarly;
    const stt = this.#config.transcribe === true ? this.#options.stt : undefined;
    this.#transcripts = stt && new BotTranscripts(stt, call, this.#log);
    try {
      // The frames went to the bot through the observer: the queue is only read for a transcript.
      if (this.#transcripts) await this.#transcripts.run();
      else for await (const frame of call.callerAudio) void frame;
    } finally {
      unobserve();
      this.#transcripts?.close();
    }
  }

  async #connect(signal: AbortSignal, reconnect: boolean): Promise<void> {
    const checked = this.#checked;
    const secrets = this.#secrets;
    if (!checked || !secrets) throw new Error('not prepared');
    const headers = { ...secrets.headers };
    if (secrets.authToken !== undefined)
      headers['X-Twilio-Signature'] = twilioSignature(secrets.authToken, checked.url.href);
    const socket = await openBotSocket({
      checked,
      policy: this.#options.policy,
      headers,
      timeoutMs: this.#config.connectTimeoutMs,
      signal,
    });
    if (this.#closed) {
      socket.terminate();
      return;
    }
    this.#socket = socket;
    this.#connectedAtMs ??= Date.now();
    this.#messages.reset();
    socket.send(this.#messages.connected());
    socket.send(this.#messages.start(reconnect ? { ...this.#parameters, reconnect: '1' } : this.#parameters));
    socket.on('message', (data: Buffer, isBinary: boolean) =>
      this.#onBotMessage(parseBotMessage(data, isBinary, this.#messages.identity.streamSid)),
    );
    socket.on('error', (error) => this.#log.warn({ err: { message: error.message } }, 'bot socket error'));
    socket.once('close', (code: number, reason: Buffer) => this.#onClose(socket, code, reason.toString('utf8')));
  }

  #onBotMessage(message: BotMessage): void {
    const call = this.#call;
    if (!call) return this.#holdEarly(message);
    switch (message.kind) {
      case 'media': {
        this.#counts.botMedia++;
        this.#counts.botBytes += message.mulaw.length;
        const pcm = new Int16Array(message.mulaw.length);
        pcmuDecode(message.mulaw, pcm);
        // The bot's reply to the caller's turn closes it: the call times it to its first RTP packet.
        if (this.#turns.isReply(pcm)) {
          call.turns.heard();
          call.turns.answering();
        }
        this.#transcripts?.onBotAudio(pcm);
        void call.audio.write(pcm);
        return;
      }
      case 'mark': {
        this.#counts.marks++;
        const name = message.name;
        // Resolves once: when the audio before it left media (true) or was cleared (false); both echo.
        call.audio.mark(call.signal).then(
          () => {
            this.#counts.marksEchoed++;
            this.#send(this.#messages.mark(name));
          },
          () => undefined,
        );
        return;
      }
      case 'clear':
        this.#counts.clears++;
        call.audio.clear();
        return;
      case 'hangup':
        call.hangup('agent-hangup');
        return;
      case 'dtmf':
        call.sendDtmf(message.digits);
        return;
      case 'transfer':
        void call.transfer(message.target, call.signal).then(
          (result) => this.#log.info({ transfer: result.state }, 'bot transfer'),
          () => undefined,
        );
        return;
      case 'ignored':
        this.#ignore(message.reason);
        return;
    }
  }

  /** Before the answer there is no call to play to: audio and marks wait, bounded. */
  #holdEarly(message: BotMessage): void {
    if (message.kind === 'ignored') return this.#ignore(message.reason);
    if (message.kind === 'clear') {
      this.#early.length = 0;
      this.#earlyBytes = 0;
    }
    if (message.kind === 'media') {
      if (this.#earlyBytes + message.mulaw.length > EARLY_AUDIO_MAX_BYTES) {
        this.#counts.botDropped += message.mulaw.length;
        return;
      }
      this.#earlyBytes += message.mulaw.length;
    }
    this.#early.push(message);
  }

  #ignore(reason: IgnoredReason): void {
    const count = (this.#ignored.get(reason) ?? 0) + 1;
    this.#ignored.set(reason, count);
    // One warning per kind of junk per call, as Twilio warns once per stream.
    if (count === 1) this.#log.warn({ reason }, 'ignored a message from the bot');
  }

  #send(text: string): void {
    const socket = this.#socket;
    if (socket?.readyState === socket?.OPEN) socket?.send(text);
  }

  #onClose(socket: WebSocket, code: number, reason: string): void {
    if (this.#closed || socket !== this.#socket) return;
    this.#socket = undefined;
    this.#closeCode = code;
    this.#closeReason = reason.slice(0, 123);
    this.#log.info({ bot: { closeCode: code, closeReason: reason.slice(0, 120) } }, 'the bot closed its socket');
    if (ABNORMAL_CLOSES.has(code) && this.#config.reconnectMs !== undefined) {
      void this.#reconnect(Date.now() + this.#config.reconnectMs);
      return;
    }
    this.#botEnded();
  }

  #botEnded(): void {
    if (this.#call) this.#call.hangup('bot-closed');
    else this.#endedEarly = true;
  }

  /** Back-off retries inside the number's window; the caller's audio of the gap is dropped, not replayed. */
  async #reconnect(deadlineMs: number): Promise<void> {
    const signal = this.#call?.signal;
    let wait = RECONNECT_FIRST_DELAY_MS;
    for (let attempt = 1; attempt <= 100 && !this.#closed; attempt++) {
      const left = deadlineMs - Date.now();
      if (left <= 0 || !signal || signal.aborted) break;
      try {
        await delay(Math.min(wait, left), signal);
        await this.#connect(signal, true);
        this.#counts.reconnects++;
        this.#log.info({ attempt }, 'reconnected to the bot');
        return;
      } catch (error) {
        if (signal.aborted) return;
        this.#log.warn(
          { attempt, reason: error instanceof Error ? error.message : String(error) },
          'bot reconnect failed',
        );
      }
      wait = Math.min(wait * 2, RECONNECT_MAX_DELAY_MS);
    }
    if (!this.#closed) this.#botEnded();
  }
}

function unreachable(reason: string): AgentRefusal {
  return new AgentRefusal('VB_ENGINE_FAILED', `bot unreachable: ${reason}`, 503, 'bot-unreachable');
}

/** `+15550100` from `"Alice" <sip:+15550100@host>;tag=x` (the user part of a From/To header). */
function userPart(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /(?:sips?|tel):([^@;>]+)/i.exec(header);
  return match?.[1] ?? undefined;
}
