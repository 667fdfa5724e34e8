import { EventEmitter2 } from '@nestjs/event-emitter';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthUser } from '../auth/auth-user';
import { ConflictError } from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { MessageRecord } from '../messages/message.entity';
import { MessagesRepository } from '../messages/messages.repository';
import { RoomAccess } from '../rooms/room-access.service';
import { RoomsRepository } from '../rooms/rooms.repository';
import { ReactionsService } from './reactions.service';

const ROOM = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const MESSAGE = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const alice: AuthUser = { id: 'alice', username: 'alice', role: 'member', sessionId: 's' };

/** A message store whose next N reaction writes lose to a change that landed first. */
class FakeStore {
  counter = 10;
  losses = 0;
  message: MessageRecord = {
    id: MESSAGE,
    roomId: ROOM,
    seq: 1,
    changeSeq: 1,
    authorId: 'bob',
    authorUsername: 'bob',
    text: 'hi',
    clientMessageId: 'c',
    createdAt: new Date(0),
    editedAt: null,
    deletedAt: null,
    deletedBy: null,
  };

  async findById(): Promise<MessageRecord> {
    return structuredClone(this.message);
  }
  async nextSeq(): Promise<number> {
    return ++this.counter;
  }
  async applyReaction(_id: string, changeSeq: number, emoji: string, userId: string, add: boolean) {
    if (this.losses > 0) {
      this.losses -= 1;
      // Someone else's change took a later counter value and landed first.
      this.message.changeSeq = ++this.counter;
      return { message: structuredClone(this.message), applied: false };
    }
    const users = this.message.reactions?.[emoji] ?? [];
    this.message.reactions = {
      ...this.message.reactions,
      [emoji]: add ? [...new Set([...users, userId])] : users.filter((u) => u !== userId),
    };
    this.message.changeSeq = changeSeq;
    return { message: structuredClone(this.message), applied: true };
  }
}

function setup() {
  const store = new FakeStore();
  const emitted: number[] = [];
  const events = new DomainEvents(new EventEmitter2());
  events.on('message.updated', ({ message }) => void emitted.push(message.changeSeq));
  const access = { require: async () => ({ id: ROOM }) } as unknown as RoomAccess;
  const service = new ReactionsService(
    store as unknown as MessagesRepository,
    store as unknown as RoomsRepository,
    access,
    events,
  );
  return { store, emitted, service };
}

describe('ReactionsService', () => {
  it('retries with a fresh, higher changeSeq when another change landed first, so no reaction is lost', async () => {
    const { store, emitted, service } = setup();
    store.losses = 2;
    const view = await service.add(alice, MESSAGE, '👍');
    assert.deepEqual(view.reactions, [{ emoji: '👍', count: 1, userIds: ['alice'] }]);
    assert.equal(view.changeSeq, store.counter);
    assert.deepEqual(emitted, [view.changeSeq], 'announced once, with the stamp that was stored');
  });

  it('adding a reaction already there, or removing one that is not, changes and announces nothing', async () => {
    const { store, emitted, service } = setup();
    await service.remove(alice, MESSAGE, '👍');
    await service.add(alice, MESSAGE, '👍');
    await service.add(alice, MESSAGE, '👍');
    assert.equal(emitted.length, 1);
    assert.equal(store.message.changeSeq, emitted[0]);
  });

  it('refuses reactions on a deleted message', async () => {
    const { store, service } = setup();
    store.message.deletedAt = new Date();
    await assert.rejects(service.add(alice, MESSAGE, '👍'), ConflictError);
  });
});
