import { z } from 'zod';
import {
  CallRecordSchema,
  ERROR_CODES,
  MediaStatsSchema,
  NumberConfigSchema,
  RegistrationStatusSchema,
  CallEventDeadLetterSchema,
  SipTraceEntrySchema,
  TranscriptEntrySchema,
  TrunkConfigSchema,
  TurnLatencySchema,
} from '@voicebridge/protocol';
import { DialInputSchema } from './dial-submit.ts';
import { CallsQuerySchema } from './calls-query.ts';

type Json = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of a zod schema; what zod cannot express is left open. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io,
  }) as Json;
  return rest;
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (schema: Json): Json => ({ content: { 'application/json': { schema } } });
const errors = (...statuses: number[]): Json =>
  Object.fromEntries(
    statuses.map((s) => [String(s), { description: STATUS_TEXT[s] ?? 'error', ...jsonBody(ref('Error')) }]),
  );

const STATUS_TEXT: Record<number, string> = {
  400: 'a parameter or body field is invalid: `error.field` names it',
  401: 'no bearer token, or not one of this node',
  403: 'the read-only token on a route that changes something',
  404: 'no such resource',
  409: 'the resource is not in a state that allows this',
  416: 'the Range header is not one satisfiable byte range',
  422: 'a dial refused by a toll-fraud or spoofing guard: the message starts with the rule',
  429: 'too many failed authentications from this address',
  503: 'the node that owns the call is not reachable',
};

function pathParam(name: string, description: string): Json {
  return { name, in: 'path', required: true, description, schema: { type: 'string' } };
}

function queryParams(): Json[] {
  const shape = CallsQuerySchema.shape;
  return Object.entries(shape).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema: schemaOf(schema.unwrap(), 'input'),
    ...(schema.description !== undefined && { description: schema.description }),
  }));
}

/** Read and write routes of one kind of config (numbers or trunks). */
function configPaths(plural: string, param: string, paramText: string, schema: string, extra: Json = {}): Json {
  const single = {
    parameters: [pathParam(param, paramText)],
    get: {
      summary: `one ${schema}`,
      security: [{ bearer: [] }],
      responses: { '200': { description: 'the config', ...jsonBody(ref(schema)) }, ...errors(400, 401, 404, 429) },
    },
    put: {
      summary: `create or replace (201 when created); one audit log line`,
      security: [{ bearer: [] }],
      requestBody: { required: true, ...jsonBody({ type: 'object' }) },
      responses: {
        '200': { description: 'replaced', ...jsonBody(ref(schema)) },
        '201': { description: 'created', ...jsonBody(ref(schema)) },
        ...errors(400, 401, 403, 429),
      },
    },
    patch: {
      summary: 'change some fields (RFC 7396 merge patch; null removes a field); one audit log line',
      security: [{ bearer: [] }],
      requestBody: {
        required: true,
        content: {
          'application/merge-patch+json': { schema: { type: 'object' } },
          'application/json': { schema: { type: 'object' } },
        },
      },
      responses: { '200': { description: 'changed', ...jsonBody(ref(schema)) }, ...errors(400, 401, 403, 404, 429) },
    },
    delete: {
      summary: 'remove; one audit log line',
      security: [{ bearer: [] }],
      responses: { '204': { description: 'removed' }, ...errors(400, 401, 403, 404, 429) },
    },
  };
  const list = {
    get: {
      summary: `every ${schema}`,
      security: [{ bearer: [] }],
      responses: {
        '200': {
          description: 'all of them',
          ...jsonBody({
            type: 'object',
            properties: { [plural]: { type: 'array', items: ref(schema) }, ...extra },
            required: [plural],
          }),
        },
        ...errors(401, 429),
      },
    },
  };
  return { [`/api/v1/${plural}`]: list, [`/api/v1/${plural}/{${param}}`]: single };
}

