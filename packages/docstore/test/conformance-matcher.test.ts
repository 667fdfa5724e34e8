// The conformance runner is only as strict as its matcher: these cases pin down the unified-format rules it
// applies, so a lenient matcher cannot make the conformance suite pass by accident.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Binary, Int32, Long, ObjectId } from 'bson';
import { assertMatches, MatchError, resolveArguments } from './support/unified-matcher';

const noEntities = (name: string): unknown => {
  throw new Error(`no entity ${name}`);
};
const fails = (expected: unknown, actual: unknown, options?: Parameters<typeof assertMatches>[3]) =>
  assert.throws(() => assertMatches(expected, actual, noEntities, options), MatchError);
const passes = (expected: unknown, actual: unknown, options?: Parameters<typeof assertMatches>[3]) =>
  assertMatches(expected, actual, noEntities, options);

describe('unified test format matcher', () => {
  test('root documents may have extra fields, nested documents may not', () => {
    passes({ x: 1 }, { x: 1, y: 2 });
    fails({ x: { y: 1 } }, { x: { y: 1, z: 1 } });
    fails({ x: 1, y: 1 }, { x: 1 });
    fails({ x: 1 }, { x: 1, y: 2 }, { root: false });
  });

  test('arrays need the same length; find results are root documents, distinct values are not', () => {
    fails([1, 2, 3], [1, 2, 3, 4]);
    fails([{ x: 1 }], [{ x: 1, y: 1 }]);
    passes([{ x: 1 }], [{ x: 1, y: 1 }], { rootArrayOfDocuments: true });
    fails([{ x: 1 }, { x: 2 }], [{ x: 2 }, { x: 1 }], { rootArrayOfDocuments: true });
  });

  test('numbers match by value across BSON numeric types, and nothing else matches a number', () => {
    passes({ n: 1 }, { n: new Long(1) });
    passes({ n: new Int32(5) }, { n: 5 });
    fails({ n: 1 }, { n: '1' });
    fails({ n: 1 }, { n: 2 });
  });

  test('$$exists, $$unsetOrMatches and $$type check presence and type', () => {
    passes({ a: { $$exists: false } }, {});
    fails({ a: { $$exists: false } }, { a: null });
    passes({ a: { $$exists: true } }, { a: null });
    passes({ a: { $$unsetOrMatches: 2 } }, {});
    fails({ a: { $$unsetOrMatches: 2 } }, { a: 3 });
    passes({ $$unsetOrMatches: { insertedId: 1 } }, undefined);
    passes({ id: { $$type: 'objectId' } }, { id: new ObjectId() });
    fails({ id: { $$type: 'objectId' } }, { id: '000000000000000000000001' });
    passes({ d: { $$type: ['date', 'string'] } }, { d: new Date() });
    fails({ d: { $$type: 'date' } }, {});
  });

  test('$$matchesEntity and $$matchesHexBytes compare with saved entities and raw bytes', () => {
    const id = new ObjectId();
    const entities = (name: string) => (name === 'saved' ? id : undefined);
    assertMatches({ _id: { $$matchesEntity: 'saved' } }, { _id: new ObjectId(id.toHexString()) }, entities);
    assert.throws(() =>
      assertMatches({ _id: { $$matchesEntity: 'saved' } }, { _id: new ObjectId() }, entities),
    );
    passes({ $$matchesHexBytes: '11aa' }, Buffer.from([0x11, 0xaa]));
    passes({ data: { $$matchesHexBytes: '' } }, { data: new Binary(Buffer.alloc(0)) });
    fails({ $$matchesHexBytes: '11' }, Buffer.from([0x12]));
  });

  test('$$hexBytes in arguments becomes a Buffer', () => {
    assert.deepEqual(resolveArguments({ source: { $$hexBytes: '0102' }, n: 1 }), {
      source: Buffer.from([1, 2]),
      n: 1,
    });
  });
});
