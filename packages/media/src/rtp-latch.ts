import type { TransportAddress } from '@voicebridge/protocol';

export type RtpLatchMode = 'learn' | 'sdp';

export interface RtpLatchOptions {
  /** The address the SDP gave: where we send until a source is latched. */
  sdp: TransportAddress;
  /** `learn` (default) latches to the real source; `sdp` trusts only the SDP address. */
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
 * Before latching, only packets from the SDP address are accepted and we send to it. Within the
 * learning window, the source of `packetsToLatch` consecutive in-sequence packets with a negotiated
 * payload type is latched, preferring a source whose IP equals the SDP address (a source with
 * another IP is latched only while none from the SDP IP was seen). From then on we send to the
 * latched address — RFC 4961 §4: "the SSRC ... sends from the same address and port that it
 * receives on" — and drop every other source, RTCP included (RTCP is accepted from the latched IP:
 * behind a NAT its port is not RTP + 1). After the window, an unlatched session keeps trusting only
 * the SDP address. The latch lasts until the next offer/answer (`renegotiate`).
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

  /** Where our RTP goes. */
  get target(): TransportAddress {
    return this.#latched ?? this.#sdp;
  }

  get latched(): TransportAddress | undefined {
    return this.#latched;
  }

  /** The call started (ACK): learning ends a window later at the latest. */
  startWindow(nowMs: number): void {
    this.#windowStartMs ??= nowMs;
  }

  /**
   * A new offer/answer (re-INVITE, UPDATE): forget the latched source, trust the new SDP address and
   * learn again within a fresh window from now: the new SDP may name a new address, and a source
   * latched under the old one must not keep the call.
   */
  renegotiate(sdp: TransportAddress, nowMs: number): void {
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
    if (this.#mode === 'sdp') return fromSdp;
    this.#windowStartMs ??= nowMs;
    if (nowMs - this.#windowStartMs > this.#windowMs) return fromSdp;
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
    if (this.#candidateRun >= this.#packetsToLatch && (address === this.#sdp.address || !this.#sawSdpIp)) {
      this.#latched = { address, port };
      return true;
    }
    return fromSdp;
  }

  /** Whether an RTCP packet from this source is the caller's. */
  acceptRtcp(address: string): boolean {
    return address === (this.#latched ?? this.#sdp).address;
  }
}
