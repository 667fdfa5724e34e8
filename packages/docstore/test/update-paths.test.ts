// applyUpdate applies `$set` / `$unset` / `$inc` of top-level fields itself instead of through mingo's
// updater (which rebuilds its operator tables on every call). These cases compare it with mingo's updater
// given the same document and modifier: the same document (field order included) and the same
// "changed or not" answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BSON, type Document, ObjectId } from 'bson';
import { MongoClient, type Collection } from 'mongodb';
import { update as mingoUpdate } from 'mingo/updater';
import { MINGO_OPTIONS } from '../src/bson-operators';
import { applyUpdate, compileFilter } from '../src/query';
import { startTempDocstore, type RunningDocstore } from './support/docstore-harness';

function viaMingo(doc: Document, modifier: Document): { doc: Document; changed: boolean } {
  const copy = BSON.deserialize(BSON.serialize(doc));
  const changed = mingoUpdate(copy, modifier, undefined, undefined, {
    cloneMode: 'deep',
    queryOptions: MINGO_OPTIONS,
  });
  return { doc: copy, changed: changed.length > 0 };
}

function viaDocstore(doc: Document, modifier: Document): { doc: Document; changed: boolean } {
  const copy = BSON.deserialize(BSON.serialize(doc));
  const updated = applyUpdate(copy, modifier, {});
  return { doc: updated ?? copy, changed: updated !== null };
}

const room = {
  _id: new ObjectId('65a1b2c3d4e5f60718293a4b'),
  name: 'general',
  lastSeq: 41,
  accessVersion: 3,
  tags: ['a', 'b'],
  settings: { slowMode: 0 },
  updatedAt: new Date('2026-11-23T10:00:00Z'),
};

const cases: Array<[string, Document]> = [
  ['$inc of a counter with $set of a date', { $inc: { lastSeq: 3 }, $set: { updatedAt: new Date(1e12) } }],
  ['$inc of a missing field creates it', { $inc: { fresh: 2 } }],
  ['$inc by zero of a missing field', { $inc: { fresh: 0 } }],
  ['$inc by zero of an existing field', { $inc: { lastSeq: 0 } }],
  ['$inc by a fraction', { $inc: { accessVersion: 0.5 } }],
  ['$set to the same value', { $set: { name: 'general', lastSeq: 41 } }],
  ['$set of the same array and sub-document', { $set: { tags: ['a', 'b'], settings: { slowMode: 0 } } }],
  ['$set of new fields appends them in order', { $set: { zeta: 1, alpha: { x: [1, 2] } } }],
  ['$set replaces an array and a sub-document', { $set: { tags: ['c'], settings: { slowMode: 5 } } }],
  ['$set of null and of a date', { $set: { name: null, createdAt: new Date(5) } }],
  ['$unset of a present and a missing field', { $unset: { tags: '', nothing: '' } }],
  ['$unset of a missing field only', { $unset: { nothing: 1 } }],
  [
    'new fields from two operators keep operator order',
    { $set: { b: 1 }, $inc: { a: 1 }, $unset: { name: '' } },
  ],
  ['empty $set', { $set: {} }],
  ['$inc of a string field', { $inc: { name: 1 } }],
];

describe('top-level $set / $unset / $inc', () => {
  for (const [name, modifier] of cases) {
    test(`${name}: the same document and answer as mingo's updater`, () => {
      const expected = viaMingo(room, modifier);
      const actual = viaDocstore(room, modifier);
      assert.equal(actual.changed, expected.changed);
      assert.deepEqual(Object.keys(actual.doc), Object.keys(expected.doc));
      assert.deepEqual(actual.doc, expected.doc);
    });
  }

  test('a $set value is copied, not shared with the command', () => {
    const value = { nested: [1, 2] };
    const doc = BSON.deserialize(BSON.serialize(room));
    const updated = applyUpdate(doc, { $set: { settings: value } }, {});
    value.nested.push(3);
    assert.deepEqual(updated?.settings, { nested: [1, 2] });
  });

  test('paths and operators it does not handle still go through mingo: dotted, _id, $mul, non-numeric $inc', () => {
    const doc = () => BSON.deserialize(BSON.serialize(room));
    assert.deepEqual(applyUpdate(doc(), { $set: { 'settings.slowMode': 9 } }, {})?.settings, { slowMode: 9 });
    assert.equal(applyUpdate(doc(), { $mul: { lastSeq: 2 } }, {})?.lastSeq, 82);
    assert.throws(() => applyUpdate(doc(), { $set: { _id: 1 } }, {}), /immutable field '_id'/);
    assert.throws(() => applyUpdate(doc(), { $inc: { lastSeq: 'x' } }, {}), /non-numeric/);
    assert.throws(() => applyUpdate(doc(), { $set: { a: 1 }, $inc: { a: 1 } }, {}), /conflict/);
  });
});

