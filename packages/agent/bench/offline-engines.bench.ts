/**
 * The numbers behind ADR 0005, through the product code path: flite voice → (16→8 kHz) → G.711
 * μ-law → TelephoneUpsampler → warm pocketsphinx. Timings and word errors are printed, never
 * asserted. Needs `pocketsphinx_continuous` and `flite` (scripts/setup.sh installs them).
 *
 * `run()` (what `pnpm bench` calls) is the quick pass: one voice, three decoder starts, three paced
 * utterances, word errors over ten sentences. The full one (four to five voices, ten starts, eight utterances,
 * about four minutes) is what ADR 0005 quotes:
 *
 *   node --import tsx packages/agent/bench/offline-engines.bench.ts [--quick]
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '@voicebridge/protocol';
import { PocketsphinxPool, POCKETSPHINX_DEFAULTS } from '../src/stt/pocketsphinx-pool.ts';
import { PocketsphinxProcess } from '../src/stt/pocketsphinx-process.ts';
import { PocketsphinxStt } from '../src/stt/pocketsphinx-stt.ts';
import type { UpsamplingMethod } from '../src/stt/telephone-upsampler.ts';
import { FliteTts } from '../src/tts/flite-tts.ts';
import { concat, frames, muLawRoundTrip, silence, synthesizeAll } from '../test/engines/audio-helpers.ts';

const SENTENCES: [string, string][] = [
  ['What are your opening hours', 'hours'],
  ['How much is the price for a ticket', 'price'],
  ['Please tell me your address', 'address'],
  ['I would like to book an appointment for tomorrow morning', 'appointment'],
  ['Can I speak to a manager please', 'manager'],
  ['My order number is seven four two', 'order'],
  ['Is the store open on Sunday', 'sunday'],
  ['I need to cancel my reservation', 'cancel'],
  ['Where is the nearest train station', 'station'],
  ['Thank you very much goodbye', 'goodbye'],
  ['Do you deliver to my street', 'deliver'],
  ['What is the weather like today', 'weather'],
  ['I want to pay my bill', 'bill'],
  ['Could you repeat that please', 'repeat'],
  ['My name is John Smith', 'smith'],
  ["The meeting is at three o'clock", 'meeting'],
  ['Please send me an email', 'email'],
  ['How long does shipping take', 'shipping'],
  ['I lost my credit card', 'credit'],
  ['Can you help me reset my password', 'password'],
  ['Is there parking near the building', 'parking'],
  ['I would like a refund', 'refund'],
  ['What time do you close tonight', 'close'],
  ['Please transfer me to billing', 'billing'],
  ['The package arrived damaged', 'damaged'],
  ['Do you accept cash', 'cash'],
  ['I have a question about my account', 'account'],
  ['Is breakfast included in the room', 'breakfast'],
  ['My phone number has changed', 'phone'],
  ['Can I change my delivery date', 'delivery'],
];

const out = (line: string): void => console.log(line);
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const words = (text: string): string[] =>
  text
    .toLowerCase()
    .replace(/[^a-z' ]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);

function wordErrors(reference: string[], hypothesis: string[]): number {
  let previous = Array.from({ length: hypothesis.length + 1 }, (_, j) => j);
  for (let i = 1; i <= reference.length; i++) {
    const row = [i];
    for (let j = 1; j <= hypothesis.length; j++)
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1),
      );
    previous = row;
  }
  return previous[hypothesis.length]!;
}

async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'latin1');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function measureStart(quick: boolean): Promise<void> {
  const wall: number[] = [];
  const cpu: number[] = [];
  let rss = 0;
  for (let i = 0; i < (quick ? 3 : 10); i++) {
    const startedAt = performance.now();
    const process = await PocketsphinxProcess.start(
      { ...POCKETSPHINX_DEFAULTS, log: silentLogger },
      AbortSignal.timeout(60_000),
    );
    wall.push(performance.now() - startedAt);
    cpu.push(await cpuMs(process.pid));
    rss = await rssMb(process.pid);
    await process.close();
  }
  out(
    `decoder start (spawn → ready): median ${median(wall).toFixed(0)} ms wall, ${median(cpu).toFixed(0)} ms CPU; min ${Math.min(...wall).toFixed(0)}, max ${Math.max(...wall).toFixed(0)} ms; RSS ${rss.toFixed(0)} MB`,
  );
}

async function measureTts(tts: FliteTts, voices: string[]): Promise<void> {
  const text = 'Our opening hours are nine to five, Monday to Friday. On Saturdays we open at ten.';
  for (const voice of voices) {
    const first: number[] = [];
    const total: number[] = [];
    let seconds = 0;
    for (let i = 0; i < 5; i++) {
      const startedAt = performance.now();
      let samples = 0;
      for await (const chunk of tts.synthesize(text, {
        sampleRateHz: 8000,
        voice,
        signal: AbortSignal.timeout(30_000),
      })) {
        if (samples === 0) first.push(performance.now() - startedAt);
        samples += chunk.length;
      }
      total.push(performance.now() - startedAt);
      seconds = samples / 8000;
    }
    out(
      `flite ${voice}: first chunk ${median(first).toFixed(0)} ms, all ${median(total).toFixed(0)} ms for ${seconds.toFixed(1)} s of speech`,
    );
  }
}

async function measureAccuracy(
  tts: FliteTts,
  stt: PocketsphinxStt,
  pool: PocketsphinxPool,
  voice: string,
  upsampling: UpsamplingMethod,
  sentences: [string, string][],
): Promise<string> {
  const parts: Int16Array[] = [silence(1000)];
  for (const [sentence] of sentences) parts.push(await synthesizeAll(tts, sentence, { voice }), silence(1000));
  const audio = muLawRoundTrip(concat(parts));
  const lease = await pool.acquire(AbortSignal.timeout(60_000));
  const pid = lease.process.pid;
  lease.release(true);
  const cpuBefore = await cpuMs(pid);
  const startedAt = performance.now();
  const heard: string[] = [];
  const sttFor = upsampling === 'linear' ? stt : new PocketsphinxStt({ pool, upsampling });
  for await (const transcript of sttFor.transcribe(frames(audio), {
    sampleRateHz: 8000,
    signal: AbortSignal.timeout(600_000),
  }))
    heard.push(transcript.text);
  const wallMs = performance.now() - startedAt;
  const cpu = (await cpuMs(pid)) - cpuBefore;
  const reference = sentences.flatMap(([sentence]) => words(sentence));
  const hypothesis = words(heard.join(' '));
  const errors = wordErrors(reference, hypothesis);
  const vocabulary = new Set(hypothesis);
  const keywords = sentences.filter(([, keyword]) => vocabulary.has(keyword)).length;
  const seconds = audio.length / 8000;
  const firstSentence = heard[0] ?? '';
  return `| ${voice} | ${upsampling} | ${((100 * errors) / reference.length).toFixed(0)}% (${errors}/${reference.length}) | ${keywords}/${sentences.length} | "${firstSentence}" | ${(cpu / 1000 / seconds).toFixed(2)} | ${(wallMs / 1000 / seconds).toFixed(2)} |`;
}

/** Caller audio paced in real time (20 ms frames): how long after the last word the transcript comes. */
async function measureLatency(tts: FliteTts, stt: PocketsphinxStt, quick: boolean): Promise<void> {
  const parts: Int16Array[] = [silence(500)];
  for (const [sentence] of SENTENCES.slice(0, quick ? 3 : 8))
    parts.push(muLawRoundTrip(await synthesizeAll(tts, sentence)), silence(1500));
  const audio = concat(parts);
  const startedAt = performance.now();
  async function* paced(): AsyncGenerator<Int16Array> {
    for (let offset = 0, frame = 0; offset < audio.length; offset += 160, frame++) {
      const due = startedAt + frame * 20 - performance.now();
      if (due > 0) await sleep(due);
      yield audio.slice(offset, offset + 160);
    }
  }
  const delays: number[] = [];
  for await (const transcript of stt.transcribe(paced(), {
    sampleRateHz: 8000,
    signal: AbortSignal.timeout(120_000),
  })) {
    delays.push(performance.now() - startedAt - transcript.endMs);
  }
  out(
    `end of last word → final transcript, audio paced in real time: median ${median(delays).toFixed(0)} ms, min ${Math.min(...delays).toFixed(0)}, max ${Math.max(...delays).toFixed(0)} ms over ${delays.length} utterances`,
  );
}

