import { EventEmitter2 } from '@nestjs/event-emitter';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { AuthUser } from '../auth/auth-user';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  RejectedError,
} from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { AppConfig } from '../config/app-config';
import { RoomAccess } from '../rooms/room-access.service';
import { MembershipRecord, RoomAccessState, RoomRecord, RoomRole } from '../rooms/room.entity';
import { RoomsRepository, TakenSeq } from '../rooms/rooms.repository';
import { MessageRecord } from './message.entity';
import { MessageChangedEvent } from './messages.events';
import { MessagesRepository, NewMessage } from './messages.repository';
import { HookRunner } from '../plugins/hook-runner';
import { MessagesService } from './messages.service';

const ROOM = 'aaaaaaaaaaaaaaaaaaaaaaaa';

class FakeRooms {
  room: RoomRecord = {
    id: ROOM,
    kind: 'public',
    name: 'r',
    topic: '',
    archivedAt: null,
    directUserIds: [],
    memberCount: 3,
    lastSeq: 0,
    createdBy: 'owner',
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  accessVersion = 0;
  readonly roles = new Map<string, RoomRole>();
  /** Reads of rooms and memberships (the send path should make none once access is cached). */
  reads = 0;

  async findById(id: string): Promise<RoomRecord | null> {
    this.reads += 1;
    return id === ROOM ? { ...this.room } : null;
  }
  async findAccessState(id: string): Promise<RoomAccessState | null> {
    this.reads += 1;
    return id === ROOM ? this.accessState() : null;
  }
  async findMember(roomId: string, userId: string): Promise<MembershipRecord | null> {
    this.reads += 1;
    const role = this.roles.get(userId);
    return roomId === ROOM && role ? { roomId, userId, username: userId, role, joinedAt: new Date() } : null;
  }
  async nextSeq(roomId: string): Promise<number | null> {
    return roomId === ROOM ? ++this.room.lastSeq : null;
  }
  /** Counter writes made, by how many values each took. */
  readonly takeCounts: number[] = [];
  /** Lets a test hold counter writes until it releases them (to queue sends behind one). */
  takeGate: Promise<void> = Promise.resolve();

  async takeSeq(roomId: string, count = 1): Promise<TakenSeq | null> {
    this.takeCounts.push(count);
    await this.takeGate;
    if (roomId !== ROOM) return null;
    this.room.lastSeq += count;
    return { seq: this.room.lastSeq, room: this.accessState() };
  }
  /** A membership change made elsewhere (another node): the store's version moves, no event here. */
  changeRole(userId: string, role: RoomRole | null): void {
    if (role) this.roles.set(userId, role);
    else this.roles.delete(userId);
    this.accessVersion += 1;
  }
  private accessState(): RoomAccessState {
    const { id, kind, archivedAt } = this.room;
    return { id, kind, archivedAt, accessVersion: this.accessVersion };
  }
}

class FakeMessages {
  readonly rows: MessageRecord[] = [];
  /** Lets a test hold inserts until it releases them (to overlap two sends). */
  gate: Promise<void> = Promise.resolve();
  /** Makes the next insert fail as if another node stored the same clientMessageId first. */
  loseNextInsertRace = false;

