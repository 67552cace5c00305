/**
 * Bridge-added latency of realtime (speech-to-speech) calls, per hop: being built; the spans and
 * how they are taken will be described here.
 */
import { pathToFileURL } from 'node:url';

export async function run(): Promise<void> {
  await Promise.resolve();
  console.log('realtime latency bench: not built yet');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
