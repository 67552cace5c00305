import { startBridge, type BridgeOptions, type RunningBridge } from './bridge-harness.ts';

/**
 * Registers a suite's bridge hooks: one real bridge (`voicebridge start`) started before the suite's
 * tests and stopped after them. Call it first in a `describe`, so the suite's own `before` hooks find
 * it running; the returned function gives the running bridge inside hooks and tests.
 */
export function useBridge(options: BridgeOptions = {}): () => RunningBridge {
  let bridge: RunningBridge | undefined;
  before(async () => {
    bridge = await startBridge(options);
  });
  after(async () => {
    await bridge?.stop();
  });
  return () => {
    if (!bridge) throw new Error('useBridge: the bridge is not running (used outside a test or hook?)');
    return bridge;
  };
}
