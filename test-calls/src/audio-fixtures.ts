import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A caller's microphone: `leadSilenceS` of silence (the greeting plays meanwhile), the sentence
 * spoken by flite, then `tailSilenceS` (the answer plays meanwhile; baresip hangs up when the file
 * ends), as 8 kHz mono 16-bit WAV.
 */
export async function spokenWav(path: string, text: string, leadSilenceS: number, tailSilenceS: number, voice = 'rms'): Promise<void> {
  const speech = `${path}.speech.wav`;
  await run('flite', ['-voice', voice, '-t', text, '-o', speech]);
  await run('sox', [speech, '-r', '8000', '-c', '1', '-b', '16', path, 'pad', String(leadSilenceS), String(tailSilenceS)]);
}

/** A tone sequence as a microphone (for echo tests): 8 kHz mono 16-bit WAV. */
export async function toneWav(path: string, seconds: number, frequencyHz: number, leadSilenceS: number): Promise<void> {
  await run('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', path, 'synth', String(seconds), 'sine', String(frequencyHz), 'vol', '0.5', 'pad', String(leadSilenceS), '1']);
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
