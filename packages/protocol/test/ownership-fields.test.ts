import { expect } from 'chai';
import {
  AgentToMediaSchema,
  decodeAudioFrame,
  encodeAudioFrame,
  loadBridgeConfig,
  MediaToAgentSchema,
  ownerTagOf,
} from '../src/index.ts';

describe('owner epochs on the audio channel', () => {
  it('an audio frame carries the owner tag in flags bits 1-7 next to the filled bit', () => {
    const samples = new Int16Array([1, -2, 3]);
    for (const [tag, filled] of [
      [0, false],
      [1, true],
      [127, false],
      [ownerTagOf(130), true],
    ] as const) {
      const frame = decodeAudioFrame(
        encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 160, samples, filled, ownerTag: tag }),
      );
      expect(frame).to.deep.include({ ownerTag: tag, filled, sampleOffset: 160 });
    }
    expect(ownerTagOf(130)).to.equal(2);
    expect(
      decodeAudioFrame(encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 0, samples, filled: false }))?.ownerTag,
    ).to.equal(0);
  });

  it('agent messages take an optional epoch, heartbeat included; media announces a new owner', () => {
    expect(AgentToMediaSchema.parse({ event: 'ready', epoch: 3 })).to.deep.equal({ event: 'ready', epoch: 3 });
    expect(AgentToMediaSchema.parse({ event: 'heartbeat' })).to.deep.equal({ event: 'heartbeat' });
    expect(AgentToMediaSchema.safeParse({ event: 'mark', name: 'm1', epoch: -1 }).success).to.equal(false);
    expect(MediaToAgentSchema.parse({ event: 'owner', epoch: 2 })).to.deep.equal({ event: 'owner', epoch: 2 });
  });

  it('the failover settings have defaults and a bad value names its variable', () => {
    const config = loadBridgeConfig({});
    expect(config).to.deep.include({
      AGENT_PROCESSES: 1,
      AGENT_LOCK_DURATION_MS: 3000,
      AGENT_STALLED_INTERVAL_MS: 1000,
      AGENT_MAX_STALLED_COUNT: 3,
      AGENT_HEARTBEAT_MS: 1000,
      AGENT_LOST_TIMEOUT_MS: 10_000,
    });
    expect(() => loadBridgeConfig({ AGENT_LOCK_DURATION_MS: '100' })).to.throw(/AGENT_LOCK_DURATION_MS/);
    expect(() => loadBridgeConfig({ AGENT_HEARTBEAT_MS: '5000' })).to.throw(
      /AGENT_HEARTBEAT_MS.*third of AGENT_LOST_TIMEOUT_MS/,
    );
    expect(() => loadBridgeConfig({ AGENT_PROCESSES: '0' })).to.throw(/AGENT_PROCESSES/);
  });
});
