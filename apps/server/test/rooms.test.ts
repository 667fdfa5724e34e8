import { PalaverClient } from '@palaver/client';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, nextEvent, rejectsWith, settle } from './realtime-helpers';
import { registerUser, startTestServer, TestServer, TestUserClient } from './utils';

describe('rooms: operations and access rules', () => {
  let server: TestServer;
  /** The first account: a global admin. */
  let admin: TestUserClient;
  let owner: TestUserClient;
  let member: TestUserClient;
  let outsider: TestUserClient;
  const clients: PalaverClient[] = [];

  before(async () => {
    server = await startTestServer();
    admin = await registerUser(server);
    [owner, member, outsider] = await Promise.all([
      registerUser(server),
      registerUser(server),
      registerUser(server),
    ]);
    clients.push(admin, owner, member, outsider);
    await Promise.all(clients.map((c) => c.socket.connect()));
  });
  after(async () => {
    for (const c of clients) c.socket.disconnect();
    await server?.close();
  });

  it('creates public and private rooms; the creator is owner and lists them with that role', async () => {
    const pub = await owner.rooms.create({ name: '  Lobby ', kind: 'public', topic: 'say hi' });
    const priv = await owner.socket.createRoom({ name: 'Secret', kind: 'private' });
    assert.equal(pub.name, 'Lobby');
    assert.equal(pub.myRole, 'owner');
    assert.equal(pub.memberCount, 1);
    assert.equal(priv.kind, 'private');
    const mine = await owner.rooms.listMine();
    assert.deepEqual(
      mine.filter((r) => [pub.id, priv.id].includes(r.id)).map((r) => r.myRole),
      ['owner', 'owner'],
    );
    await rejectsWith(owner.rooms.create({ name: '   ', kind: 'public' }), {
      code: 'validation_failed',
      field: 'name',
    });
    await rejectsWith(owner.rooms.create({ name: 'x', kind: 'direct' as 'public' }), {
      code: 'validation_failed',
      field: 'kind',
      status: 400,
    });
  });

  it('lists my rooms most recently active first', async () => {
    const quiet = await member.rooms.create({ name: 'quiet', kind: 'private' });
    const busy = await member.rooms.create({ name: 'busy', kind: 'private' });
    await member.socket.send(quiet.id, 'wake up');
    const order = (await member.rooms.listMine()).map((r) => r.id);
    assert.ok(
      order.indexOf(quiet.id) < order.indexOf(busy.id),
      'the room with the newest message comes first',
    );
  });

  it('lists public, unarchived rooms in the directory by name, paged and searchable by prefix', async () => {
    for (const name of ['dir-alpha', 'dir-beta', 'dir-gamma', 'Dir-delta']) {
      await owner.rooms.create({ name, kind: 'public' });
    }
    await owner.rooms.create({ name: 'dir-hidden', kind: 'private' });
    const first = await member.rooms.directory({ q: 'DIR-', limit: 2 });
    assert.deepEqual(
      first.rooms.map((r) => r.name),
      ['dir-alpha', 'dir-beta'],
    );
    assert.ok(first.nextAfter);
    const second = await member.rooms.directory({ q: 'dir-', limit: 2, after: first.nextAfter });
    assert.deepEqual(
      second.rooms.map((r) => r.name),
      ['Dir-delta', 'dir-gamma'],
    );
    assert.equal(second.nextAfter, null);
    assert.ok(second.rooms.every((r) => r.myRole === null && r.kind === 'public'));
    await rejectsWith(member.rooms.directory({ after: 'garbage' }), {
      code: 'validation_failed',
      field: 'after',
    });
    await rejectsWith(member.rooms.directory({ limit: 500 }), { code: 'validation_failed', field: 'limit' });
  });

  it('lets anyone join a public room; members online see the join and new members get events at once', async () => {
    const room = await owner.rooms.create({ name: 'open', kind: 'public' });
    const joined = nextEvent(owner, 'room.member.joined', (e) => e.roomId === room.id);
    const added = nextEvent(member, 'room.added', (r) => r.id === room.id);
    const view = await member.socket.joinRoom(room.id);
    assert.equal(view.myRole, 'member');
    assert.equal(view.memberCount, 2);
    assert.equal((await joined).userId, member.user.id);
    assert.equal((await added).myRole, 'member');
    // Joining twice changes nothing.
    assert.equal((await member.rooms.join(room.id)).memberCount, 2);
    const got = nextEvent(member, 'message.created', (m) => m.roomId === room.id);
    await owner.socket.send(room.id, 'welcome');
    assert.equal((await got).text, 'welcome');
    // A public room's history is readable by non-members (a preview), but posting needs membership.
    assert.equal((await outsider.messages.history(room.id)).messages[0]?.text, 'welcome');
    await rejectsWith(outsider.socket.send(room.id, 'hi'), { code: 'forbidden' });
  });

  it('hides private rooms from non-members: no reading, joining, history or events', async () => {
    const room = await owner.rooms.create({ name: 'hidden', kind: 'private' });
    await owner.rooms.invite(room.id, member.user.id);
    const outsiderEvents = collect(outsider, 'message.created');
    await rejectsWith(outsider.rooms.get(room.id), { code: 'not_found', status: 404 });
    await rejectsWith(outsider.rooms.join(room.id), { code: 'not_found', status: 404 });
    await rejectsWith(outsider.socket.joinRoom(room.id), { code: 'not_found', field: 'roomId' });
    await rejectsWith(outsider.messages.history(room.id), { code: 'not_found', status: 404 });
    await rejectsWith(outsider.socket.history({ roomId: room.id }), { code: 'not_found' });
    await rejectsWith(outsider.rooms.members(room.id), { code: 'not_found' });
    await rejectsWith(outsider.socket.send(room.id, 'knock'), { code: 'not_found' });
    const sent = await owner.socket.send(room.id, 'private words');
    await rejectsWith(outsider.messages.edit(sent.id, 'mine now'), { code: 'not_found' });
    await rejectsWith(outsider.messages.delete(sent.id), { code: 'not_found' });
    await settle(owner, room.id, [member]);
    assert.equal(outsiderEvents.filter((m) => m.roomId === room.id).length, 0);
    assert.ok(!(await outsider.rooms.listMine()).some((r) => r.id === room.id));
  });

  it('lets only room moderators invite to a private room; any member invites to a public one', async () => {
    const priv = await owner.rooms.create({ name: 'invite-only', kind: 'private' });
    await owner.rooms.invite(priv.id, member.user.id);
    await rejectsWith(member.rooms.invite(priv.id, outsider.user.id), { code: 'forbidden', status: 403 });
    await owner.rooms.setRole(priv.id, member.user.id, 'moderator');
    const added = nextEvent(outsider, 'room.added', (r) => r.id === priv.id);
    const invited = await member.rooms.invite(priv.id, outsider.user.id);
    assert.equal(invited.role, 'member');
    assert.equal((await added).kind, 'private');
    await rejectsWith(owner.rooms.invite(priv.id, '0123456789abcdef01234567'), {
      code: 'not_found',
      field: 'userId',
    });

    const pub = await owner.rooms.create({ name: 'invite-public', kind: 'public' });
    await member.rooms.join(pub.id);
    await member.rooms.invite(pub.id, admin.user.id);
    assert.equal((await owner.rooms.get(pub.id)).memberCount, 3);
  });

  it('a kicked member stops receiving the room and loses access to a private room', async () => {
    const room = await owner.rooms.create({ name: 'kick-test', kind: 'private' });
    await owner.rooms.invite(room.id, member.user.id);
    await owner.rooms.invite(room.id, outsider.user.id);
    await rejectsWith(member.rooms.kick(room.id, outsider.user.id), { code: 'forbidden' });
    await rejectsWith(member.rooms.kick(room.id, owner.user.id), { code: 'forbidden' });
    const removed = nextEvent(outsider, 'room.removed', (e) => e.roomId === room.id);
    const left = nextEvent(member, 'room.member.left', (e) => e.roomId === room.id);
    await owner.rooms.kick(room.id, outsider.user.id);
    assert.equal((await removed).reason, 'kicked');
    assert.deepEqual(await left, {
      roomId: room.id,
      userId: outsider.user.id,
      reason: 'kicked',
      by: owner.user.id,
    });
    const outsiderEvents = collect(outsider, 'message.created');
    await owner.socket.send(room.id, 'after the kick');
    await settle(owner, room.id, [member]);
    assert.equal(outsiderEvents.filter((m) => m.roomId === room.id).length, 0);
    await rejectsWith(outsider.socket.history({ roomId: room.id }), { code: 'not_found' });
    await rejectsWith(owner.rooms.kick(room.id, outsider.user.id), { code: 'not_found', field: 'userId' });
  });

  it('renames, sets the topic, archives (read-only) and reopens, telling members', async () => {
    const room = await owner.rooms.create({ name: 'old name', kind: 'public' });
    await member.rooms.join(room.id);
    const updated = nextEvent(member, 'room.updated', (r) => r.id === room.id && r.name === 'new name');
    await owner.rooms.update(room.id, { name: 'new name', topic: 'the topic' });
    assert.equal((await updated).topic, 'the topic');
    await rejectsWith(member.rooms.update(room.id, { name: 'mine' }), { code: 'forbidden', status: 403 });
    await rejectsWith(member.rooms.update(room.id, { topic: 'mine' }), { code: 'forbidden' });
    const sent = await member.socket.send(room.id, 'before archive');
    const archived = await owner.rooms.update(room.id, { archived: true });
    assert.equal(archived.archived, true);
    await rejectsWith(member.socket.send(room.id, 'during archive'), { code: 'forbidden' });
    await rejectsWith(member.socket.edit(sent.id, 'edited'), { code: 'forbidden' });
    await rejectsWith(owner.socket.delete(sent.id), { code: 'forbidden' });
    await rejectsWith(outsider.rooms.join(room.id), { code: 'forbidden' });
    assert.equal((await member.messages.history(room.id)).messages[0]?.text, 'before archive');
    assert.ok(!(await outsider.rooms.directory({ q: 'new name' })).rooms.some((r) => r.id === room.id));
    await owner.rooms.update(room.id, { archived: false });
    assert.ok((await member.socket.send(room.id, 'after reopening')).seq > sent.seq);
  });

  it('leaving removes the room from every device; an owner who leaves hands the room on', async () => {
    const room = await owner.rooms.create({ name: 'handover', kind: 'private' });
    await owner.rooms.invite(room.id, member.user.id);
    const removed = nextEvent(owner, 'room.removed', (e) => e.roomId === room.id);
    await owner.socket.leaveRoom(room.id);
    assert.equal((await removed).reason, 'left');
    const members = await member.rooms.members(room.id);
    assert.deepEqual(
      members.map((m) => [m.userId, m.role]),
      [[member.user.id, 'owner']],
    );
    await rejectsWith(owner.rooms.get(room.id), { code: 'not_found' });
    await rejectsWith(owner.rooms.leave(room.id), { code: 'not_found' });
  });

  it('deletes a room for its owner (or an admin) only; members are told and its history is gone', async () => {
    const room = await owner.rooms.create({ name: 'doomed', kind: 'public' });
    await member.rooms.join(room.id);
    await member.socket.send(room.id, 'last words');
    await rejectsWith(member.rooms.delete(room.id), { code: 'forbidden' });
    const removed = nextEvent(member, 'room.removed', (e) => e.roomId === room.id);
    await owner.rooms.delete(room.id);
    assert.equal((await removed).reason, 'deleted');
    await rejectsWith(member.rooms.get(room.id), { code: 'not_found' });
    await rejectsWith(member.messages.history(room.id), { code: 'not_found' });
    assert.ok(!(await member.rooms.listMine()).some((r) => r.id === room.id));

    const other = await owner.rooms.create({ name: 'admin deletes', kind: 'private' });
    await admin.rooms.delete(other.id);
    await rejectsWith(owner.rooms.get(other.id), { code: 'not_found' });
  });

  it('lets a global admin moderate any room', async () => {
    const room = await owner.rooms.create({ name: 'moderated', kind: 'private' });
    await owner.rooms.invite(room.id, member.user.id);
    const sent = await member.socket.send(room.id, 'rude');
    assert.equal((await admin.messages.delete(sent.id)).deleted, true);
    await admin.rooms.kick(room.id, member.user.id);
    assert.equal((await admin.rooms.get(room.id)).memberCount, 1);
  });

  it('opens one direct room per pair, visible to the two of them only', async () => {
    const added = nextEvent(member, 'room.added', (r) => r.kind === 'direct');
    const dm = await owner.socket.openDirect(member.user.id);
    assert.equal(dm.kind, 'direct');
    assert.deepEqual(dm.directUserIds, [owner.user.id, member.user.id].sort());
    assert.equal((await added).id, dm.id);
    assert.equal((await member.rooms.openDirect(owner.user.id)).id, dm.id);
    assert.equal((await owner.rooms.get(dm.id)).memberCount, 2);
    const got = nextEvent(member, 'message.created', (m) => m.roomId === dm.id);
    await owner.socket.send(dm.id, 'psst');
    assert.equal((await got).text, 'psst');
    await rejectsWith(outsider.rooms.get(dm.id), { code: 'not_found' });
    await rejectsWith(owner.rooms.invite(dm.id, outsider.user.id), { code: 'forbidden' });
    await rejectsWith(owner.rooms.leave(dm.id), { code: 'forbidden' });
    await rejectsWith(owner.rooms.update(dm.id, { name: 'ours' }), { code: 'forbidden' });
    await rejectsWith(owner.rooms.openDirect(owner.user.id), { code: 'validation_failed', field: 'userId' });
    await rejectsWith(owner.rooms.openDirect('nope'), { code: 'validation_failed', field: 'userId' });
  });

  it('validates path parameters and bodies, naming the field', async () => {
    await rejectsWith(owner.rooms.get('not-an-id'), {
      code: 'validation_failed',
      field: 'roomId',
      status: 400,
    });
    const room = await owner.rooms.create({ name: 'validation', kind: 'public' });
    await rejectsWith(owner.rooms.update(room.id, { archived: 'yes' as unknown as boolean }), {
      code: 'validation_failed',
      field: 'archived',
    });
    await rejectsWith(owner.rooms.setRole(room.id, member.user.id, 'king' as 'owner'), {
      code: 'validation_failed',
      field: 'role',
    });
    await rejectsWith(owner.rooms.setRole(room.id, member.user.id, 'moderator'), {
      code: 'not_found',
      field: 'userId',
    });
  });
});
