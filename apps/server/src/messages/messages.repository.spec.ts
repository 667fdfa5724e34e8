import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Mongoose } from 'mongoose';
import { parseMentions } from '../mentions/mention-parser';
import { searchTokens } from '../search/search-tokens';
import { newMessageDocument, NewMessage } from './messages.repository';
import { MessageDocument, MessageSchema } from './messages.schema';

/** What `model.create` stores for a new message (the insert path before it went through the driver). */
function storedByMongoose(message: NewMessage, createdAt: Date, id: unknown): Record<string, unknown> {
  const Model = new Mongoose().model(MessageDocument.name, MessageSchema);
  const doc = new Model({
    ...message,
    _id: id,
    changeSeq: message.seq,
    createdAt,
    mentions: parseMentions(message.text),
    tokens: searchTokens(message.text),
  });
  assert.equal(doc.validateSync(), undefined, 'mongoose accepts the message');
  return doc.toBSON() as unknown as Record<string, unknown>;
}

const base: NewMessage = {
  roomId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
  seq: 7,
  authorId: 'bbbbbbbbbbbbbbbbbbbbbbbb',
  authorUsername: 'alice',
  text: 'hello there',
  clientMessageId: 'c-1',
};

describe('newMessageDocument', () => {
  const cases: Array<[string, NewMessage]> = [
    ['a plain message', base],
    ['a message with mentions and words to index', { ...base, text: 'hi @Bob and @room, see Docs' }],
    [
      'a message with an attachment',
      {
        ...base,
        text: 'photo.png',
        attachments: [{ mediaId: 'm1', name: 'photo.png', declaredType: 'image/png', declaredSize: 1234 }],
      },
    ],
    ['a thread reply', { ...base, threadRootId: 'cccccccccccccccccccccccc' }],
  ];
  for (const [what, message] of cases) {
    it(`stores ${what} exactly as mongoose's create would`, () => {
      const createdAt = new Date('2026-11-23T12:00:00.000Z');
      const doc = newMessageDocument(message, createdAt);
      const expected = storedByMongoose(message, createdAt, doc._id);
      assert.deepStrictEqual({ ...doc }, expected);
      const fieldOrder = (o: object) => Object.keys(o).filter((k) => k !== '_id');
      assert.deepEqual(fieldOrder(doc), fieldOrder(expected), 'fields in schema order');
    });
  }

  it('keeps only the declared attachment fields, as the schema does', () => {
    const extra = { mediaId: 'm1', name: 'a', declaredType: 't', declaredSize: 1, url: '/x' };
    const doc = newMessageDocument({ ...base, attachments: [extra] }, new Date());
    assert.deepEqual(doc.attachments, [{ mediaId: 'm1', name: 'a', declaredType: 't', declaredSize: 1 }]);
  });

  it('gives every message its own id and changeSeq equal to seq', () => {
    const a = newMessageDocument(base, new Date());
    const b = newMessageDocument(base, new Date());
    assert.notEqual(a._id.toHexString(), b._id.toHexString());
    assert.equal(a.changeSeq, base.seq);
  });
});
