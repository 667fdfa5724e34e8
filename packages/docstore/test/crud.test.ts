import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Binary,
  type Collection,
  type Db,
  Double,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  type UpdateOptions,
} from 'mongodb';
import { type RunningDocstore, runDocstore } from './helpers';

interface OpsDoc {
  _id: number;
  [field: string]: unknown;
}

describe('CRUD through the official driver', () => {
  let ds: RunningDocstore;
  let db: Db;

  before(async () => {
    ds = await runDocstore();
    db = ds.client.db('crud');
  });
  after(async () => ds?.stop());

  it('returns every document exactly once through a cursor spanning many getMore batches', async () => {
    const col = db.collection<{ _id: number; g: number }>('batches');
    await col.insertMany(Array.from({ length: 1234 }, (_, i) => ({ _id: i, g: i % 7 })));
    const seen = await col.find({}, { batchSize: 100 }).sort({ _id: -1 }).toArray();
    assert.equal(seen.length, 1234);
    assert.deepEqual(
      seen.map((d) => d._id),
      Array.from({ length: 1234 }, (_, i) => 1233 - i),
    );
    const expected = Array.from({ length: 1234 }, (_, i) => ({ _id: i, g: i % 7 }))
      .sort((a, b) => a.g - b.g || b._id - a._id)
      .slice(10, 35);
    assert.deepEqual(
      await col.find({}).sort({ g: 1, _id: -1 }).skip(10).limit(25).toArray(),
      expected,
      'an in-memory sort with skip and limit keeps exactly the right window',
    );
    const filtered = await col.find({ g: 3 }, { batchSize: 7 }).skip(5).limit(50).toArray();
    assert.equal(filtered.length, 50);
    assert.ok(filtered.every((d) => d.g === 3));
    const cursor = col.find({}, { batchSize: 10 });
    await cursor.next();
    await cursor.close(); // killCursors
    assert.equal(await col.countDocuments({ g: { $in: [1, 2] } }), 353);
    assert.equal(await col.estimatedDocumentCount(), 1234);
  });

  it('sorts mixed types in BSON order and compares numbers across int, long, double and decimal', async () => {
    const col = db.collection<{ _id: number; v?: unknown }>('mixed');
    const oid = new ObjectId();
    await col.insertMany([
      { _id: 1, v: 'b' },
      { _id: 2, v: 10 },
      { _id: 3, v: null },
      { _id: 4, v: new Date(0) },
      { _id: 5, v: true },
      { _id: 6, v: oid },
      { _id: 7, v: { a: 1 } },
      { _id: 8, v: Long.fromNumber(5) },
      { _id: 9, v: new Double(7.5) },
      { _id: 10 },
      { _id: 11, v: new Binary(Buffer.from('x')) },
      { _id: 12, v: 'a' },
      { _id: 13, v: new MinKey() },
      { _id: 14, v: new MaxKey() },
      { _id: 15, v: new Timestamp({ t: 1, i: 1 }) },
    ]);
    const order = (await col.find({}).sort({ v: 1, _id: 1 }).toArray()).map((d) => d._id);
    assert.deepEqual(order, [13, 3, 10, 8, 9, 2, 12, 1, 7, 11, 6, 5, 4, 15, 14]);
    const nums = (
      await col
        .find({ v: { $gt: 6 } })
        .sort({ v: 1 })
        .toArray()
    ).map((d) => d._id);
    assert.deepEqual(nums, [9, 2], 'range on numbers only matches numbers (type bracketing)');
    assert.deepEqual(
      (await col.find({ v: { $type: 'objectId' } }).toArray()).map((d) => d._id),
      [6],
    );
    assert.deepEqual(
      (await col.find({ v: { $type: 'binData' } }).toArray()).map((d) => d._id),
      [11],
    );
    assert.deepEqual(
      (
        await col
          .find({ v: { $type: 'number' } })
          .sort({ _id: 1 })
          .toArray()
      ).map((d) => d._id),
      [2, 8, 9],
    );
  });

  it('keeps field order and BSON number types of documents it did not change', async () => {
    const col = db.collection<{ _id: number }>('types');
    await db.command({
      insert: 'types',
      documents: [{ _id: 1, z: new Double(2), a: Long.fromNumber(3), m: 'x' }],
    });
    await col.updateOne({ _id: 1 }, { $set: { m: 'y' }, $inc: { z: 1, a: 1 } });
    const raw = await col.find({ _id: 1 }, { raw: true, promoteValues: false }).toArray();
    const { BSON } = await import('bson');
    const doc = BSON.deserialize(raw[0] as unknown as Buffer, { promoteValues: false });
    assert.deepEqual(Object.keys(doc), ['_id', 'z', 'a', 'm']);
    assert.equal(doc.z._bsontype, 'Double');
    assert.equal(doc.z.valueOf(), 3);
    assert.equal(doc.a._bsontype, 'Long');
    assert.equal(Number(doc.a), 4);
  });

  describe('update operators', () => {
    let col: Collection<OpsDoc>;
    before(async () => {
      col = db.collection<OpsDoc>('ops');
    });
    const fresh = async (doc: Record<string, unknown>) => {
      await col.deleteMany({});
      await col.insertOne({ _id: 1, ...doc });
    };
    const get = async () => col.findOne({ _id: 1 });
    // The driver's update typings cannot describe schemaless test documents.
    const update = async (u: object, options?: UpdateOptions) =>
      col.updateOne({ _id: 1 }, u as never, options);

    it('$set, $unset, $inc, $mul, $min, $max, $rename', async () => {
      await fresh({ a: 1, b: 2, c: 3, d: 10, e: 5, f: 'x', nested: { k: 1 } });
      const r = await update({
        $set: { 'nested.k': 2, g: [1] },
        $unset: { b: '' },
        $inc: { a: 5 },
        $mul: { c: 2 },
        $min: { d: 4 },
        $max: { e: 9 },
        $rename: { f: 'h' },
      });
      assert.equal(r.matchedCount, 1);
      assert.equal(r.modifiedCount, 1);
      assert.deepEqual(await get(), { _id: 1, a: 6, c: 6, d: 4, e: 9, nested: { k: 2 }, g: [1], h: 'x' });
      const noop = await update({ $set: { a: 6 } });
      assert.equal(noop.modifiedCount, 0, 'a $set to the same value modifies nothing');
    });

    it('$setOnInsert applies only when an upsert inserts', async () => {
      await col.deleteMany({});
      const ins = await col.updateOne(
        { name: 'k' },
        { $set: { v: 1 }, $setOnInsert: { created: true } },
        { upsert: true },
      );
      assert.ok(ins.upsertedId);
      await col.updateOne(
        { name: 'k' },
        { $set: { v: 2 }, $setOnInsert: { created: false } },
        { upsert: true },
      );
      const doc = await col.findOne({ name: 'k' });
      assert.equal(doc?.v, 2);
      assert.equal(doc?.created, true);
    });

    it('$currentDate writes a date or a BSON timestamp', async () => {
      await fresh({});
      const before = Date.now();
      await update({ $currentDate: { d: true, t: { $type: 'timestamp' } } });
      const doc = await get();
      assert.ok(doc?.d instanceof Date && doc.d.getTime() >= before - 1000);
      assert.equal((doc?.t as { _bsontype?: string })._bsontype, 'Timestamp');
    });

    it('$push with $each, $position, $sort and $slice; $addToSet with $each', async () => {
      await fresh({ xs: [5, 1], tags: ['a'] });
      await update({ $push: { xs: { $each: [3, 9], $position: 0 } } });
      assert.deepEqual((await get())?.xs, [3, 9, 5, 1]);
      await update({ $push: { xs: { $each: [7], $sort: -1, $slice: 3 } } });
      assert.deepEqual((await get())?.xs, [9, 7, 5]);
      await update({ $addToSet: { tags: { $each: ['a', 'b', 'b'] } } });
      assert.deepEqual((await get())?.tags, ['a', 'b']);
    });

    it('$pull with a condition, $pullAll and $pop from both ends', async () => {
      await fresh({ xs: [1, 2, 3, 4, 5, 6], ys: ['a', 'b', 'a', 'c'] });
      await update({ $pull: { xs: { $gte: 5 } }, $pullAll: { ys: ['a', 'c'] } });
      assert.deepEqual((await get())?.xs, [1, 2, 3, 4]);
      assert.deepEqual((await get())?.ys, ['b']);
      await update({ $pop: { xs: -1 } });
      await update({ $pop: { xs: 1 } });
      assert.deepEqual((await get())?.xs, [2, 3]);
    });

    it('arrayFilters, the positional $ operator and multi updates', async () => {
      await col.deleteMany({});
      await col.insertMany([
        {
          _id: 1,
          grades: [
            { k: 'a', v: 1 },
            { k: 'b', v: 1 },
          ],
          t: 'x',
        },
        { _id: 2, grades: [{ k: 'b', v: 1 }], t: 'x' },
      ] as never[]);
      await col.updateMany({}, { $set: { 'grades.$[g].v': 9 } }, { arrayFilters: [{ 'g.k': 'b' }] });
      await col.updateOne({ _id: 1, 'grades.k': 'a' }, { $inc: { 'grades.$.v': 4 } } as never);
      const docs = await col.find({}).sort({ _id: 1 }).toArray();
      assert.deepEqual(docs[0].grades, [
        { k: 'a', v: 5 },
        { k: 'b', v: 9 },
      ]);
      assert.deepEqual(docs[1].grades, [{ k: 'b', v: 9 }]);
      const many = await col.updateMany({ t: 'x' }, { $set: { t: 'y' } });
      assert.equal(many.modifiedCount, 2);
    });

    it('replacement documents keep _id and refuse to change it', async () => {
      await fresh({ a: 1 });
      await col.replaceOne({ _id: 1 }, { b: 2 });
      assert.deepEqual(await get(), { _id: 1, b: 2 });
      await assert.rejects(col.replaceOne({ _id: 1 }, { _id: 2, b: 3 } as never), { code: 66 });
      await assert.rejects(col.updateOne({ _id: 1 }, { $bogus: { a: 1 } } as never), { code: 9 });
    });

    it('pipeline-style updates run through the aggregation engine', async () => {
      await fresh({ a: 2, b: 3 });
      await update([{ $set: { sum: { $add: ['$a', '$b'] } } }, { $unset: 'b' }]);
      assert.deepEqual(await get(), { _id: 1, a: 2, sum: 5 });
    });
  });

  it('findOneAndUpdate / findOneAndReplace / findOneAndDelete honour sort, returnDocument, upsert and projection', async () => {
    const col = db.collection<OpsDoc>('fam');
    await col.insertMany([
      { _id: 1, q: 1, n: 0 },
      { _id: 2, q: 1, n: 0 },
    ] as never[]);
    const inc = { $inc: { n: 1 } } as never;
    const before = await col.findOneAndUpdate({ q: 1 }, inc, { sort: { _id: -1 } });
    assert.deepEqual(before, { _id: 2, q: 1, n: 0 });
    const afterDoc = await col.findOneAndUpdate({ q: 1 }, inc, {
      sort: { _id: -1 },
      returnDocument: 'after',
      projection: { n: 1 },
    });
    assert.deepEqual(afterDoc, { _id: 2, n: 2 });
    const up = await col.findOneAndUpdate(
      { q: 9 },
      { $set: { n: 5 } },
      { upsert: true, returnDocument: 'after', includeResultMetadata: true },
    );
    assert.equal(up.value?.n, 5);
    assert.equal(up.lastErrorObject?.updatedExisting, false);
    assert.deepEqual(await col.findOneAndReplace({ _id: 1 }, { r: true }, { returnDocument: 'after' }), {
      _id: 1,
      r: true,
    });
    assert.deepEqual(await col.findOneAndDelete({ q: 1 }), { _id: 2, q: 1, n: 2 });
    assert.equal(await col.findOneAndDelete({ q: 1 }), null);
  });

  it('deleteOne removes one match, deleteMany all of them', async () => {
    const col = db.collection('del');
    await col.insertMany(Array.from({ length: 10 }, (_, i) => ({ i, odd: i % 2 === 1 })));
    assert.equal((await col.deleteOne({ odd: true })).deletedCount, 1);
    assert.equal((await col.deleteMany({ odd: true })).deletedCount, 4);
    assert.equal(await col.countDocuments(), 5);
  });

  it('answers distinct and the aggregation stages Palaver uses', async () => {
    const users = db.collection('agg_users');
    const msgs = db.collection('agg_msgs');
    await users.insertMany([
      { _id: 'u1', name: 'ada' },
      { _id: 'u2', name: 'bob' },
    ] as never[]);
    await msgs.insertMany([
      { room: 'r1', author: 'u1', tags: ['x', 'y'], n: 1 },
      { room: 'r1', author: 'u2', tags: ['x'], n: 2 },
      { room: 'r2', author: 'u1', tags: [], n: 3 },
    ]);
    assert.deepEqual(await msgs.distinct('tags'), ['x', 'y']);
    assert.deepEqual(await msgs.distinct('author', { room: 'r1' }), ['u1', 'u2']);
    const grouped = await msgs
      .aggregate([
        { $match: { n: { $gte: 1 } } },
        { $group: { _id: '$room', total: { $sum: '$n' }, count: { $sum: 1 }, last: { $max: '$n' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    assert.deepEqual(grouped, [
      { _id: 'r1', total: 3, count: 2, last: 2 },
      { _id: 'r2', total: 3, count: 1, last: 3 },
    ]);
    const joined = await msgs
      .aggregate([
        { $sort: { n: 1 } },
        { $lookup: { from: 'agg_users', localField: 'author', foreignField: '_id', as: 'user' } },
        { $unwind: '$user' },
        { $addFields: { who: '$user.name' } },
        { $set: { double: { $multiply: ['$n', 2] } } },
        { $unset: ['user', '_id', 'tags'] },
        { $project: { who: 1, double: 1 } },
        { $skip: 1 },
        { $limit: 1 },
      ])
      .toArray();
    assert.deepEqual(joined, [{ who: 'bob', double: 4 }]);
    const [facets] = await msgs
      .aggregate([
        { $unwind: '$tags' },
        { $facet: { total: [{ $count: 'n' }], byTag: [{ $sortByCount: '$tags' }] } },
      ])
      .toArray();
    assert.deepEqual(facets, {
      total: [{ n: 3 }],
      byTag: [
        { _id: 'x', count: 2 },
        { _id: 'y', count: 1 },
      ],
    });
  });

  it('answers the catalog and status commands', async () => {
    const col = db.collection('cat');
    await col.insertOne({ a: 1 });
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    assert.ok(names.includes('cat'));
    assert.deepEqual(
      (await db.listCollections({ name: 'cat' }).toArray()).map((c) => c.name),
      ['cat'],
    );
    const dbs = await ds.client.db('admin').admin().listDatabases();
    assert.ok(dbs.databases.some((d) => d.name === 'crud' && (d.sizeOnDisk ?? 0) > 0));
    const stats = await db.command({ collStats: 'cat' });
    assert.equal(stats.count, 1);
    assert.ok(stats.size > 0 && stats.totalIndexSize >= 0 && stats.nindexes === 1);
    await col.insertMany([{ a: 2 }, { a: 3, pad: 'x'.repeat(100) }]);
    await col.deleteOne({ a: 2 });
    await col.updateOne({ a: 1 }, { $set: { pad: 'y'.repeat(50) } });
    const later = await db.command({ collStats: 'cat' });
    assert.equal(later.count, 2, 'collStats follows inserts and deletes');
    const docs = await col.find({}, { raw: true }).toArray();
    assert.equal(
      later.size,
      docs.reduce((n, d) => n + (d as unknown as Buffer).length, 0),
    );
    const dbStats = await db.stats();
    assert.ok(dbStats.dataSize > 0 && dbStats.collections >= 1);
    const status = await db.admin().serverStatus();
    assert.ok(status.connections.current >= 1 && status.uptime >= 0);
    const conn = await db.command({ connectionStatus: 1 });
    assert.deepEqual(conn.authInfo.authenticatedUsers, []);
    await col.rename('cat2');
    assert.equal(await db.collection('cat2').countDocuments(), 2);
    await db.createCollection('other');
    await assert.rejects(db.createCollection('other'), { code: 48, codeName: 'NamespaceExists' });
    const tmp = ds.client.db('to_drop');
    await tmp.collection('x').insertOne({});
    await tmp.dropDatabase();
    assert.deepEqual(await tmp.listCollections().toArray(), []);
  });

  it('answers MongoDB errors for unknown commands, unsupported options and transactions', async () => {
    await assert.rejects(db.command({ frobnicate: 1 }), { code: 59, codeName: 'CommandNotFound' });
    await assert.rejects(db.command({ find: 'x', tailable: true }), {
      code: 115,
      codeName: 'NotImplemented',
    });
    await assert.rejects(
      db
        .collection('x')
        .find({}, { collation: { locale: 'fr' } })
        .toArray(),
      { code: 115 },
    );
    await assert.rejects(db.command({ listIndexes: 'missing' }), { code: 26, codeName: 'NamespaceNotFound' });
    await assert.rejects(
      db
        .collection('x')
        .find({ a: { $frob: 1 } })
        .toArray(),
      { code: 2 },
    );
    await assert.rejects(
      db
        .collection('x')
        .aggregate([{ $merge: { into: 'y' } }])
        .toArray(),
      { code: 115 },
    );
    const session = ds.client.startSession();
    try {
      session.startTransaction();
      await assert.rejects(db.collection('x').insertOne({ a: 1 }, { session }), {
        code: 20,
        codeName: 'IllegalOperation',
      });
    } finally {
      await session.endSession();
    }
  });
});
