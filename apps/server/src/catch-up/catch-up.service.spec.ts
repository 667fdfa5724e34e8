import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthUser } from '../auth/auth-user';
import { NotFoundError } from '../common/domain-error';
import { MessageRecord } from '../messages/message.entity';
import { MessagesRepository } from '../messages/messages.repository';
import { RoomAccess } from '../rooms/room-access.service';
import { CatchUpService } from './catch-up.service';

const OPEN = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const HIDDEN = 'cccccccccccccccccccccccc';
const user: AuthUser = { id: 'u1', username: 'u1', role: 'member', sessionId: 's1' };

function message(roomId: string, seq: number, changeSeq = seq): MessageRecord {
  return {
    id: `${roomId.slice(0, 20)}${String(seq).padStart(4, '0')}`,
    roomId,
    seq,
    changeSeq,
    authorId: 'u2',
    authorUsername: 'u2',
    text: `m${seq}`,
    clientMessageId: `c${seq}`,
    createdAt: new Date(0),
    editedAt: null,
    deletedAt: null,
    deletedBy: null,
  };
}

function service(rows: MessageRecord[]): CatchUpService {
  const messages = {
    async changedSince(roomId: string, after: number, limit: number) {
      return rows
        .filter((m) => m.roomId === roomId && m.changeSeq > after)
        .sort((a, b) => a.changeSeq - b.changeSeq)
        .slice(0, limit);
    },
  } as unknown as MessagesRepository;
  const access = {
    async require(_user: AuthUser, roomId: string) {
      if (roomId === HIDDEN) throw new NotFoundError('room', 'roomId');
      return { id: roomId };
    },
  } as unknown as RoomAccess;
  return new CatchUpService(messages, access);
}

describe('CatchUpService.sync', () => {
  const rows = [
    ...Array.from({ length: 5 }, (_, i) => message(OPEN, i + 1)),
    message(OPEN, 6, 9), // seq 6, edited later (changeSeq 9)
    ...Array.from({ length: 3 }, (_, i) => message(OTHER, i + 1)),
    message(HIDDEN, 1),
  ];

  it('fills one page across rooms in changeSeq order and hands back cursors for what is left', async () => {
    const page = await service(rows).sync(user, { rooms: { [OPEN]: 2, [OTHER]: 0 }, limit: 3 });
    assert.deepEqual(
      page.changes.map((m) => m.changeSeq),
      [3, 4, 5],
    );
    assert.deepEqual(page.pending, { [OPEN]: 5, [OTHER]: 0 });
    const next = await service(rows).sync(user, { rooms: page.pending, limit: 3 });
    assert.deepEqual(
      next.changes.map((m) => [m.roomId, m.changeSeq]),
      [
        [OPEN, 9],
        [OTHER, 1],
        [OTHER, 2],
      ],
    );
    assert.deepEqual(next.pending, { [OTHER]: 2 });
  });

  it('a room that ends exactly at the page boundary is complete, not pending', async () => {
    const page = await service(rows).sync(user, { rooms: { [OTHER]: 0 }, limit: 3 });
    assert.equal(page.changes.length, 3);
    assert.deepEqual(page.pending, {});
  });

  it('lists unreadable rooms as denied without reading their messages', async () => {
    const page = await service(rows).sync(user, { rooms: { [HIDDEN]: 0, [OTHER]: 2 } });
    assert.deepEqual(page.denied, [HIDDEN]);
    assert.ok(page.changes.every((m) => m.roomId === OTHER));
  });
});
