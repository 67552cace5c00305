import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, freeRtpPortRange } from '../../test/support/free-port.ts';
import { schedule } from '../../test/support/wait-for.ts';

export interface BaresipCall {
  /** What baresip heard from the bridge (its decoder output), 8 kHz mono WAV. */
  heardWav: string;
  /** What baresip sent (its encoder input). */
  sentWav: string | undefined;
  stdout: string;
  code: number | null;
  /** Removes the temporary directory. */
  cleanup(): Promise<void>;
}

/**
 * Places one real call with baresip (Debian baresip-core), headless: the microphone is a WAV file,
 * the speaker a silent sink, and the sndfile module records both directions. baresip hangs up when
 * the microphone file ends, so the file's length sets the call's length; `-t` bounds the run.
 */
export async function baresipCall(options: {
  uri: string;
  micWav: string;
  maxSeconds: number;
  codec?: 'PCMU' | 'PCMA';
}): Promise<BaresipCall> {
  const dir = await mkdtemp(join(tmpdir(), 'vb-baresip-'));
  // baresip's sip_listen binds the port for SIP over UDP and over TCP: both must be free.
  const sipPort = await freePort('udp', 'tcp');
  const rtp = await freeRtpPortRange(10);
  const config = [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${sipPort}`,
    'net_interface 127.0.0.1',
    `rtp_ports ${rtp.minPort}-${rtp.maxPort}`,
    `audio_source aufile,${options.micWav}`,
    'audio_player aubridge,x',
    'audio_alert aubridge,x',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module aubridge.so',
    'module sndfile.so',
    `snd_path ${dir}`,
    'module_app account.so',
    'module_app menu.so',
    '',
  ].join('\n');
  await writeFile(join(dir, 'config'), config);
  await writeFile(
    join(dir, 'accounts'),
    `<sip:caller@127.0.0.1:${sipPort}>;regint=0;audio_codecs=${options.codec ?? 'PCMU'}\n`,
  );
  await writeFile(join(dir, 'contacts'), '');
  const child = spawn('baresip', ['-f', dir, '-t', String(options.maxSeconds), '-e', `/dial ${options.uri}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let ending: (() => void) | undefined;
  const onOutput = (d: Buffer): void => {
    stdout += d.toString();
    // baresip stays up after the call until -t expires: stop it once the call is over (SIGTERM
    // lets sndfile close its WAV files properly).
    if (!ending && /terminated \(duration|session closed/.test(stdout))
      ending = schedule(500, () => child.kill('SIGTERM'));
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  const cancelKill = schedule((options.maxSeconds + 10) * 1000, () => child.kill('SIGKILL'));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  cancelKill();
  ending?.();
  const files = await readdir(dir);
  const heard = files.find((f) => f.startsWith('dump-') && f.endsWith('-dec.wav'));
  const sent = files.find((f) => f.startsWith('dump-') && f.endsWith('-enc.wav'));
  if (!heard) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`baresip recorded nothing (exit ${code}); its output:\n${stdout.slice(-3000)}`);
  }
  return {
    heardWav: join(dir, heard),
    sentWav: sent ? join(dir, sent) : undefined,
    stdout,
    code,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A baresip callee, headless: it listens as `<sip:USER@127.0.0.1:PORT>`, answers the first call at
 * once (`answermode=auto`), speaks the microphone file and records both directions; it hangs up when
 * the file ends. `done` settles when baresip has exited (or `maxSeconds` passed).
 */
export async function baresipCallee(options: {
  user: string;
  micWav: string;
  maxSeconds: number;
}): Promise<{ sipPort: number; done: Promise<BaresipCall> }> {
  const dir = await mkdtemp(join(tmpdir(), 'vb-baresip-callee-'));
  // baresip's sip_listen binds the port for SIP over UDP and over TCP: both must be free.
  const sipPort = await freePort('udp', 'tcp');
  const rtp = await freeRtpPortRange(10);
  const config = [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${sipPort}`,
    'net_interface 127.0.0.1',
    `rtp_ports ${rtp.minPort}-${rtp.maxPort}`,
    `audio_source aufile,${options.micWav}`,
    'audio_player aubridge,x',
    'audio_alert aubridge,x',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module aubridge.so',
    'module sndfile.so',
    `snd_path ${dir}`,
    'module_app account.so',
    'module_app menu.so',
    '',
  ].join('\n');
  await writeFile(join(dir, 'config'), config);
  await writeFile(
    join(dir, 'accounts'),
    `<sip:${options.user}@127.0.0.1:${sipPort}>;regint=0;answermode=auto;audio_codecs=PCMU\n`,
  );
  await writeFile(join(dir, 'contacts'), '');
  const child = spawn('baresip', ['-f', dir, '-t', String(options.maxSeconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let ending: (() => void) | undefined;
  const onOutput = (d: Buffer): void => {
    stdout += d.toString();
    if (!ending && /terminated \(duration|session closed/.test(stdout))
      ending = schedule(500, () => child.kill('SIGTERM'));
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  const cancelKill = schedule((options.maxSeconds + 10) * 1000, () => child.kill('SIGKILL'));
  const done = (async (): Promise<BaresipCall> => {
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    cancelKill();
    ending?.();
    const files = await readdir(dir);
    const heard = files.find((f) => f.startsWith('dump-') && f.endsWith('-dec.wav'));
    const sent = files.find((f) => f.startsWith('dump-') && f.endsWith('-enc.wav'));
    if (!heard) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`baresip recorded nothing (exit ${code}); its output:\n${stdout.slice(-3000)}`);
    }
    return {
      heardWav: join(dir, heard),
      sentWav: sent ? join(dir, sent) : undefined,
      stdout,
      code,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  })();
  return { sipPort, done };
}
