export { SignalingService, type SignalingServiceOptions } from './signaling-service.ts';
export { CallManager } from './call-manager.ts';
export { Call } from './call.ts';
export { CallState } from './call-state.ts';
export { MediaControlClient } from './media-control-client.ts';
export { AgentDispatcher } from './agent-dispatcher.ts';
export { UdpSipTransport } from './udp-transport.ts';
export { DEMO_NUMBERS } from './demo-numbers.ts';
export { ReferClient, type TransferProgress } from './refer-client.ts';
