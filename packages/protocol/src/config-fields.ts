import { z } from 'zod';

/** An environment variable's name: what a `...KeyEnv` field holds, never the key itself. */
export const ENV_VAR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The NAME of an agent worker's environment variable holding a secret (the value is never stored). */
export const EnvVarNameSchema = z
  .string()
  .max(128)
  .regex(ENV_VAR_NAME_PATTERN, 'must be an environment variable name (letters, digits, _)');

/** An http(s) URL with no user or password in it: credentials live in environment variables only. */
export const HttpUrlSchema = z
  .string()
  .max(2000)
  .refine((value) => isHttpUrlWithoutCredentials(value), 'must be an http(s) URL without credentials');

function isHttpUrlWithoutCredentials(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
}