/** The OpenAPI 3.1 document of API v1, generated from the same zod schemas the routes validate with. */
export function openApiDocument(): Json {
  const callId = pathParam('id', 'a call id (c…), as in GET /api/v1/calls');
  const callSummary = schemaOf(CallRecordSchema.omit({ transcript: true, dialog: true }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'voicebridge API',
      version: '1',
      description: 'Numbers, trunks and calls of a voicebridge node (docs/api.md).',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'ADMIN_TOKEN (read and write) or READ_TOKEN (read only)',
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(ERROR_CODES) },
                message: { type: 'string' },
                field: { type: 'string', description: 'the offending parameter or body field' },
              },
            },
          },
        },
        NumberConfig: schemaOf(NumberConfigSchema),
        TrunkConfig: schemaOf(TrunkConfigSchema),
        CallSummary: callSummary,
        CallDetail: {
          type: 'object',
          required: ['call', 'transcript', 'turns', 'media', 'usage', 'sipTrace'],
          properties: {
            call: ref('CallSummary'),
            transcript: { type: 'array', items: schemaOf(TranscriptEntrySchema) },
            turns: { type: 'array', items: schemaOf(TurnLatencySchema) },
            media: { oneOf: [schemaOf(MediaStatsSchema), { type: 'null' }] },
            usage: {
              type: 'object',
              properties: Object.fromEntries(
                ['ringMs', 'talkMs', 'turns', 'transcriptEntries', 'recordingMs'].map((k) => [
                  k,
                  { type: 'integer', minimum: 0 },
                ]),
              ),
            },
            sipTrace: { type: 'array', items: schemaOf(SipTraceEntrySchema) },
            eventsDeadLetter: {
              description: 'call events given up on (docs/api.md "Call events"), oldest first',
              type: 'array',
              items: schemaOf(CallEventDeadLetterSchema),
            },
          },
        },
      },
    },
    paths: {
      ...configPaths('numbers', 'e164', 'an E.164 number (+ encoded as %2B)', 'NumberConfig'),
      ...configPaths('trunks', 'name', "a trunk's name", 'TrunkConfig', {
        registration: {
          type: 'object',
          description: 'outbound registration per trunk name, as signaling last wrote it (absent: none)',
          additionalProperties: schemaOf(RegistrationStatusSchema),
        },
      }),
      '/api/v1/live': {
        get: {
          summary:
            'server-sent events: a `calls` event with the calls not ended yet ({calls: [CallSummary…], atMs}) on connect and whenever the list changes',
          security: [{ bearer: [] }],
          responses: {
            '200': { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
            ...errors(401, 429, 503),
          },
        },
      },
      '/api/v1/calls': {
        get: {
          summary: 'calls newest first, filtered; page with nextCursor',
          security: [{ bearer: [] }],
          parameters: queryParams(),
          responses: {
            '200': {
              description: 'a page',
              ...jsonBody({
                type: 'object',
                required: ['calls'],
                properties: { calls: { type: 'array', items: ref('CallSummary') }, nextCursor: { type: 'string' } },
              }),
            },
            ...errors(400, 401, 429),
          },
        },
        post: {
          summary: 'place a call out through a trunk; answers at once, the call proceeds on the dial queue',
          security: [{ bearer: [] }],
          requestBody: { required: true, ...jsonBody(schemaOf(DialInputSchema)) },
          responses: {
            '202': {
              description: 'queued',
              ...jsonBody({
                type: 'object',
                required: ['callId', 'status'],
                properties: {
                  callId: { type: 'string' },
                  status: { type: 'string', enum: ['queued'] },
                  to: { type: 'string' },
                  from: { type: 'string' },
                  trunk: { type: 'string' },
                  number: { type: 'string' },
                },
              }),
            },
            ...errors(400, 401, 403, 422, 429),
          },
        },
      },
      '/api/v1/calls/{id}': {
        parameters: [callId],
        get: {
          summary: 'one call: record, transcript, turns, media stats, usage, SIP trace (masked)',
          security: [{ bearer: [] }],
          responses: {
            '200': { description: 'the call', ...jsonBody(ref('CallDetail')) },
            ...errors(400, 401, 404, 429),
          },
        },
      },
      '/api/v1/calls/{id}/recording': {
        parameters: [callId],
        get: {
          summary: 'the recording (stereo WAV: caller left, agent right); Range requests served',
          security: [{ bearer: [] }],
          responses: {
            '200': { description: 'the whole file', content: { 'audio/wav': {} } },
            '206': { description: 'one byte range', content: { 'audio/wav': {} } },
            ...errors(400, 401, 404, 416, 429),
          },
        },
      },
      '/api/v1/calls/{id}/hangup': {
        parameters: [callId],
        post: {
          summary: 'hang up a live call: its node sends BYE, verdict operator-hangup',
          security: [{ bearer: [] }],
          responses: {
            '202': { description: 'sent to the owning node', ...jsonBody({ type: 'object' }) },
            ...errors(400, 401, 403, 404, 409, 429, 503),
          },
        },
      },
      '/api/v1/calls/{id}/events/redeliver': {
        parameters: [callId],
        post: {
          summary:
            "queue the call's dead-lettered events again (same id, sequence and body) to its number's events URL as it is now",
          security: [{ bearer: [] }],
          responses: {
            '200': {
              description: 'the event ids queued again (none when nothing was dead-lettered)',
              ...jsonBody({
                type: 'object',
                required: ['callId', 'redelivered'],
                properties: { callId: { type: 'string' }, redelivered: { type: 'array', items: { type: 'string' } } },
              }),
            },
            ...errors(400, 401, 403, 404, 409),
          },
        },
      },
    },
  };
}
