// Read-only views behave as MongoDB's: computed from their source on every read, refused for writes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MongoClient, type Db } from 'mongodb';

interface Message {
  _id: number;
  room: string;
  n: number;
}
import { startTempDocstore, type RunningDocstore } from './support/docstore-harness';

describe('views through the driver', () => {
  let server: RunningDocstore;
  let client: MongoClient;
  let db: Db;

  before(async () => {
    server = await startTempDocstore('views');
    client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    db = client.db('views_test');
    await db.collection<Message>('messages').insertMany([
      { _id: 1, room: 'a', n: 5 },
      { _id: 2, room: 'b', n: 7 },
      { _id: 3, room: 'a', n: 9 },
    ]);
    await db.createCollection('roomA', { viewOn: 'messages', pipeline: [{ $match: { room: 'a' } }] });
    await db.createCollection('roomABig', { viewOn: 'roomA', pipeline: [{ $match: { n: { $gt: 6 } } }] });
  });

  after(async () => {
    await client?.close();
    await server?.close();
  });

  test('find, count and aggregate on a view see the source through its pipeline, and follow later writes', async () => {
    const view = db.collection('roomA');
    assert.deepEqual(await view.find({}, { sort: { n: -1 } }).toArray(), [
      { _id: 3, room: 'a', n: 9 },
      { _id: 1, room: 'a', n: 5 },
    ]);
    assert.equal(await view.countDocuments({ n: { $gt: 6 } }), 1);
    assert.equal(await view.estimatedDocumentCount(), 2);
    assert.deepEqual(await view.aggregate([{ $group: { _id: '$room', total: { $sum: '$n' } } }]).toArray(), [
      { _id: 'a', total: 14 },
    ]);
    await db.collection<Message>('messages').insertOne({ _id: 4, room: 'a', n: 1 });
    assert.equal(await view.countDocuments(), 3);
    await db.collection<Message>('messages').deleteOne({ _id: 4 });
  });

  test('a view on a view resolves to the base collection', async () => {
    assert.deepEqual(await db.collection('roomABig').find().toArray(), [{ _id: 3, room: 'a', n: 9 }]);
  });

  test('listCollections reports views with their definition', async () => {
    const infos = await db.listCollections({ name: 'roomA' }, { nameOnly: false }).toArray();
    assert.equal(infos[0]?.type, 'view');
    assert.deepEqual(infos[0]?.options, { viewOn: 'messages', pipeline: [{ $match: { room: 'a' } }] });
  });

  test('writes, index builds and $out into a view are refused with CommandNotSupportedOnView', async () => {
    const view = db.collection('roomA');
    const refused = (e: { code?: number }) => e.code === 166;
    await assert.rejects(view.insertOne({ room: 'a' }), refused);
    await assert.rejects(view.updateMany({}, { $set: { x: 1 } }), refused);
    await assert.rejects(view.deleteMany({}), refused);
    await assert.rejects(view.findOneAndUpdate({}, { $set: { x: 1 } }), refused);
    await assert.rejects(view.createIndex({ n: 1 }), refused);
    await assert.rejects(
      db
        .collection('messages')
        .aggregate([{ $out: 'roomA' }])
        .toArray(),
      refused,
    );
    assert.equal(await db.collection('messages').countDocuments(), 3);
  });

  test('dropping a view leaves its source untouched', async () => {
    await db.createCollection('temporary', { viewOn: 'messages', pipeline: [] });
    await db.collection('temporary').drop();
    const names = (await db.listCollections().toArray()).map((c) => c.name).sort();
    assert.deepEqual(names, ['messages', 'roomA', 'roomABig']);
    assert.equal(await db.collection('messages').countDocuments(), 3);
  });
});
