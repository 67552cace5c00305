import { readFile } from 'node:fs/promises';
import { createOfflineEngines } from '@voicebridge/agent';

/** Reads a 16-bit PCM WAV's samples (the data chunk found by walking the chunks). */
export async function readWavPcm(path: string): Promise<{ sampleRateHz: number; samples: Int16Array }> {
  const buf = await readFile(path);
  let offset = 12;
  let sampleRateHz = 0;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    if (id === 'fmt ') sampleRateHz = buf.readUInt32LE(offset + 12);
    if (id === 'data') {
      const bytes = buf.subarray(offset + 8, Math.min(buf.length, offset + 8 + size));
      const samples = new Int16Array(bytes.length >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
      return { sampleRateHz, samples };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error(`${path}: no data chunk`);
}

/**
 * What an offline recogniser hears in a recording of a call (8 kHz), utterance by utterance —
 * the same engine the scripted agent uses, biased to `keywords`.
 */
export async function recognizeWav(path: string, keywords: string[]): Promise<string[]> {
  const { samples, sampleRateHz } = await readWavPcm(path);
  if (sampleRateHz !== 8000) throw new Error(`${path}: expected 8 kHz, got ${sampleRateHz}`);
  const engines = createOfflineEngines({ poolSize: 1 });
  const abort = new AbortController();
  try {
    async function* frames(): AsyncGenerator<Int16Array> {
      for (let i = 0; i < samples.length; i += 160) yield samples.slice(i, i + 160);
      yield new Int16Array(8000); // a second of silence closes the last utterance
    }
    const heard: string[] = [];
    for await (const t of engines.stt.transcribe(frames(), { sampleRateHz: 8000, keywords, signal: abort.signal })) {
      if (t.final && t.text.trim() !== '') heard.push(t.text);
    }
    return heard;
  } finally {
    abort.abort();
    await engines.close();
  }
}
