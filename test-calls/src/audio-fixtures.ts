import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A caller's microphone: `leadSilenceS` of silence (the greeting plays meanwhile), the sentence
 * spoken by flite, then `tailSilenceS` (the answer plays meanwhile; baresip hangs up when the file
 * ends), as 8 kHz mono 16-bit WAV.
 */
export async function spokenWav(
  path: string,
  text: string,
  leadSilenceS: number,
  tailSilenceS: number,
  voice = 'rms',
): Promise<void> {
  const speech = `${path}.speech.wav`;
  await run('flite', ['-voice', voice, '-t', text, '-o', speech]);
  await run('sox', [
    speech,
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    path,
    'pad',
    String(leadSilenceS),
    String(tailSilenceS),
  ]);
}

/**
 * A caller's microphone for several turns: `leadSilenceS` of silence (the greeting), then each
 * sentence spoken by flite (in the turn's own voice, else `voice`) followed by its `silenceAfterS`
 * (the answer plays meanwhile), as 8 kHz mono 16-bit WAV.
 */
export async function conversationWav(
  path: string,
  leadSilenceS: number,
  turns: ReadonlyArray<{ text: string; silenceAfterS: number; voice?: string }>,
  voice = 'rms',
): Promise<void> {
  const parts: string[] = [];
  for (const [i, turn] of turns.entries()) {
    const part = `${path}.${i}.wav`;
    await spokenWav(part, turn.text, i === 0 ? leadSilenceS : 0, turn.silenceAfterS, turn.voice ?? voice);
    parts.push(part);
  }
  await run('sox', [...parts, path]);
}

/** A tone sequence as a microphone (for echo tests): 8 kHz mono 16-bit WAV. */
export async function toneWav(path: string, seconds: number, frequencyHz: number, leadSilenceS: number): Promise<void> {
  await run('sox', [
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    path,
    'synth',
    String(seconds),
    'sine',
    String(frequencyHz),
    'vol',
    '0.5',
    'pad',
    String(leadSilenceS),
    '1',
  ]);
}

/** RMS level of a WAV between two times, in dBFS (sox stat). */
export async function rmsDb(path: string, fromS: number, lengthS: number): Promise<number> {
  const { stderr } = await run('sox', [path, '-n', 'trim', String(fromS), String(lengthS), 'stat']);
  const rms = /RMS\s+amplitude:\s+([0-9.]+)/.exec(stderr)?.[1];
  const value = rms ? Number(rms) : 0;
  return value > 0 ? 20 * Math.log10(value) : -Infinity;
}

/** Duration of a WAV in seconds. */
export async function durationS(path: string): Promise<number> {
  const { stdout } = await run('soxi', ['-D', path]);
  return Number(stdout.trim());
}

/** The samples of a 16-bit PCM WAV (its `data` chunk), e.g. one written by `spokenWav`. */
export async function readWavPcm(path: string): Promise<Int16Array> {
  const bytes = await readFile(path);
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = bytes.toString('ascii', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (id === 'data') {
      const data = bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + size));
      const pcm = new Int16Array(data.length >> 1);
      for (let i = 0; i < pcm.length; i++) pcm[i] = data.readInt16LE(i * 2);
      return pcm;
    }
    at += 8 + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}
