import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Db, Document } from 'mongodb';
import { type RunningDocstore, runDocstore } from './helpers';

/** The index name a find's explain reports, or 'COLLSCAN'. */
async function chosenIndex(db: Db, coll: string, filter: Document, sort?: Document): Promise<string> {
  const res = await db.command({ explain: { find: coll, filter, ...(sort ? { sort } : {}) } });
  const plan = res.queryPlanner.winningPlan as Document;
  return plan.stage === 'COLLSCAN' ? 'COLLSCAN' : (plan.inputStage as Document).indexName;
}

describe('indexes: planner, uniqueness and TTL through the driver', () => {
  let ds: RunningDocstore;
  let db: Db;

  before(async () => {
    ds = await runDocstore({ ttlIntervalMs: 100 });
    db = ds.client.db('ix');
  });
  after(async () => ds?.stop());

  it('uses a compound index for equality plus sort, in both directions, and returns the same rows as a scan', async () => {
    const col = db.collection('messages');
    const docs = Array.from({ length: 600 }, (_, i) => ({
      room: `r${i % 6}`,
      at: new Date(1_700_000_000_000 + i * 1000),
      n: i,
    }));
    await col.insertMany(docs);
    const scanNewest = await col.find({ room: 'r2' }).sort({ at: -1 }).limit(50).toArray();
    await col.createIndex({ room: 1, at: -1 });
    assert.equal(await chosenIndex(db, 'messages', { room: 'r2' }, { at: -1 }), 'room_1_at_-1');
    assert.equal(await chosenIndex(db, 'messages', { room: 'r2' }, { at: 1 }), 'room_1_at_-1');
    assert.equal(await chosenIndex(db, 'messages', { n: 5 }), 'COLLSCAN');
    const newest = await col.find({ room: 'r2' }).sort({ at: -1 }).limit(50).toArray();
    assert.deepEqual(newest, scanNewest);
    const oldest = await col.find({ room: 'r2' }).sort({ at: 1 }).limit(3).toArray();
    assert.deepEqual(
      oldest.map((d) => d.n),
      [2, 8, 14],
    );
    const page = await col
      .find({ room: 'r2', at: { $lt: newest[49].at } })
      .sort({ at: -1 })
      .limit(5)
      .toArray();
    assert.deepEqual(
      page.map((d) => d.n),
      newest.slice(0, 5).map((d) => d.n - 300),
    );
  });

  it('answers ranges, $in and multikey queries through indexes with the same results as a scan', async () => {
    const col = db.collection('ranges');
    await col.insertMany(
      Array.from({ length: 300 }, (_, i) => ({ v: i, s: `k${i % 10}`, tags: [`t${i % 3}`, `u${i % 5}`] })),
    );
    const q1 = { v: { $gte: 100, $lt: 110 } };
    const q2 = { s: { $in: ['k1', 'k3'] } };
    const q3 = { tags: 't1' };
    const before = await Promise.all([q1, q2, q3].map((q) => col.find(q).sort({ v: 1 }).toArray()));
    await col.createIndex({ v: -1 });
    await col.createIndex({ s: 1 });
    await col.createIndex({ tags: 1 });
    assert.equal(await chosenIndex(db, 'ranges', q1), 'v_-1');
    assert.equal(await chosenIndex(db, 'ranges', q2), 's_1');
    assert.equal(await chosenIndex(db, 'ranges', q3), 'tags_1');
    const afterIx = await Promise.all([q1, q2, q3].map((q) => col.find(q).sort({ v: 1 }).toArray()));
    assert.deepEqual(afterIx, before);
    assert.equal(afterIx[0].length, 10);
    assert.equal(afterIx[2].length, 100);
    assert.equal(
      await chosenIndex(db, 'ranges', {}, { v: 1 }),
      'v_-1',
      'an index provides a sort without a filter',
    );
  });

  it('enforces unique indexes on insert and update with MongoDB’s DuplicateKey error shape', async () => {
    const col = db.collection('users');
    await col.createIndex({ org: 1, email: 1 }, { unique: true });
    await col.insertOne({ org: 'a', email: 'x@y' });
    await col.insertOne({ org: 'b', email: 'x@y' });
    await assert.rejects(col.insertOne({ org: 'a', email: 'x@y' }), (err: Document) => {
      assert.equal(err.code, 11000);
      assert.deepEqual(err.keyPattern, { org: 1, email: 1 });
      assert.deepEqual(err.keyValue, { org: 'a', email: 'x@y' });
      assert.match(err.message, /E11000 duplicate key error collection: ix.users index: org_1_email_1/);
      return true;
    });
    await assert.rejects(col.updateOne({ org: 'b' }, { $set: { org: 'a' } }), { code: 11000 });
    assert.equal(await col.countDocuments({ org: 'b' }), 1, 'the failed update left the document unchanged');
    const bulk = await col
      .insertMany(
        [
          { org: 'c', email: '1' },
          { org: 'a', email: 'x@y' },
          { org: 'c', email: '2' },
        ],
        { ordered: false },
      )
      .catch((err: Document) => err);
    assert.equal((bulk as Document).code, 11000);
    assert.equal(
      await col.countDocuments({ org: 'c' }),
      2,
      'an unordered batch continues past the duplicate',
    );
    await assert.rejects(col.insertOne({ _id: (await col.findOne({ org: 'c' }))!._id, org: 'z' }), {
      code: 11000,
    });
  });

  it('sparse and partial unique indexes only constrain the documents they include', async () => {
    const col = db.collection('optional');
    await col.createIndex({ handle: 1 }, { unique: true, sparse: true });
    await col.createIndex({ code: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await col.insertMany([{ a: 1 }, { a: 2 }]);
    await col.insertMany([
      { code: 'k', active: false },
      { code: 'k', active: false },
      { code: 'k', active: true },
    ]);
    await assert.rejects(col.insertOne({ code: 'k', active: true }), { code: 11000 });
    await col.insertOne({ handle: 'h' });
    await assert.rejects(col.insertOne({ handle: 'h' }), { code: 11000 });
    assert.equal(
      await col.countDocuments({ handle: null }),
      5,
      'a sparse index is not used to find missing fields',
    );
  });

  it('lists, conflicts on and drops indexes like MongoDB', async () => {
    const col = db.collection('listing');
    await col.createIndex({ a: 1 }, { name: 'by_a', expireAfterSeconds: 3600 });
    const listed = await col.indexes();
    assert.deepEqual(
      listed.map((i) => i.name),
      ['_id_', 'by_a'],
    );
    assert.equal(listed[1].expireAfterSeconds, 3600);
    await col.createIndex({ a: 1 }, { name: 'by_a', expireAfterSeconds: 3600 }); // identical: no-op
    await assert.rejects(col.createIndex({ b: 1 }, { name: 'by_a' }), { code: 86 });
    await assert.rejects(col.createIndex({ a: 1 }, { name: 'by_a', expireAfterSeconds: 5 }), { code: 85 });
    await assert.rejects(col.createIndex({ t: 'text' }), { code: 115 });
    await assert.rejects(col.dropIndex('_id_'), { code: 72 });
    await assert.rejects(col.dropIndex('nope'), { code: 27 });
    await col.dropIndex('by_a');
    assert.deepEqual(
      (await col.indexes()).map((i) => i.name),
      ['_id_'],
    );
  });

  it('a TTL index removes documents once their date is older than expireAfterSeconds', async () => {
    const col = db.collection('sessions');
    await col.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    const past = new Date(Date.now() - 60_000);
    const future = new Date(Date.now() + 3_600_000);
    await col.insertMany([
      { s: 'old', expiresAt: past },
      { s: 'old-array', expiresAt: [past, future] },
      { s: 'new', expiresAt: future },
      { s: 'no-date', expiresAt: 'tomorrow' },
    ]);
    const deadline = Date.now() + 5000;
    while ((await col.countDocuments()) > 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      (await col.find({}).sort({ s: 1 }).toArray()).map((d) => d.s),
      ['new', 'no-date'],
    );
  });
});
