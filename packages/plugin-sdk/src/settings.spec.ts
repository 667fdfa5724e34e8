import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSettingsSchema } from './settings';

describe('compileSettingsSchema', () => {
  const validate = compileSettingsSchema<{ words: string[]; limits: { perUser: number } }>({
    type: 'object',
    properties: {
      words: { type: 'array', items: { type: 'string' } },
      limits: {
        type: 'object',
        properties: { perUser: { type: 'integer', minimum: 0 } },
        required: ['perUser'],
        additionalProperties: false,
      },
    },
    required: ['words', 'limits'],
    additionalProperties: false,
  });

  it('accepts matching settings and returns a copy', () => {
    const input = { words: ['spam'], limits: { perUser: 3 } };
    const result = validate(input);
    assert.ok(result.ok);
    assert.deepEqual(result.value, input);
    assert.notEqual(result.value, input);
  });

  it('names the dotted field of the first violation', () => {
    assert.deepEqual(validate({ words: ['a'], limits: { perUser: -1 } }), {
      ok: false,
      field: 'limits.perUser',
      message: 'must be >= 0',
    });
    assert.deepEqual(validate({ words: ['a'] }), {
      ok: false,
      field: 'limits',
      message: "must have required property 'limits'",
    });
    assert.deepEqual(validate({ words: [], limits: { perUser: 1 }, extra: true }), {
      ok: false,
      field: 'extra',
      message: 'is not a known setting',
    });
    assert.equal(validate('nope').ok, false);
  });
});
