import { CallRecordSchema, VoicebridgeError } from '@voicebridge/protocol';
import type { CallRecord } from '@voicebridge/protocol';
import { describeIssues } from './schema-errors.ts';

/** The hash fields a record is stored under: every top-level property except the transcript. */
const RECORD_FIELDS: ReadonlySet<string> = new Set(
  Object.keys(CallRecordSchema.shape).filter((f) => f !== 'transcript'),
);

/** Field → JSON value, skipping undefined (an absent optional property is an absent field). */
export function encodeRecordFields(values: Readonly<Record<string, unknown>>): string[] {
  const args: string[] = [];
  for (const [field, value] of Object.entries(values)) {
    if (value === undefined || field === 'transcript') continue;
    args.push(field, JSON.stringify(value));
  }
  return args;
}

/**
 * Rebuilds and validates a record from its hash and transcript list. Unknown hash fields are ignored
 * (a newer writer may add some); anything else that does not fit CallRecordSchema is an error naming
 * the key and the field.
 */
export function decodeCallRecord(
  callId: string,
  hashKey: string,
  hash: Readonly<Record<string, string>>,
  transcriptKey: string,
  transcript: readonly string[],
): CallRecord {
  const candidate: Record<string, unknown> = {};
  for (const [field, raw] of Object.entries(hash)) {
    if (!RECORD_FIELDS.has(field)) continue;
    candidate[field] = parseJson(raw, () => `corrupt call record at key ${hashKey}: field ${field} is not JSON`);
  }
  candidate['transcript'] = transcript.map((raw, i) =>
    parseJson(raw, () => `corrupt call record at key ${transcriptKey}: entry ${i} is not JSON`),
  );
  const parsed = CallRecordSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new VoicebridgeError(
      'VB_BAD_MESSAGE',
      `corrupt call record at key ${hashKey}: ${describeIssues(parsed.error.issues)}`,
    );
  }
  if (parsed.data.callId !== callId) {
    throw new VoicebridgeError(
      'VB_BAD_MESSAGE',
      `corrupt call record at key ${hashKey}: callId: holds ${parsed.data.callId}`,
    );
  }
  return parsed.data;
}

function parseJson(raw: string, describe: () => string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new VoicebridgeError('VB_BAD_MESSAGE', describe(), { cause: error });
  }
}
