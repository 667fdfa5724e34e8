// Projections that only include or only exclude top-level fields are applied by the docstore itself;
// everything else goes through mingo. These cases compare the two where they must agree, and check
// through the driver what MongoDB returns (field order, `_id` handling, a mixed projection refused).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BSON, type Document, ObjectId } from 'bson';
import { MongoClient, type Collection } from 'mongodb';
import { Query } from 'mingo/query';
import { MINGO_OPTIONS } from '../src/bson-operators';
import { compileProjection } from '../src/query';
import { startTempDocstore, type RunningDocstore } from './support/docstore-harness';

const message = {
  _id: new ObjectId('65a1b2c3d4e5f60718293a4b'),
  roomId: 'r1',
  seq: 7,
  text: 'hello',
  tokens: ['hello'],
  mentions: ['@room'],
  thread: { replyCount: 2 },
  deletedAt: null,
};

function viaMingo(projection: Document): Document {
  return new Query({}, MINGO_OPTIONS).find<Document>([structuredCopy()], projection).all()[0];
}

function viaDocstore(projection: Document): Document {
  const project = compileProjection(projection);
  assert.ok(project);
  return project([structuredCopy()])[0];
}

function structuredCopy(): Document {
  return BSON.deserialize(BSON.serialize(message));
}

describe('top-level projections', () => {
  for (const projection of [{ tokens: 0 }, { tokens: 0, mentions: false }, { _id: 0 }, { _id: 0, text: 0 }]) {
    test(`exclusion ${JSON.stringify(projection)}: the same document, in the same order, as mingo`, () => {
      const expected = viaMingo(projection);
      const actual = viaDocstore(projection);
      assert.deepEqual(Object.keys(actual), Object.keys(expected));
      assert.deepEqual(actual, expected);
    });
  }

  for (const projection of [
    { seq: 1, text: 1 },
    { text: true, seq: 5, missing: 1 },
    { seq: 1, _id: 0 },
  ]) {
    test(`inclusion ${JSON.stringify(projection)}: mingo's fields, in document order with _id first`, () => {
      const expected = viaMingo(projection);
      const actual = viaDocstore(projection);
      assert.deepEqual(actual, expected);
      assert.deepEqual(
        Object.keys(actual),
        Object.keys(message).filter((k) => k in expected),
      );
    });
  }

  test('dotted paths, operators and a mix of inclusion and exclusion still go to mingo', () => {
    const doc = structuredCopy();
    assert.deepEqual(compileProjection({ 'thread.replyCount': 1 })?.([doc])[0], {
      _id: message._id,
      thread: { replyCount: 2 },
    });
    assert.deepEqual(compileProjection({ tokens: { $slice: 0 }, seq: 1 })?.([doc])[0]?.tokens, []);
    assert.throws(() => compileProjection({ seq: 1, tokens: 0 })?.([doc]), /exclusion and inclusion/);
  });
});

describe('projections through the driver', () => {
  let docstore: RunningDocstore;
  let client: MongoClient;
  let col: Collection;

  before(async () => {
    docstore = await startTempDocstore('projection');
    client = await MongoClient.connect(docstore.uri);
    col = client.db('p').collection('messages');
    await col.insertOne({ ...message });
  });

  after(async () => {
    await client?.close();
    await docstore?.close();
  });

  test('find and findOneAndUpdate return the projected fields, _id first, as MongoDB does', async () => {
    const found = await col.findOne({ roomId: 'r1' }, { projection: { text: 1, seq: 1 } });
    assert.deepEqual(Object.keys(found ?? {}), ['_id', 'seq', 'text']);
    const hidden = await col.findOne({ _id: message._id }, { projection: { tokens: 0, _id: 1 } });
    assert.equal(hidden?.tokens, undefined);
    assert.equal(hidden?.text, 'hello');
    const updated = await col.findOneAndUpdate(
      { _id: message._id },
      { $inc: { seq: 1 } },
      { returnDocument: 'after', projection: { seq: 1, _id: 0 } },
    );
    assert.deepEqual(updated, { seq: 8 });
  });
});
