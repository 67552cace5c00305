/**
 * 16-bit little-endian PCM bytes from a provider as samples. A provider may split a sample across
 * two messages (an odd byte count): the caller keeps the odd byte and passes it back as `carry`.
 */
export function pcm16FromBytes(bytes: Buffer, carry?: Buffer): { samples: Int16Array; rest: Buffer | undefined } {
  const all = carry === undefined || carry.length === 0 ? bytes : Buffer.concat([carry, bytes]);
  const samples = new Int16Array(all.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = all.readInt16LE(i * 2);
  return { samples, rest: all.length % 2 === 1 ? all.subarray(all.length - 1) : undefined };
}

/** Samples as the little-endian bytes a provider takes, without copying on little-endian hosts. */
export function bytesOfPcm16(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}
