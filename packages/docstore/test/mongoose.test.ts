import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GridFSBucket } from 'mongodb';
import mongoose, { Schema } from 'mongoose';
import { type RunningDocstore, runDocstore } from './helpers';

describe('mongoose and GridFS through the docstore', () => {
  let ds: RunningDocstore;
  let conn: mongoose.Connection;

  before(async () => {
    ds = await runDocstore();
    conn = await mongoose
      .createConnection(`${ds.store.uri}palaver_test`, { serverSelectionTimeoutMS: 5000 })
      .asPromise();
  });

  after(async () => {
    await conn?.close();
    await ds?.stop();
  });

  const userSchema = new Schema(
    { username: { type: String, required: true, unique: true }, role: { type: String, index: true } },
    { timestamps: true },
  );
  const postSchema = new Schema(
    { author: { type: Schema.Types.ObjectId, ref: 'User', required: true }, body: String, tags: [String] },
    { timestamps: true },
  );
  postSchema.index({ author: 1, createdAt: -1 });

  it('builds schema indexes, and a unique index rejects a duplicate with E11000', async () => {
    const User = conn.model('User', userSchema);
    await User.init();
    const names = (await User.collection.indexes()).map((i) => i.name).sort();
    assert.deepEqual(names, ['_id_', 'role_1', 'username_1']);
    await User.create({ username: 'ada', role: 'admin' });
    await assert.rejects(User.create({ username: 'ada' }), (err: { code?: number; keyValue?: unknown }) => {
      assert.equal(err.code, 11000);
      assert.deepEqual(err.keyValue, { username: 'ada' });
      return true;
    });
  });

  it('sets timestamps on create and bumps updatedAt on save', async () => {
    const User = conn.model('User', userSchema);
    const u = await User.create({ username: 'grace', role: 'member' });
    assert.ok(u.createdAt instanceof Date);
    const created = u.updatedAt!.getTime();
    await new Promise((r) => setTimeout(r, 5));
    u.role = 'moderator';
    await u.save();
    const again = await User.findById(u._id).lean();
    assert.equal(again?.role, 'moderator');
    assert.ok(again!.updatedAt.getTime() > created);
    assert.equal(again!.createdAt.getTime(), u.createdAt!.getTime());
  });

  it('populates references', async () => {
    const User = conn.model('User', userSchema);
    const Post = conn.model('Post', postSchema);
    await Post.init();
    const author = await User.create({ username: 'linus' });
    await Post.create([
      { author: author._id, body: 'one', tags: ['a'] },
      { author: author._id, body: 'two', tags: ['b'] },
    ]);
    const posts = await Post.find({ author: author._id })
      .sort({ createdAt: -1, body: -1 })
      .populate('author')
      .lean();
    assert.equal(posts.length, 2);
    assert.equal((posts[0].author as unknown as { username: string }).username, 'linus');
    assert.deepEqual(posts.map((p) => p.body).sort(), ['one', 'two']);
  });

  it('versions documents: an array change bumps __v and a stale positional save fails with VersionError', async () => {
    const Post = conn.model('Post', postSchema);
    const User = conn.model('User', userSchema);
    const author = await User.create({ username: 'barbara' });
    const p = await Post.create({ author: author._id, body: 'v', tags: ['x', 'y'] });
    assert.equal(p.__v, 0);
    const a = await Post.findById(p._id);
    const b = await Post.findById(p._id);
    (a!.tags as unknown as mongoose.Types.Array<string>).pull('x');
    await a!.save();
    const fresh = await Post.findById(p._id).lean();
    assert.equal(fresh!.__v, 1);
    // b still believes tags[1] is 'y': a positional write from a stale version must not apply.
    b!.set('tags.1', 'z');
    await assert.rejects(b!.save(), (err: Error) => err.name === 'VersionError');
  });

  it('answers updateOne/deleteMany/countDocuments as mongoose expects', async () => {
    const User = conn.model('User', userSchema);
    await User.create([
      { username: 'u1', role: 'temp' },
      { username: 'u2', role: 'temp' },
    ]);
    assert.equal(await User.countDocuments({ role: 'temp' }), 2);
    const upd = await User.updateOne({ username: 'u1' }, { $set: { role: 'kept' } });
    assert.equal(upd.modifiedCount, 1);
    const del = await User.deleteMany({ role: 'temp' });
    assert.equal(del.deletedCount, 1);
  });

  it('round-trips a GridFS file byte for byte across several chunks', async () => {
    const bucket = new GridFSBucket(ds.client.db('palaver_test'), { chunkSizeBytes: 255 * 1024 });
    const data = createHash('sha256').update('seed').digest();
    const payload = Buffer.concat(
      Array.from({ length: 40_000 }, (_, i) => Buffer.from([data[i % 32] ^ (i & 0xff)])),
    );
    const big = Buffer.concat([payload, payload, payload, payload, payload, payload, payload, payload]);
    const id = await new Promise<unknown>((resolve, reject) => {
      const up = bucket.openUploadStream('photo.bin', { metadata: { room: 'r1' } });
      up.on('error', reject).on('finish', () => resolve(up.id));
      up.end(big);
    });
    const parts: Buffer[] = [];
    for await (const chunk of bucket.openDownloadStream(id as never)) parts.push(chunk as Buffer);
    const got = Buffer.concat(parts);
    assert.equal(got.length, big.length);
    assert.equal(
      createHash('sha256').update(got).digest('hex'),
      createHash('sha256').update(big).digest('hex'),
    );
    const files = await bucket.find({ filename: 'photo.bin' }).toArray();
    assert.equal(files.length, 1);
    assert.equal(files[0].length, big.length);
    await bucket.delete(id as never);
    assert.equal(
      await ds.client.db('palaver_test').collection('fs.chunks').countDocuments({ files_id: id }),
      0,
    );
  });
});
