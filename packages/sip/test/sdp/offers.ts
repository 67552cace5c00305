/** SDP offers as real user agents send them (shapes taken from their default configurations). */

const sdp = (...lines: string[]): string => `${lines.join('\r\n')}\r\n`;

/** baresip 1.0 with `audio_codecs=PCMU` (the test-calls setup). */
export const BARESIP = sdp(
  'v=0',
  'o=- 3012894017 2415384931 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 10052 RTP/AVP 0 101',
  'b=AS:96',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'a=label:1',
  'a=ssrc:3151206433 cname:7c0a1d95-5c8e-4e1f-a7f0-6d1a05b2f0d2',
  'a=rtcp-rsize',
);

/** SIPp 3.6 built-in `uac` scenario: PCMU only, no telephone-event, no ptime. */
export const SIPP_UAC = sdp(
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
);

/** Linphone-like: wideband codecs first, dynamic PTs, three telephone-event clock rates. */
export const LINPHONE = sdp(
  'v=0',
  'o=alice 2437 3209 IN IP4 192.168.1.20',
  's=Talk',
  'c=IN IP4 192.168.1.20',
  't=0 0',
  'a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics',
  'a=record:off',
  'm=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 useinbandfec=1',
  'a=rtpmap:97 speex/16000',
  'a=fmtp:97 vbr=on',
  'a=rtpmap:98 speex/8000',
  'a=fmtp:98 vbr=on',
  'a=fmtp:18 annexb=yes',
  'a=rtpmap:101 telephone-event/48000',
  'a=rtpmap:99 telephone-event/16000',
  'a=rtpmap:100 telephone-event/8000',
  'a=rtcp-fb:* trr-int 1000',
  'a=rtcp-fb:* ccm tmmbr',
);

/** Zoiper-like: PCMA first, iLBC and speex dynamic, telephone-event at 101, ptime 30. */
export const ZOIPER = sdp(
  'v=0',
  'o=Z 0 14823 IN IP4 10.0.0.7',
  's=Z',
  'c=IN IP4 10.0.0.7',
  't=0 0',
  'm=audio 52264 RTP/AVP 8 0 3 110 97 101',
  'a=rtpmap:110 speex/8000',
  'a=rtpmap:97 iLBC/8000',
  'a=fmtp:97 mode=30',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:30',
  'a=sendrecv',
);

/** A video phone: video first, audio second, an application stream last. */
export const VIDEO_AND_AUDIO = sdp(
  'v=0',
  'o=- 20518 0 IN IP4 203.0.113.1',
  's=-',
  'c=IN IP4 203.0.113.1',
  't=0 0',
  'm=video 54400 RTP/AVPF 96 97',
  'a=rtpmap:96 H264/90000',
  'a=rtpmap:97 VP8/90000',
  'm=audio 54402 RTP/AVP 9 0 8 96',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:96 telephone-event/8000',
  'a=fmtp:96 0-16',
  'm=application 54404 UDP/BFCP *',
);

/** WebRTC-ish gateway leg offering only opus and G.722. */
export const OPUS_G722_ONLY = sdp(
  'v=0',
  'o=- 1 1 IN IP4 198.51.100.9',
  's=-',
  'c=IN IP4 198.51.100.9',
  't=0 0',
  'm=audio 40000 RTP/AVP 111 9',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:9 G722/8000',
);

/** A minimal offer to vary: PCMU + PCMA + telephone-event/101, with `extra` lines appended to the audio. */
export function offerWith(options: {
  connection?: string | undefined;
  mediaConnection?: string;
  mline?: string;
  extra?: string[];
  session?: string[];
}): string {
  const lines = ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-'];
  if (options.connection !== undefined) lines.push(options.connection);
  lines.push('t=0 0', ...(options.session ?? []));
  lines.push(options.mline ?? 'm=audio 49170 RTP/AVP 0 8 101');
  if (options.mediaConnection !== undefined) lines.push(options.mediaConnection);
  lines.push(
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    ...(options.extra ?? []),
  );
  return sdp(...lines);
}

export const IN_IP4 = 'c=IN IP4 192.0.2.10';
