import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * A named pipe to stream audio into a child that only reads files. pocketsphinx_continuous 0.8 reads
 * `-infile PATH` with fopen(); Node gives a child's stdin as a socketpair, and reopening a socket
 * through /dev/stdin fails (ENXIO). So the child gets the FIFO's read end as fd 0 and reopens it as
 * `/dev/stdin` (that works for a FIFO even once unlinked), and we write through a non-blocking
 * socket. The path is unlinked before the child starts: nothing is left on disk.
 */
export interface AudioFifo {
  /** Give to the child as its stdin, then `closeReadEnd()`. */
  readFd: number;
  /** Our end; ending it gives the child end-of-file. */
  writer: Socket;
  closeReadEnd(): void;
}

export async function openAudioFifo(mkfifoPath: string, signal: AbortSignal): Promise<AudioFifo> {
  const dir = await mkdtemp(join(tmpdir(), 'voicebridge-stt-'));
  let readFd: number | undefined;
  try {
    const path = join(dir, 'audio');
    await execFileAsync(mkfifoPath, ['-m', '600', path], { signal });
    // Non-blocking opens: the read end opens without a writer, then the write end has a reader.
    readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = new Socket({
      fd: openSync(path, constants.O_WRONLY | constants.O_NONBLOCK),
      readable: false,
      writable: true,
    });
    writer.on('error', () => {}); // EPIPE once the reader is gone: the child's exit reports that
    const fd = readFd;
    let open = true;
    return {
      readFd: fd,
      writer,
      closeReadEnd: () => {
        if (open) closeSync(fd);
        open = false;
      },
    };
  } catch (error) {
    if (readFd !== undefined) closeSync(readFd);
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
