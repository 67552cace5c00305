/**
 * Fades `samples` out in place: a half-cosine from full gain to silence over the first
 * `fadeSamples`, silence after. A barge-in that stops the agent mid-waveform otherwise ends on a
 * step from up to full scale to zero, which the caller hears as a click; 20 ms (one 8 kHz frame) is
 * long enough to take the click away and short enough that the agent still yields at once.
 */
export function fadeOut(samples: Int16Array, fadeSamples: number): void {
  const length = Math.min(fadeSamples, samples.length);
  for (let i = 0; i < length; i++) {
    const gain = 0.5 * (1 + Math.cos((Math.PI * (i + 1)) / length));
    samples[i] = Math.round((samples[i] as number) * gain);
  }
  samples.fill(0, length);
}