  async insert(m: NewMessage): Promise<MessageRecord> {
    await this.gate;
    if (this.loseNextInsertRace) {
      this.loseNextInsertRace = false;
      this.rows.push(this.record({ ...m, seq: m.seq - 100 }));
      throw Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
    }
    if (
      this.rows.some(
        (r) => r.roomId === m.roomId && r.authorId === m.authorId && r.clientMessageId === m.clientMessageId,
      )
    ) {
      throw Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
    }
    const record = this.record(m);
    this.rows.push(record);
    return { ...record };
  }
  /** Unordered, like the driver: each message's own outcome, in input order. */
  async insertMany(messages: readonly NewMessage[]): Promise<Array<MessageRecord | Error>> {
    const results: Array<MessageRecord | Error> = [];
    for (const m of messages) results.push(await this.insert(m).catch((err: Error) => err));
    return results;
  }
  async findById(id: string): Promise<MessageRecord | null> {
    const row = this.rows.find((r) => r.id === id);
    return row ? { ...row } : null;
  }
  async findByClientMessageId(roomId: string, authorId: string, clientMessageId: string) {
    const row = this.rows.find(
      (r) => r.roomId === roomId && r.authorId === authorId && r.clientMessageId === clientMessageId,
    );
    return row ? { ...row } : null;
  }
  /**
   * Runs once, on the stored row, before the next edit or delete is stored: another change that
   * landed between the caller's read and its write (it must take its own stamp from `rooms`).
   */
  concurrentChange: ((row: MessageRecord) => void) | undefined;

  async applyEdit(id: string, changeSeq: number, text: string, editedAt: Date, seenEditedAt: Date | null) {
    return this.applyStamped(
      id,
      changeSeq,
      (r) => r.deletedAt === null && r.editedAt?.getTime() === seenEditedAt?.getTime(),
      { text, editedAt },
    );
  }
  async applyDelete(id: string, changeSeq: number, deletedBy: string, deletedAt: Date) {
    return this.applyStamped(id, changeSeq, (r) => r.deletedAt === null, {
      text: '',
      deletedAt,
      deletedBy,
    });
  }
  private async applyStamped(
    id: string,
    changeSeq: number,
    expected: (row: MessageRecord) => boolean,
    changes: Partial<MessageRecord>,
  ) {
    const row = this.rows.find((r) => r.id === id);
    if (!row) return null;
    const concurrent = this.concurrentChange;
    this.concurrentChange = undefined;
    concurrent?.(row);
    if (row.changeSeq >= changeSeq || !expected(row)) return { message: { ...row }, applied: false };
    Object.assign(row, changes, { changeSeq });
    return { message: { ...row }, applied: true };
  }
  async page(roomId: string, before: number | undefined, limit: number): Promise<MessageRecord[]> {
    return this.rows
      .filter((r) => r.roomId === roomId && (before === undefined || r.seq < before))
      .sort((a, b) => b.seq - a.seq)
      .slice(0, limit);
  }
  private record(m: NewMessage): MessageRecord {
    return {
      ...m,
      id: (this.rows.length + 1).toString(16).padStart(24, '0'),
      changeSeq: m.seq,
      createdAt: new Date(),
      editedAt: null,
      deletedAt: null,
      deletedBy: null,
    };
  }
}

const alice: AuthUser = { id: 'alice', username: 'alice', role: 'member', sessionId: 's1' };
const bob: AuthUser = { id: 'bob', username: 'bob', role: 'member', sessionId: 's2' };
const mod: AuthUser = { id: 'mod', username: 'mod', role: 'member', sessionId: 's3' };

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DomainError, String(err));
  return err;
}

