import Ajv, { type ErrorObject } from 'ajv';

export type SettingsCheck<S = unknown> =
  { ok: true; value: S } | { ok: false; field: string; message: string };

export type SettingsValidator<S = unknown> = (value: unknown) => SettingsCheck<S>;

// One Ajv instance: compiled schemas are cached by identity. Strict mode rejects unknown keywords so a typo
// in a schema is found when the plugin loads rather than silently ignored.
const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: false, coerceTypes: false });

function describe(error: ErrorObject): { field: string; message: string } {
  const path = error.instancePath.split('/').filter(Boolean);
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') {
    path.push(String(error.params.additionalProperty));
    return { field: path.join('.'), message: 'is not a known setting' };
  }
  return { field: path.join('.'), message: error.message ?? 'is invalid' };
}

/** Compiles a settings JSON Schema (throws on an invalid schema) into a validator naming the failing field. */
export function compileSettingsSchema<S>(schema: object): SettingsValidator<S> {
  const validate = ajv.compile(schema);
  return (value: unknown) => {
    // Validate a copy so a caller's object is never mutated by keywords with side effects.
    const copy = value === undefined ? undefined : structuredClone(value);
    if (validate(copy)) return { ok: true, value: copy as S };
    const first = validate.errors?.[0];
    return first ? { ok: false, ...describe(first) } : { ok: false, field: '', message: 'is invalid' };
  };
}
