/**
 * A call's audio channel: two ordered directions of binary messages (audio frames and control,
 * see @voicebridge/protocol audio-frame.ts). "up" flows media → agent, "down" agent → media.
 * One direction carries both audio and control so that a mark stays behind the audio before it.
 */
export type ChannelSide = 'media' | 'agent';

export interface CallChannel {
  readonly callId: string;
  /** Resolves once this end receives (its subscription is live). */
  readonly ready: Promise<void>;
  send(message: Buffer): void;
  close(): void;
}

export interface AudioChannel {
  open(callId: string, side: ChannelSide, onMessage: (message: Buffer) => void): CallChannel;
  close(): Promise<void>;
}
