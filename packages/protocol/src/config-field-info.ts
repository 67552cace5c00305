import { z } from 'zod';
import { NumberConfigSchema } from './number-config.ts';

/**
 * What a config schema says about one field, in plain data: lets a client (the CLI's flags and
 * help) be derived from the schema instead of repeating its types and ranges. Read from zod's
 * public introspection (`minValue`, `maxLength`, `options`, ...); refinements are not visible here,
 * which is fine: values are still validated by parsing the whole config.
 */
export interface ConfigFieldInfo {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'array' | 'object' | 'other';
  /** Absent or with a default: the field may be left out. */
  optional: boolean;
  /** What the schema fills in when the field is left out. */
  default?: unknown;
  /** Bounds of a number; lengths of a string or an array. */
  min?: number;
  max?: number;
  /** An enum's values. */
  options?: readonly string[];
  /** Under a discriminated union (`agent`): the discriminator values whose branch has the field. */
  branches?: readonly string[];
}

/** The field at `path` (object keys) in the number config schema; undefined when it has none. */
export function numberConfigFieldInfo(path: readonly string[]): ConfigFieldInfo | undefined {
  return fieldInfo(NumberConfigSchema, path);
}

export function fieldInfo(schema: z.ZodType, path: readonly string[]): ConfigFieldInfo | undefined {
  let current: z.ZodType = schema;
  let optional = false;
  let fallback: { value: unknown } | undefined;
  let branches: string[] | undefined;
  for (const key of path) {
    ({ schema: current } = unwrap(current));
    if (current instanceof z.ZodDiscriminatedUnion) {
      const having = (current.options as z.ZodType[]).filter(
        (option) => option instanceof z.ZodObject && Object.hasOwn(option.shape, key),
      ) as z.ZodObject[];
      const first = having[0];
      if (first === undefined) return undefined;
      branches = having.map((option) => discriminatorOf(option, current as z.ZodDiscriminatedUnion));
      // The discriminator itself: each branch has one value, the field takes any of them.
      if (key === current.def.discriminator && path.at(-1) === key)
        return { type: 'enum', options: branches, optional: false };
      current = first.shape[key] as z.ZodType;
    } else if (current instanceof z.ZodObject) {
      if (!Object.hasOwn(current.shape, key)) return undefined;
      current = current.shape[key] as z.ZodType;
    } else {
      return undefined;
    }
    ({ optional, fallback } = unwrap(current));
  }
  const leaf = unwrap(current).schema;
  return { ...leafInfo(leaf), optional, ...(fallback && { default: fallback.value }), ...(branches && { branches }) };
}

function unwrap(schema: z.ZodType): { schema: z.ZodType; optional: boolean; fallback?: { value: unknown } } {
  let current = schema;
  let optional = false;
  let fallback: { value: unknown } | undefined;
  for (;;) {
    if (current instanceof z.ZodDefault) fallback ??= { value: current.def.defaultValue as unknown };
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
      optional = true;
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      return { schema: current, optional, ...(fallback && { fallback }) };
    }
  }
}

function discriminatorOf(option: z.ZodObject, union: z.ZodDiscriminatedUnion): string {
  const literal = option.shape[union.def.discriminator];
  return literal instanceof z.ZodLiteral ? String(literal.value) : '?';
}

function finite(value: number | null | undefined): number | undefined {
  return value === null || value === undefined || !Number.isFinite(value) ? undefined : value;
}

function leafInfo(leaf: z.ZodType): Omit<ConfigFieldInfo, 'optional' | 'branches'> {
  if (leaf instanceof z.ZodString) {
    return { type: 'string', min: finite(leaf.minLength), max: finite(leaf.maxLength) };
  }
  if (leaf instanceof z.ZodNumber) {
    const min = finite(leaf.minValue);
    const max = finite(leaf.maxValue);
    const integer = leaf.isInt === true;
    // z.number().int() bounds itself at the safe integers; that says nothing about the field.
    const bound = (value: number | undefined): number | undefined =>
      integer && value !== undefined && Math.abs(value) >= Number.MAX_SAFE_INTEGER ? undefined : value;
    return { type: integer ? 'integer' : 'number', min: bound(min), max: bound(max) };
  }
  if (leaf instanceof z.ZodBoolean) return { type: 'boolean' };
  if (leaf instanceof z.ZodEnum) return { type: 'enum', options: leaf.options.map(String) };
  if (leaf instanceof z.ZodLiteral) return { type: 'enum', options: [...leaf.values].map(String) };
  if (leaf instanceof z.ZodArray) {
    const checks = (leaf.def.checks ?? []) as {
      _zod: { def: { check: string; minimum?: number; maximum?: number } };
    }[];
    const maxItems = checks.find((c) => c._zod.def.check === 'max_length')?._zod.def.maximum;
    return { type: 'array', max: maxItems };
  }
  if (leaf instanceof z.ZodObject || leaf instanceof z.ZodDiscriminatedUnion) return { type: 'object' };
  return { type: 'other' };
}
