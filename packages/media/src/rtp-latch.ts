import type { TransportAddress } from '@voicebridge/protocol';

export type RtpLatchMode = 'learn' | 'sdp';

export interface RtpLatchOptions {
  /** The address the SDP gave: the only source trusted before a latch, never sent to before one. */
  sdp: TransportAddress;
  /** `learn` (default) latches to the real source; `sdp` latches only the SDP address itself. */
  mode?: RtpLatchMode;
  /** Learning lasts this long from the first packet or the start of the call; default 3 s. */
  learningWindowMs?: number;
  /** Consecutive in-sequence packets from one source that latch it; default 3. */
  packetsToLatch?: number;
}

/**
 * Strict symmetric RTP, against the "RTP bleed" class of bugs (Asterisk AST-2017-005/008): a port
 * that accepts and answers whatever source writes to it lets anyone who guesses the port inject
 * audio and receive the agent's.
 *
 * Nothing is sent before a latch: the SDP address is only what the caller claims, and sending there
 * first lets an offer aim our RTP and RTCP at any host and port (found by probing: an offer naming
 * 127.0.0.1:6379 drew RTCP to the port beside Redis). The caller earns our packets with its own:
 * the source of `packetsToLatch` consecutive in-sequence packets with a negotiated payload type is
 * latched and becomes the one `target`. Before that, only packets from the SDP address are accepted.
 * Within the learning window any source may qualify, preferring one whose IP equals the SDP address
 * (a source with another IP is latched only while none from the SDP IP was seen: a NATed phone);
 * after the window, and in `sdp` mode, only the SDP address itself can. Once latched we send there —
 * RFC 4961 §4: "the SSRC ... sends from the same address and port that it receives on" — and drop
 * every other source. RTCP follows the same rule: accepted from the SDP IP before the latch, from the
 * latched IP after it (any port: behind a NAT the RTCP port is not RTP + 1). The latch lasts until
 * an offer/answer names another address (`renegotiate`).
 */
export class RtpLatch {
  #sdp: TransportAddress;
  readonly #mode: RtpLatchMode;
  readonly #windowMs: number;
  readonly #packetsToLatch: number;
  #latched: TransportAddress | undefined;
  #windowStartMs: number | undefined;
  #candidateAddress = '';
  #candidatePort = -1;
  #candidateSeq = 0;
  #candidateRun = 0;
  #sawSdpIp = false;

  constructor(options: RtpLatchOptions) {
    this.#sdp = options.sdp;
    this.#mode = options.mode ?? 'learn';
    this.#windowMs = options.learningWindowMs ?? 3000;
    this.#packetsToLatch = options.packetsToLatch ?? 3;
  }

  /** Where our RTP goes: the latched source; undefined (send nothing) until the caller's packets latch one. */
  get target(): TransportAddress | undefined {
    return this.#latched;
  }

  get latched(): TransportAddress | undefined {
    return this.#latched;
  }

  /** The address the current SDP names. */
  get sdp(): TransportAddress {
    return this.#sdp;
  }

  /** The call started (ACK): learning ends a window later at the latest. */
  startWindow(nowMs: number): void {
    this.#windowStartMs ??= nowMs;
  }

  /**
   * A new offer/answer (re-INVITE, UPDATE). The same address keeps the latch (a hold, a resume, a
   * session refresh). A new one: forget the latched source, send nothing until the caller's packets
   * latch again within a fresh window from now — a source latched under the old address must not
   * keep the call, and the new address has not earned our packets yet.
   */
  renegotiate(sdp: TransportAddress, nowMs: number): void {
    if (sdp.address === this.#sdp.address && sdp.port === this.#sdp.port) return;
    this.#sdp = sdp;
    this.#latched = undefined;
    this.#windowStartMs = nowMs;
    this.#candidateAddress = '';
    this.#candidatePort = -1;
    this.#candidateRun = 0;
    this.#sawSdpIp = false;
  }

  /** Whether an RTP packet with a negotiated payload type from this source is the caller's. */
  accept(address: string, port: number, seq: number, nowMs: number): boolean {
    const latched = this.#latched;
    if (latched) return address === latched.address && port === latched.port;
    const fromSdp = address === this.#sdp.address && port === this.#sdp.port;
    this.#windowStartMs ??= nowMs;
    const learning = this.#mode === 'learn' && nowMs - this.#windowStartMs <= this.#windowMs;
    if (!learning && !fromSdp) return false;
    if (address === this.#sdp.address) this.#sawSdpIp = true;
    if (
      address === this.#candidateAddress &&
      port === this.#candidatePort &&
      seq === ((this.#candidateSeq + 1) & 0xffff)
    ) {
      this.#candidateRun++;
    } else {
      this.#candidateAddress = address;
      this.#candidatePort = port;
      this.#candidateRun = 1;
    }
    this.#candidateSeq = seq;
    const eligible = fromSdp || address === this.#sdp.address || !this.#sawSdpIp;
    if (this.#candidateRun >= this.#packetsToLatch && eligible) {
      this.#latched = { address, port };
      return true;
    }
    return fromSdp;
  }

  /** Whether an RTCP packet from this source is the caller's. */
  acceptRtcp(address: string): boolean {
    return address === (this.#latched ?? this.#sdp).address;
  }

  /**
   * Where RTCP goes: nowhere before the RTP latch. After it, back where the peer's RTCP came from
   * (`heard`) when that is the latched host (RFC 4961); else the latched host at the offer's RTCP
   * port (`declared`, RFC 3605, or RTP + 1 by RFC 3550 §11) when the offer named that host, else at
   * the latched port + 1.
   */
  rtcpTarget(
    heard: TransportAddress | undefined,
    declared: TransportAddress | undefined,
  ): TransportAddress | undefined {
    const latched = this.#latched;
    if (latched === undefined || this.#sdp.port === 0) return undefined;
    if (heard?.address === latched.address) return heard;
    const offered = declared ?? { address: this.#sdp.address, port: this.#sdp.port + 1 };
    return offered.address === latched.address ? offered : { address: latched.address, port: latched.port + 1 };
  }
}