describe('the operator context a filter or an update gets', () => {
  test('filters without $expr use the docstore query operators ($type knows BSON classes)', () => {
    const isObjectId = compileFilter({ owner: { $type: 'objectId' } });
    assert.equal(isObjectId({ owner: new ObjectId() }), true);
    assert.equal(isObjectId({ owner: '65a1b2c3d4e5f60718293a4b' }), false);
  });

  test('filters with $expr, at the top or nested, still evaluate expressions', () => {
    const doc = { a: 5, b: 3, items: [{ x: 1 }] };
    assert.equal(compileFilter({ $expr: { $gt: ['$a', '$b'] } })(doc), true);
    assert.equal(compileFilter({ $and: [{ a: 5 }, { $expr: { $lt: ['$a', '$b'] } }] })(doc), false);
  });

  test('$pull with a range condition on a dotted path goes through mingo with the BSON-aware operators', () => {
    const doc = BSON.deserialize(BSON.serialize({ _id: 1, r: { up: [1, 5, 9] } }));
    const updated = applyUpdate(doc, { $pull: { 'r.up': { $gte: 5 } }, $set: { n: 1 } }, {});
    assert.deepEqual(updated, { _id: 1, r: { up: [1] }, n: 1 });
  });
});

describe('index entries after top-level updates (through the driver)', () => {
  let docstore: RunningDocstore;
  let client: MongoClient;
  let rooms: Collection;

  before(async () => {
    docstore = await startTempDocstore('update-indexes');
    client = await MongoClient.connect(docstore.uri);
    rooms = client.db('u').collection('rooms');
    await rooms.createIndex({ kind: 1, nameLower: 1, _id: 1 });
    await rooms.createIndex({ directKey: 1 }, { unique: true, sparse: true });
    await rooms.createIndex({ 'settings.slowMode': 1 });
    await rooms.insertMany([
      { _id: 1, kind: 'public', nameLower: 'a', lastSeq: 0, settings: { slowMode: 0 } },
      { _id: 2, kind: 'public', nameLower: 'b', lastSeq: 0, directKey: 'x' },
    ] as never[]);
  });

  after(async () => {
    await client?.close();
    await docstore?.close();
  });

  const ids = async (filter: object, hint: object) =>
    (await rooms.find(filter, { hint }).toArray()).map((d) => d._id as unknown as number).sort();

  test('an update of unindexed fields keeps every index answering as before', async () => {
    for (let i = 0; i < 3; i++) {
      await rooms.findOneAndUpdate(
        { _id: 1 as never },
        { $inc: { lastSeq: 1 }, $set: { updatedAt: new Date() } },
      );
    }
    assert.deepEqual(await ids({ kind: 'public' }, { kind: 1, nameLower: 1, _id: 1 }), [1, 2]);
    assert.deepEqual(await ids({ 'settings.slowMode': 0 }, { 'settings.slowMode': 1 }), [1]);
    assert.equal((await rooms.findOne({ _id: 1 as never }))?.lastSeq, 3);
  });

  test('an update of an indexed top-level field moves its entries (compound, sparse unique, dotted)', async () => {
    await rooms.updateOne({ _id: 1 as never }, { $set: { kind: 'private', directKey: 'y' } });
    await rooms.updateOne({ _id: 2 as never }, { $unset: { directKey: '' } });
    await rooms.updateOne({ _id: 1 as never }, { $set: { settings: { slowMode: 5 } } });
    assert.deepEqual(await ids({ kind: 'public' }, { kind: 1, nameLower: 1, _id: 1 }), [2]);
    assert.deepEqual(await ids({ kind: 'private' }, { kind: 1, nameLower: 1, _id: 1 }), [1]);
    assert.deepEqual(await ids({ directKey: 'y' }, { directKey: 1 }), [1]);
    assert.deepEqual(await ids({ directKey: 'x' }, { directKey: 1 }), []);
    assert.deepEqual(await ids({ 'settings.slowMode': 0 }, { 'settings.slowMode': 1 }), []);
    assert.deepEqual(await ids({ 'settings.slowMode': 5 }, { 'settings.slowMode': 1 }), [1]);
    await assert.rejects(rooms.updateOne({ _id: 2 as never }, { $set: { directKey: 'y' } }), { code: 11000 });
  });
});
