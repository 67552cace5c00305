import { createCipheriv, type Cipher } from 'node:crypto';

/** RFC 3711 §8.2 / RFC 4568 §6.2: AES_CM_128 uses a 128-bit master key and a 112-bit master salt. */
export const SRTP_MASTER_KEY_BYTES = 16;
export const SRTP_MASTER_SALT_BYTES = 14;
const AUTH_KEY_BYTES = 20; // HMAC-SHA1, n_a = 160 (RFC 3711 §5.2)

/** RFC 3711 §4.3.2 key derivation labels. */
const LABEL_RTP_ENCRYPTION = 0x00;
const LABEL_RTP_AUTH = 0x01;
const LABEL_RTP_SALT = 0x02;
const LABEL_RTCP_ENCRYPTION = 0x03;
const LABEL_RTCP_AUTH = 0x04;
const LABEL_RTCP_SALT = 0x05;

export interface SrtpSessionKeys {
  encryptionKey: Buffer;
  /** AES-CM with `encryptionKey`'s key schedule, reused for every packet. */
  cipher: AesCounterMode;
  authKey: Buffer;
  /** 14 bytes (k_s). */
  salt: Buffer;
}

export interface SrtpDerivedKeys {
  rtp: SrtpSessionKeys;
  rtcp: SrtpSessionKeys;
}

/**
 * AES in counter mode as RFC 3711 §4.1.1 defines it: the 128-bit IV is the counter's first block,
 * incremented per 16-byte block in its low 16 bits. Node's aes-128-ctr increments all 128 bits, which
 * is the same as long as fewer than 2^16 blocks are used (an RTP packet is far below that).
 */
export function aesCmKeystream(key: Buffer, iv: Buffer, length: number): Buffer {
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/**
 * RFC 3711 §4.3.1 with key_derivation_rate 0 (the SDES default, RFC 4568 §6.3.1): r = 0, so
 * key_id = label || 0^48 and x = key_id XOR master_salt; the label lands in byte 7 of the 14-byte salt.
 * The session key is AES-CM(master key) keystream with IV = x * 2^16 (§4.3.3).
 */
export function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, SRTP_MASTER_SALT_BYTES);
  iv[7] = (iv[7] as number) ^ label;
  return aesCmKeystream(masterKey, iv, length);
}

function withCipher(encryptionKey: Buffer): { encryptionKey: Buffer; cipher: AesCounterMode } {
  return { encryptionKey, cipher: new AesCounterMode(encryptionKey) };
}

/** All six session keys of one master key/salt (RFC 3711 §4.3.2). */
export function deriveSrtpKeys(masterKey: Buffer, masterSalt: Buffer): SrtpDerivedKeys {
  if (masterKey.length !== SRTP_MASTER_KEY_BYTES)
    throw new RangeError(`SRTP master key must be ${SRTP_MASTER_KEY_BYTES} bytes`);
  if (masterSalt.length !== SRTP_MASTER_SALT_BYTES)
    throw new RangeError(`SRTP master salt must be ${SRTP_MASTER_SALT_BYTES} bytes`);
  const derive = (label: number, length: number) => deriveSessionKey(masterKey, masterSalt, label, length);
  return {
    rtp: {
      ...withCipher(derive(LABEL_RTP_ENCRYPTION, SRTP_MASTER_KEY_BYTES)),
      authKey: derive(LABEL_RTP_AUTH, AUTH_KEY_BYTES),
      salt: derive(LABEL_RTP_SALT, SRTP_MASTER_SALT_BYTES),
    },
    rtcp: {
      ...withCipher(derive(LABEL_RTCP_ENCRYPTION, SRTP_MASTER_KEY_BYTES)),
      authKey: derive(LABEL_RTCP_AUTH, AUTH_KEY_BYTES),
      salt: derive(LABEL_RTCP_SALT, SRTP_MASTER_SALT_BYTES),
    },
  };
}

/**
 * AES-CM for packets (RFC 3711 §4.1.1) with one AES key schedule per session: the counter blocks
 * (IV, IV+1, …) go through a reused AES-128-ECB cipher and the keystream is XORed here. Creating an
 * `aes-128-ctr` cipher per packet cost ~3× more (`pnpm bench`, rtp: SRTP).
 */
export class AesCounterMode {
  readonly #ecb: Cipher;
  #blocks = Buffer.alloc(16 * 16);

  constructor(key: Buffer) {
    this.#ecb = createCipheriv('aes-128-ecb', key, null);
    this.#ecb.setAutoPadding(false);
  }

  /** out[at…] = input XOR keystream(iv); `out` may be a different buffer than `input`. */
  xor(iv: Buffer, input: Uint8Array, out: Buffer, at: number): void {
    const count = Math.ceil(input.length / 16);
    if (this.#blocks.length < count * 16) this.#blocks = Buffer.alloc(count * 16);
    const blocks = this.#blocks;
    const high = iv.readUInt16BE(14);
    for (let b = 0; b < count; b++) {
      iv.copy(blocks, b * 16, 0, 14);
      // §4.1.1: the counter is the IV plus the block index; its low 16 bits start at zero.
      blocks.writeUInt16BE((high + b) & 0xffff, b * 16 + 14);
    }
    const stream = this.#ecb.update(blocks.subarray(0, count * 16));
    for (let i = 0; i < input.length; i++) out[at + i] = (input[i] as number) ^ (stream[i] as number);
  }
}

/**
 * The AES-CM IV of RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), where i is
 * the 48-bit packet index for SRTP and the 31-bit SRTCP index for SRTCP (§4.1).
 */
export function srtpIv(salt: Buffer, ssrc: number, index: number): Buffer {
  const iv = Buffer.alloc(16);
  salt.copy(iv, 0, 0, SRTP_MASTER_SALT_BYTES);
  iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  const high = Math.floor(index / 2 ** 32) & 0xffff;
  const low = index >>> 0;
  iv.writeUInt16BE((iv.readUInt16BE(8) ^ high) & 0xffff, 8);
  iv.writeUInt32BE((iv.readUInt32BE(10) ^ low) >>> 0, 10);
  return iv;
}