describe('MessagesService', () => {
  let rooms: FakeRooms;
  let messages: FakeMessages;
  let service: MessagesService;
  let emitted: Array<[string, MessageChangedEvent]>;
  /** What the plugin gate does to a payload (default: let it through unchanged). */
  let gate: (hook: string, payload: { text?: string }) => Promise<{ text?: string }>;

  beforeEach(() => {
    rooms = new FakeRooms();
    rooms.roles.set('alice', 'member').set('bob', 'member').set('mod', 'moderator');
    messages = new FakeMessages();
    const events = new DomainEvents(new EventEmitter2());
    emitted = [];
    for (const name of ['message.created', 'message.updated', 'message.deleted'] as const) {
      events.on(name, (e) => void emitted.push([name, e]));
    }
    const config = Object.assign(new AppConfig(), { MESSAGE_MAX_LENGTH: 10 });
    const roomsRepo = rooms as unknown as RoomsRepository;
    gate = async (_hook, payload) => payload;
    const hooks = { gate: (hook: string, payload: { text?: string }) => gate(hook, payload) };
    service = new MessagesService(
      messages as unknown as MessagesRepository,
      roomsRepo,
      new RoomAccess(roomsRepo),
      events,
      config,
      hooks as unknown as HookRunner,
    );
  });

  it('numbers each new message from the room counter and announces it once', async () => {
    const a = await service.send(alice, { roomId: ROOM, text: 'one', clientMessageId: 'c1' });
    const b = await service.send(bob, { roomId: ROOM, text: 'two', clientMessageId: 'c1' });
    assert.deepEqual([a.seq, b.seq], [1, 2]);
    assert.equal(a.changeSeq, a.seq);
    assert.deepEqual(
      emitted.map(([name, e]) => [name, e.message.text, e.actor.id]),
      [
        ['message.created', 'one', 'alice'],
        ['message.created', 'two', 'bob'],
      ],
    );
  });

  it('posts system messages without membership or hooks, never in archived or unknown rooms', async () => {
    gate = async () => {
      throw new RejectedError('hooks must not run for system messages');
    };
    const ack = await service.sendSystem(ROOM, 'welcome', 'greeter');
    assert.equal(ack.seq, 1);
    assert.deepEqual(
      emitted.map(([name, e]) => [name, e.message.authorId, e.message.authorUsername, e.actor.id]),
      [['message.created', 'system', 'greeter', 'system']],
    );
    await assert.rejects(service.sendSystem('bbbbbbbbbbbbbbbbbbbbbbbb', 'x', 'greeter'), NotFoundError);
    await assert.rejects(service.sendSystem(ROOM, 'x'.repeat(11), 'greeter'), PayloadTooLargeError);
    rooms.room.archivedAt = new Date();
    await assert.rejects(service.sendSystem(ROOM, 'late', 'greeter'), ConflictError);
    assert.equal(messages.rows.length, 1);
  });

  it('answers a retried clientMessageId with the original ack and no second event', async () => {
    const first = await service.send(alice, { roomId: ROOM, text: 'hi', clientMessageId: 'c1' });
    const again = await service.send(alice, { roomId: ROOM, text: 'hi (retry)', clientMessageId: 'c1' });
    assert.deepEqual(again, { ...first, duplicate: true });
    assert.equal(emitted.length, 1);
    assert.equal(messages.rows.length, 1);
  });

  it('acks a retry of a stored message as a duplicate even when a plugin now refuses the send', async () => {
    const first = await service.send(alice, { roomId: ROOM, text: 'hi', clientMessageId: 'c1' });
    gate = async () => {
      throw new RejectedError('you are sending messages too fast');
    };
    const again = await service.send(alice, { roomId: ROOM, text: 'hi', clientMessageId: 'c1' });
    assert.deepEqual(again, { ...first, duplicate: true });
    const fresh = await rejection(service.send(alice, { roomId: ROOM, text: 'hi', clientMessageId: 'c2' }));
    assert.ok(fresh instanceof RejectedError);
    assert.equal(emitted.length, 1);
  });

  it('joins concurrent sends of the same clientMessageId into one insert', async () => {
    let release!: () => void;
    messages.gate = new Promise((resolve) => (release = resolve));
    const one = service.send(alice, { roomId: ROOM, text: 'hi', clientMessageId: 'c1' });
    const two = service.send(alice, { roomId: ROOM, text: 'hi', clientMessageId: 'c1' });
    release();
    const [a, b] = await Promise.all([one, two]);
    assert.equal(a.id, b.id);
    assert.deepEqual([a.duplicate, b.duplicate], [false, true]);
    assert.equal(messages.rows.length, 1);
    assert.equal(emitted.length, 1);
  });

  it('stores sends queued behind a counter write with one write and one insert, each acked on its own', async () => {
    const stored = await service.send(alice, { roomId: ROOM, text: 'old', clientMessageId: 'c0' });
    let release!: () => void;
    rooms.takeGate = new Promise((resolve) => (release = resolve));
    const head = service.send(bob, { roomId: ROOM, text: 'head', clientMessageId: 'b1' });
    await new Promise((resolve) => setImmediate(resolve));
    const queued = [
      service.send(alice, { roomId: ROOM, text: 'one', clientMessageId: 'c1' }),
      service.send(alice, { roomId: ROOM, text: 'old', clientMessageId: 'c0' }),
      service.send(bob, { roomId: ROOM, text: 'two', clientMessageId: 'b2' }),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const [one, retry, two] = await Promise.all(queued);
    assert.equal((await head).seq, 2);
    assert.deepEqual(rooms.takeCounts, [1, 1, 3], 'the three queued sends took their seqs in one write');
    assert.deepEqual([one.seq, two.seq], [3, 5], 'numbered in the order they were accepted');
    assert.deepEqual(retry, { ...stored, duplicate: true }, 'the retry is acked as the original');
    assert.deepEqual(
      emitted.map(([, e]) => e.message.text),
      ['old', 'head', 'one', 'two'],
      'one event per new message, in seq order',
    );
  });

  it('acks the winner when another node stored the same clientMessageId first', async () => {
    messages.loseNextInsertRace = true;
    const ack = await service.send(alice, { roomId: ROOM, text: 'hi', clientMessageId: 'c1' });
    assert.equal(ack.duplicate, true);
    assert.equal(ack.id, messages.rows[0]?.id);
    assert.equal(emitted.length, 0);
  });

  it('refuses blank and too-long text, non-members and unknown rooms before storing anything', async () => {
    assert.equal(
      (await rejection(service.send(alice, { roomId: ROOM, text: '  ', clientMessageId: 'c' }))).field,
      'text',
    );
    const long = await rejection(
      service.send(alice, { roomId: ROOM, text: 'x'.repeat(11), clientMessageId: 'c' }),
    );
    assert.ok(long instanceof PayloadTooLargeError);
    assert.equal(long.field, 'text');
    const stranger = { ...alice, id: 'stranger' };
    assert.ok(
      (await rejection(service.send(stranger, { roomId: ROOM, text: 'x', clientMessageId: 'c' }))) instanceof
        ForbiddenError,
    );
    const missing = { roomId: 'bbbbbbbbbbbbbbbbbbbbbbbb', text: 'x', clientMessageId: 'c' };
    assert.ok((await rejection(service.send(alice, missing))) instanceof NotFoundError);
    rooms.room.archivedAt = new Date();
    assert.ok(
      (await rejection(service.send(alice, { roomId: ROOM, text: 'x', clientMessageId: 'c' }))) instanceof
        ForbiddenError,
    );
    assert.equal(messages.rows.length, 0);
    assert.equal(rooms.room.lastSeq, 0);
  });

  it('sends from cached access without reading the room or the membership again', async () => {
    await service.send(alice, { roomId: ROOM, text: 'one', clientMessageId: 'c1' });
    const readsAfterFirst = rooms.reads;
    await service.send(alice, { roomId: ROOM, text: 'two', clientMessageId: 'c2' });
    await service.send(alice, { roomId: ROOM, text: 'three', clientMessageId: 'c3' });
    assert.equal(rooms.reads, readsAfterFirst);
    assert.equal(messages.rows.length, 3);
  });

  it('refuses a member removed elsewhere after their access was cached, leaving the seq it took unused', async () => {
    await service.send(alice, { roomId: ROOM, text: 'one', clientMessageId: 'c1' });
    rooms.changeRole('alice', null);
    const err = await rejection(service.send(alice, { roomId: ROOM, text: 'two', clientMessageId: 'c2' }));
    assert.ok(err instanceof ForbiddenError);
    assert.equal(messages.rows.length, 1);
    assert.equal(emitted.length, 1);
    assert.equal(rooms.room.lastSeq, 2, 'the refused send took a counter value, which stays unused');
    // The next attempt is refused before taking another one.
    await rejection(service.send(alice, { roomId: ROOM, text: 'three', clientMessageId: 'c3' }));
    assert.equal(rooms.room.lastSeq, 2);
  });

  it('lets a user who joined elsewhere post although this node last saw them as an outsider', async () => {
    const carol: AuthUser = { id: 'carol', username: 'carol', role: 'member', sessionId: 's4' };
    await rejection(service.send(carol, { roomId: ROOM, text: 'hi', clientMessageId: 'c1' }));
    rooms.changeRole('carol', 'member');
    const ack = await service.send(carol, { roomId: ROOM, text: 'hi', clientMessageId: 'c1' });
    assert.equal(ack.duplicate, false);
  });

  it('refuses a cached member once the room was archived elsewhere', async () => {
    await service.send(alice, { roomId: ROOM, text: 'one', clientMessageId: 'c1' });
    rooms.room.archivedAt = new Date();
    rooms.accessVersion += 1;
    const err = await rejection(service.send(alice, { roomId: ROOM, text: 'two', clientMessageId: 'c2' }));
    assert.ok(err instanceof ForbiddenError);
    assert.equal(messages.rows.length, 1);
  });

  it('stores what a beforeSend hook rewrote, and nothing (not even a seq) when a hook refuses', async () => {
    gate = async (hook, payload) => {
      if (payload.text === 'spam') throw new RejectedError('no spam');
      return hook === 'message.beforeSend' ? { ...payload, text: payload.text?.toUpperCase() } : payload;
    };
    const ack = await service.send(alice, { roomId: ROOM, text: 'hello', clientMessageId: 'c1' });
    assert.equal(emitted[0]?.[1].message.text, 'HELLO');
    assert.equal(ack.seq, 1);
    assert.ok(
      (await rejection(service.send(alice, { roomId: ROOM, text: 'spam', clientMessageId: 'c2' }))) instanceof
        RejectedError,
    );
    assert.equal(rooms.room.lastSeq, 1);
    assert.equal(messages.rows.length, 1);
  });

  it('lets only the author edit, stamping a fresh changeSeq and keeping seq', async () => {
    const ack = await service.send(alice, { roomId: ROOM, text: 'old', clientMessageId: 'c1' });
    await service.send(bob, { roomId: ROOM, text: 'other', clientMessageId: 'c2' });
    assert.ok(
      (await rejection(service.edit(mod, { messageId: ack.id, text: 'new' }))) instanceof ForbiddenError,
    );
    const edited = await service.edit(alice, { messageId: ack.id, text: 'new' });
    assert.deepEqual([edited.seq, edited.changeSeq, edited.text], [1, 3, 'new']);
    assert.notEqual(edited.editedAt, null);
    assert.deepEqual(emitted.at(-1)?.[0], 'message.updated');
    // Same text again: nothing changes, nothing is announced.
    await service.edit(alice, { messageId: ack.id, text: 'new' });
    assert.equal(emitted.length, 3);
  });

  it('lets the author or a room moderator delete, once, leaving a tombstone that cannot be edited', async () => {
    const ack = await service.send(alice, { roomId: ROOM, text: 'bye', clientMessageId: 'c1' });
    assert.ok((await rejection(service.delete(bob, ack.id))) instanceof ForbiddenError);
    const tomb = await service.delete(mod, ack.id);
    assert.deepEqual([tomb.deleted, tomb.text], [true, '']);
    const again = await service.delete(alice, ack.id);
    assert.equal(again.changeSeq, tomb.changeSeq);
    assert.equal(emitted.filter(([name]) => name === 'message.deleted').length, 1);
    assert.ok(
      (await rejection(service.edit(alice, { messageId: ack.id, text: 'back' }))) instanceof ConflictError,
    );
  });

  it('stores an edit that a reaction overtook, with a fresher stamp, and announces it once', async () => {
    const ack = await service.send(alice, { roomId: ROOM, text: 'old', clientMessageId: 'c1' });
    messages.concurrentChange = (row) => {
      // A reaction took the next counter value and landed before the edit's write.
      row.reactions = { '👍': ['bob'] };
      row.changeSeq = rooms.room.lastSeq + 2;
      rooms.room.lastSeq += 2;
    };
    const edited = await service.edit(alice, { messageId: ack.id, text: 'new' });
    assert.deepEqual([edited.text, edited.changeSeq], ['new', rooms.room.lastSeq]);
    assert.deepEqual(messages.rows[0]?.reactions, { '👍': ['bob'] });
    assert.equal(emitted.filter(([name]) => name === 'message.updated').length, 1);
  });

  it('lets an edit of the author stored first stand, and never edits a message deleted meanwhile', async () => {
    const ack = await service.send(alice, { roomId: ROOM, text: 'old', clientMessageId: 'c1' });
    messages.concurrentChange = (row) => {
      Object.assign(row, { text: 'first', editedAt: new Date(1), changeSeq: ++rooms.room.lastSeq });
    };
    const answer = await service.edit(alice, { messageId: ack.id, text: 'second' });
    assert.equal(answer.text, 'first');
    assert.equal(messages.rows[0]?.text, 'first');
    assert.equal(emitted.filter(([name]) => name === 'message.updated').length, 0);

    messages.concurrentChange = (row) => {
      Object.assign(row, { text: '', deletedAt: new Date(), changeSeq: ++rooms.room.lastSeq });
    };
    assert.ok(
      (await rejection(service.edit(alice, { messageId: ack.id, text: 'back' }))) instanceof ConflictError,
    );
    assert.deepEqual([messages.rows[0]?.text, messages.rows[0]?.deletedAt !== null], ['', true]);
  });

  it('deletes a message although an edit or a reaction landed first', async () => {
    const ack = await service.send(alice, { roomId: ROOM, text: 'old', clientMessageId: 'c1' });
    messages.concurrentChange = (row) => {
      Object.assign(row, { text: 'edited', editedAt: new Date(), changeSeq: rooms.room.lastSeq + 5 });
      rooms.room.lastSeq += 5;
    };
    const tomb = await service.delete(mod, ack.id);
    assert.deepEqual([tomb.deleted, tomb.text, tomb.changeSeq], [true, '', rooms.room.lastSeq]);
    assert.equal(emitted.filter(([name]) => name === 'message.deleted').length, 1);
  });

  it('pages history newest first with a seq cursor and says when there is nothing older', async () => {
    for (let i = 1; i <= 5; i += 1)
      await service.send(alice, { roomId: ROOM, text: `m${i}`, clientMessageId: `c${i}` });
    const first = await service.history(bob, { roomId: ROOM, limit: 2 });
    assert.deepEqual(
      first.messages.map((m) => m.seq),
      [5, 4],
    );
    assert.equal(first.nextBefore, 4);
    const exact = await service.history(bob, { roomId: ROOM, before: 4, limit: 3 });
    assert.equal(exact.nextBefore, null, 'a page that ends exactly at the oldest message says so');
    const rest = await service.history(bob, { roomId: ROOM, before: 4, limit: 10 });
    assert.deepEqual(
      rest.messages.map((m) => m.seq),
      [3, 2, 1],
    );
    assert.equal(rest.nextBefore, null);
  });

  it('hides messages of rooms the caller cannot see', async () => {
    const ack = await service.send(alice, { roomId: ROOM, text: 'secret', clientMessageId: 'c1' });
    rooms.room.kind = 'private';
    const stranger = { ...alice, id: 'stranger' };
    const err = await rejection(service.edit(stranger, { messageId: ack.id, text: 'x' }));
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.field, 'messageId');
  });
});
