import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { OutboundRefusedError, type OutboundHttp } from '@voicebridge/outbound';
import {
  CALL_EVENTS_QUEUE,
  CallEventJobSchema,
  type CallEventJob,
  type SecretEnvAllowList,
} from '@voicebridge/protocol';
import type { CallEventDeadLetters } from '@voicebridge/store';
import type { Logger } from 'pino';
import type { CallEventMetrics } from './call-event-metrics.ts';
import { receiverBackoff, retryAfterMs } from './receiver-backoff.ts';
import { parseSecrets, signedHeaders } from './webhook-signature.ts';

export interface CallEventWorkerOptions {
  /** BullMQ's blocking connection. Borrowed, never closed here. */
  connection: Redis;
  bullPrefix: string;
  concurrency: number;
  /** Every POST goes through the outbound URL policy: checked addresses, no redirects, bounded reply. */
  outbound: OutboundHttp;
  /** Secrets are read here, by the variable name the number gives, if AGENT_SECRET_ENV lists it; never stored. */
  secrets: { env: NodeJS.ProcessEnv; secretEnv: SecretEnvAllowList };
  deadLetters: Pick<CallEventDeadLetters, 'add'>;
  metrics: CallEventMetrics;
  log: Logger;
}

/** A receiver's reply body is never read on: only the status matters. */
const MAX_REPLY_BYTES = 4096;

/** Why an attempt failed; `final` when trying again cannot help (a refused URL, a missing secret, 410). */
class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly final: boolean,
    readonly status?: number,
    /** The receiver's Retry-After (429, 503): read by the back-off (`receiverBackoff`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Delivers call events (ADR 0022): a BullMQ worker on `call-events` in each agent process. Each
 * attempt signs the job's body afresh (the timestamp is the attempt's, per the spec) and POSTs it
 * with the number's timeout (at most 10 s); a 2xx delivers. A 3xx is a failure and never followed
 * (the spec: "update the webhook URL instead"); 410 Gone, a URL the policy refuses and a secret
 * that is missing or malformed are final at once; anything else is retried with exponential
 * back-off (a 429's or 503's Retry-After honoured, within the schedule: `receiverBackoff`) until
 * EVENTS_MAX_ATTEMPTS, and then the event goes to the call's dead-letter list.
 */
export class CallEventWorker {
  readonly #options: CallEventWorkerOptions;
  readonly #worker: Worker;
  #closing: Promise<void> | undefined;

  constructor(options: CallEventWorkerOptions) {
    this.#options = options;
    this.#worker = new Worker(CALL_EVENTS_QUEUE, (job, _token, signal) => this.#process(job, signal), {
      connection: options.connection,
      prefix: options.bullPrefix,
      concurrency: options.concurrency,
      autorun: false,
      settings: { backoffStrategy: receiverBackoff },
    });
    this.#worker.on('error', (error) => options.log.error({ err: error }, 'call-events worker error'));
  }

  async start(): Promise<void> {
    await this.#worker.waitUntilReady();
    void this.#worker.run().catch(() => undefined);
  }

  /** Lets attempts under way finish (each is bounded by its timeout); idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#worker.close();
    return this.#closing;
  }

  async #process(job: Job, signal: AbortSignal | undefined): Promise<void> {
    const parsed = CallEventJobSchema.safeParse(job.data);
    if (!parsed.success) {
      this.#options.log.error({ jobId: job.id }, 'call event job does not parse: dropped');
      throw new UnrecoverableError('call event job does not parse');
    }
    const event = parsed.data;
    try {
      await this.#attempt(event, signal);
      this.#options.metrics.delivered();
    } catch (error) {
      const failure =
        error instanceof DeliveryFailure
          ? error
          : new DeliveryFailure(oneLine(error), error instanceof OutboundRefusedError);
      const attempts = job.attemptsMade + 1;
      const final = failure.final || attempts >= (job.opts.attempts ?? 1);
      this.#options.metrics.failed(final);
      const log = {
        callId: event.callId,
        type: event.type,
        sequence: event.sequence,
        attempts,
        status: failure.status,
      };
      if (!final) {
        this.#options.log.info({ ...log, error: failure.message }, 'call event not delivered: will retry');
        throw failure;
      }
      this.#options.log.warn({ ...log, error: failure.message }, 'call event given up: dead-letter list');
      await this.#options.deadLetters.add(
        event.callId,
        {
          eventId: event.eventId,
          type: event.type,
          sequence: event.sequence,
          attempts,
          ...(failure.status !== undefined && { status: failure.status }),
          error: failure.message.slice(0, 300),
          failedAtMs: Date.now(),
        },
        event,
      );
      throw new UnrecoverableError(failure.message);
    }
  }

  async #attempt(event: CallEventJob, signal: AbortSignal | undefined): Promise<void> {
    const { secrets, outbound } = this.#options;
    const { url, secretEnv, insecure, timeoutMs } = event.target;
    if (!secrets.secretEnv.allows(secretEnv)) throw new DeliveryFailure(secrets.secretEnv.refusal(secretEnv), true);
    const value = secrets.env[secretEnv];
    if (value === undefined || value === '')
      throw new DeliveryFailure(`call events secret: ${secretEnv} is not set in the agent's environment`, true);
    let keys: Buffer[];
    try {
      keys = parseSecrets(value, secretEnv);
    } catch (error) {
      throw new DeliveryFailure(oneLine(error), true);
    }
    const timestampS = Math.floor(Date.now() / 1000);
    const timeout = AbortSignal.timeout(timeoutMs);
    const response = await outbound.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'voicebridge-events',
          ...signedHeaders(keys, event.eventId, timestampS, event.body),
        },
        body: event.body,
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      },
      {
        insecure,
        maxResponseBytes: MAX_REPLY_BYTES,
        what: 'events.url',
        headersTimeoutMs: timeoutMs,
        idleTimeoutMs: timeoutMs,
      },
    );
    await response.arrayBuffer().catch(() => undefined);
    const { status } = response;
    if (status >= 200 && status <= 299) return;
    if (status >= 300 && status <= 399)
      throw new DeliveryFailure(`HTTP ${status}: redirects are not followed`, false, status);
    if (status === 410) throw new DeliveryFailure('HTTP 410 Gone: the receiver wants no more events', true, status);
    const asked =
      status === 429 || status === 503 ? retryAfterMs(response.headers.get('retry-after'), Date.now()) : undefined;
    const wait = asked === undefined ? '' : `, Retry-After ${Math.round(asked / 1000)} s`;
    throw new DeliveryFailure(`HTTP ${status}${wait}`, false, status, asked);
  }
}

/** An error's message on one line, bounded: never a stack, never more than fits a dead letter. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'no reply within the timeout';
  return message.replace(/\s+/g, ' ').slice(0, 300);
}
