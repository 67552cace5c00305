export { PortPool, type PortPoolOptions, type RtpPortPair } from './port-pool.ts';
export { MediaSession, MediaSessionState } from './media-session.ts';
export { MediaWorker, type MediaWorkerOptions } from './media-worker.ts';
export { MediaControlServer } from './control-server.ts';
export { OutboundQueue } from './outbound-queue.ts';
export { CallRecorder, wavHeader, type CallRecorderOptions, type RecordingRef } from './call-recorder.ts';
export { RecordingRetention, type RecordingRetentionOptions } from './recording-retention.ts';
export { MediaMetrics, type MediaMetricsOptions } from './media-metrics.ts';
