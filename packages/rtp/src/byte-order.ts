/** Network byte order (big-endian) 32-bit access on plain Uint8Arrays, shared by the RTP and RTCP codecs. */
export function readUint32(buf: Uint8Array, at: number): number {
  return (
    (((buf[at] as number) << 24) |
      ((buf[at + 1] as number) << 16) |
      ((buf[at + 2] as number) << 8) |
      (buf[at + 3] as number)) >>>
    0
  );
}

export function writeUint32(out: Uint8Array, at: number, value: number): void {
  const v = value >>> 0;
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}
