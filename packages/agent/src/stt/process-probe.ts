import { readFile } from 'node:fs/promises';

/**
 * How far a child has read its input, from Linux procfs: `rchar` in /proc/PID/io (bytes returned by
 * read() calls) and the state letter in /proc/PID/stat. Read in that order: if the child had already
 * read everything and is then found sleeping, it is blocked waiting for more input — its only
 * blocking call once started, since we drain its stdout and stderr — so it has processed all of it.
 *
 * This is how a recogniser process is reused across calls: pocketsphinx_continuous acknowledges
 * nothing, and closing its stdin (the only other way to know it is done) ends the process.
 * `undefined` where procfs is not readable (not Linux, hidepid): callers then retire the process.
 */
export interface ReadProgress {
  /** Bytes the process has read since it started, all files included. */
  readBytes: number;
  /** Sleeping (state S): not running, not in uninterruptible I/O. */
  sleeping: boolean;
}

export async function probeReadProgress(pid: number): Promise<ReadProgress | undefined> {
  try {
    const io = await readFile(`/proc/${pid}/io`, 'latin1');
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
    const rchar = /^rchar:\s*(\d+)$/m.exec(io);
    // The command name in parentheses may contain spaces: the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (!rchar || state === '') return undefined;
    return { readBytes: Number(rchar[1]), sleeping: state === 'S' };
  } catch {
    return undefined;
  }
}
