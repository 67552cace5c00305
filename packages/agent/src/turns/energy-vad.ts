/** Frame level in dBFS (RMS against full scale 32768); -Infinity for digital silence. */
export function frameLevelDb(samples: Int16Array): number {
  if (samples.length === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as number;
    sum += s * s;
  }
  if (sum === 0) return -Infinity;
  return 10 * Math.log10(sum / samples.length / (32768 * 32768));
}

export interface EnergyVadOptions {
  /** A frame at or above this level counts as voice. Default -40 dBFS. */
  thresholdDb?: number;
}

/**
 * Voice activity by frame energy on the caller's 8 kHz frames. Crude but cheap and predictable:
 * telephone noise floors sit well under -50 dBFS, speech at -30…-15 dBFS. The threshold can be
 * raised for a while (the agent is talking: its own echo comes back attenuated, see `BargeIn`).
 */
export class EnergyVad {
  readonly baseThresholdDb: number;

  constructor(options: EnergyVadOptions = {}) {
    this.baseThresholdDb = options.thresholdDb ?? -40;
  }

  isVoice(samples: Int16Array, thresholdDb = this.baseThresholdDb): boolean {
    return frameLevelDb(samples) >= thresholdDb;
  }
}