export async function run(options: { quick: boolean } = { quick: true }): Promise<void> {
  const { quick } = options;
  const tts = new FliteTts();
  const pool = new PocketsphinxPool({ size: 1 });
  const stt = new PocketsphinxStt({ pool });
  try {
    await measureStart(quick);
    await measureTts(tts, quick ? ['rms'] : ['kal', 'rms', 'slt', 'awb']);
    await pool.warmUp(AbortSignal.timeout(60_000));
    await measureLatency(tts, stt, quick);
    out(
      '| voice | upsampling | WER | keywords | first sentence heard as | RTF (CPU) | RTF (wall, fed at full speed) |',
    );
    out('| --- | --- | --- | --- | --- | --- | --- |');
    const voices = quick ? ['rms'] : ['rms', 'kal', 'awb', 'slt', 'kal16'];
    // A third of the sentences in the quick pass: each row decodes all of its audio once more.
    const sentences = quick ? SENTENCES.slice(0, 10) : SENTENCES;
    for (const voice of voices)
      for (const upsampling of ['linear', 'zero-stuff', 'band-limited'] as const)
        out(await measureAccuracy(tts, stt, pool, voice, upsampling, sentences));
  } finally {
    await stt.close();
    await pool.close();
    await tts.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  await run({ quick: process.argv.includes('--quick') });
