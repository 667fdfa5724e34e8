import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMentions, ROOM_MENTION } from './mention-parser';

describe('parseMentions', () => {
  it('finds @usernames (lower-cased, once each) and @room', () => {
    assert.deepEqual(parseMentions('@Ada and @bob_2, also @ada; @room!'), [ROOM_MENTION, 'ada', 'bob_2']);
  });

  it('ignores e-mail addresses, too-short names and trailing punctuation', () => {
    assert.deepEqual(parseMentions('mail ada@example.org, @ab, thanks @carol.'), ['carol']);
  });

  it('finds nothing in a text without mentions', () => {
    assert.deepEqual(parseMentions('no one here'), []);
  });
});
