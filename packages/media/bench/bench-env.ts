/**
 * A benchmark's knobs from the environment (`VB_BENCH_*`), checked so that a typo stops the run with
 * the variable's name instead of benchmarking NaN calls.
 */

/** A comma-separated list of whole numbers in [min, max]; the fallback when unset or empty. */
export function envIntegers(name: string, fallback: readonly number[], min: number, max: number): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return [...fallback];
  const parsed = raw.split(',').map((s) => Number(s.trim()));
  if (parsed.some((n) => !Number.isInteger(n) || n < min || n > max))
    throw new Error(`${name} must be a comma-separated list of whole numbers ${min}-${max}, got ${raw}`);
  return parsed;
}

/** One whole number in [min, max]; the fallback when unset or empty. */
export function envInteger(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be a whole number ${min}-${max}, got ${raw}`);
  return value;
}
