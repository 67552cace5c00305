export type { AudioChannel, CallChannel, ChannelSide } from './audio-channel.ts';
export { RedisAudioChannel, type RedisAudioChannelOptions } from './redis-audio-channel.ts';
