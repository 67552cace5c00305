export { G711_SILENCE, decoderFor, encoderFor, pcmaDecode, pcmaEncode, pcmuDecode, pcmuEncode } from './g711.ts';
export type { G711Codec, G711Decoder, G711Encoder } from './g711.ts';
export { RTP_HEADER_BYTES, RTP_VERSION, emptyRtpPacket, isRtcp, parseRtp, writeRtpHeader } from './rtp-packet.ts';
export type { RtpHeaderFields, RtpPacket } from './rtp-packet.ts';
export { Reframer } from './reframer.ts';
export { MediaClock } from './media-clock.ts';
export type { ClockSlot, ClockTimers, MediaClockOptions } from './media-clock.ts';
export { TELEPHONE_EVENT_BYTES, eventToDigit, parseTelephoneEvent } from './telephone-event.ts';
export type { TelephoneEvent } from './telephone-event.ts';
export { JitterBuffer } from './jitter-buffer.ts';
export type { JitterBufferOptions, JitterBufferStats, JitterFrame, JitterPushResult } from './jitter-buffer.ts';
export {
  MAX_REPORT_BLOCKS,
  RTCP_RR,
  RTCP_SDES,
  RTCP_SR,
  parseRtcp,
  reportByteLength,
  sdesCnameByteLength,
  writeReceiverReport,
  writeSdesCname,
  writeSenderReport,
} from './rtcp.ts';
export type { ReportBlock, RtcpPacket, SenderInfo } from './rtcp.ts';
export {
  ReceptionStats,
  buildReceiverReport,
  buildSenderReport,
  ntpFromUnixMs,
  ntpMiddle32,
  roundTripMs,
} from './reception-stats.ts';
export type { ReceptionStatsOptions, ReportOptions, SenderReportOptions } from './reception-stats.ts';
export { Resampler } from './resampler.ts';
export type { ResamplerOptions } from './resampler.ts';
export { TelephoneEventSender, digitToEvent, writeTelephoneEvent } from './telephone-event-sender.ts';
export type { TelephoneEventPacket, TelephoneEventSenderOptions } from './telephone-event-sender.ts';
export { TelephoneEventReceiver } from './telephone-event-receiver.ts';
export type { TelephoneEventPress, TelephoneEventReceiverOptions } from './telephone-event-receiver.ts';
export { SRTP_SUITES, SrtpSession, encryptSrtcp, encryptSrtp } from './srtp-session.ts';
export type { SrtpMasterKey, SrtpSessionOptions, SrtpSuite } from './srtp-session.ts';
export {
  AesCounterMode,
  SRTP_MASTER_KEY_BYTES,
  SRTP_MASTER_SALT_BYTES,
  aesCmKeystream,
  deriveSessionKey,
  deriveSrtpKeys,
  srtpIv,
} from './srtp-keys.ts';
export type { SrtpDerivedKeys, SrtpSessionKeys } from './srtp-keys.ts';
export { REPLAY_WINDOW_SIZE, ReplayWindow } from './srtp-replay-window.ts';
