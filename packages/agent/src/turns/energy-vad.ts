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
  /** Voice must also be this far over the line's noise floor. Default 10 dB. */
  noiseMarginDb?: number;
}

/** Where the noise floor starts, and how fast it follows a quieter or a louder line. */
const FLOOR_START_DB = -70;
const FLOOR_FALL_DB_PER_FRAME = 1;
const FLOOR_RISE_DB_PER_FRAME = 0.05;

/**
 * Voice activity by frame energy on the caller's 8 kHz frames. Crude but cheap and predictable:
 * telephone noise floors sit well under -50 dBFS, speech at -30…-15 dBFS. The threshold can be
 * raised for a while (the agent is talking: its own echo comes back attenuated, see `BargeIn`).
 *
 * The line's noise floor is tracked too (it falls at once to a quieter frame and rises by only
 * 2.5 dB a second, so a sentence lifts it only a little): on a noisy line (a car, a fan at -35 dBFS) voice
 * must stand `noiseMarginDb` over the noise, else the noise itself would count as voice.
 */
export class EnergyVad {
  readonly baseThresholdDb: number;
  readonly #noiseMarginDb: number;
  #floorDb = FLOOR_START_DB;

  constructor(options: EnergyVadOptions = {}) {
    this.baseThresholdDb = options.thresholdDb ?? -40;
    this.#noiseMarginDb = options.noiseMarginDb ?? 10;
  }

  /** The noise floor as tracked so far, dBFS. */
  get noiseFloorDb(): number {
    return this.#floorDb;
  }

  isVoice(samples: Int16Array, thresholdDb = this.baseThresholdDb): boolean {
    const level = frameLevelDb(samples);
    if (level === -Infinity) return false;
    this.#floorDb =
      level < this.#floorDb
        ? Math.max(level, this.#floorDb - FLOOR_FALL_DB_PER_FRAME)
        : this.#floorDb + FLOOR_RISE_DB_PER_FRAME;
    return level >= Math.max(thresholdDb, this.#floorDb + this.#noiseMarginDb);
  }
}
