import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { errorBody, HttpError, type RouteResult } from '@voicebridge/http';
import type { CallRecord } from '@voicebridge/protocol';

/** A single byte range of a file of `size` bytes (RFC 9110 §14.1.2), or why it cannot be served. */
export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * `bytes=a-b`, `bytes=a-`, `bytes=-n`. One range only: an audio player asks for one, and serving
 * several as multipart would let one request make us read a file many times over.
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (match === null) return 'unsatisfiable';
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return 'unsatisfiable';
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * The call's WAV from the media worker's recording path. The file is on the node whose media worker
 * recorded it; with one node per deployment today that is this one.
 */
export async function sendRecording(record: CallRecord, rangeHeader: string | undefined): Promise<RouteResult> {
  const path = record.media?.recording?.path;
  if (path === undefined) {
    throw new HttpError(
      'VB_NOT_FOUND',
      `id: call ${record.callId} has no recording (its number does not record, or the call has not ended)`,
      'id',
    );
  }
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile()) {
    throw new HttpError(
      'VB_NOT_FOUND',
      `id: the recording of call ${record.callId} is gone (removed by retention, or on another node)`,
      'id',
    );
  }
  const size = info.size;
  const range = parseRange(rangeHeader, size);
  const headers = { 'accept-ranges': 'bytes', 'cache-control': 'private, no-store' };
  if (range === 'unsatisfiable') {
    return {
      status: 416,
      headers: { ...headers, 'content-range': `bytes */${size}` },
      json: errorBody(
        'VB_BAD_MESSAGE',
        `range: ${JSON.stringify((rangeHeader ?? '').slice(0, 60))} is not one satisfiable byte range of ${size} bytes`,
        'range',
      ),
    };
  }
  if (range === undefined) {
    return {
      headers: { ...headers, 'content-length': String(size) },
      contentType: 'audio/wav',
      bytes: createReadStream(path),
    };
  }
  return {
    status: 206,
    headers: {
      ...headers,
      'content-range': `bytes ${range.start}-${range.end}/${size}`,
      'content-length': String(range.end - range.start + 1),
    },
    contentType: 'audio/wav',
    bytes: createReadStream(path, { start: range.start, end: range.end }),
  };
}
