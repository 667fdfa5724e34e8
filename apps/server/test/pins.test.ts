import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, nextEvent, rejectsWith, settle } from './realtime-helpers';
import { startTestServer, TestServer, TestUserClient, registerMembers } from './utils';

describe('pins', () => {
  let server: TestServer;
  let owner: TestUserClient;
  let member: TestUserClient;
  let outsider: TestUserClient;
  let roomId: string;

  before(async () => {
    server = await startTestServer();
    [owner, member, outsider] = await registerMembers(server, 3);
    await Promise.all([owner, member, outsider].map((c) => c.socket.connect()));
    roomId = (await owner.socket.createRoom({ name: 'pins', kind: 'public' })).id;
    await member.socket.joinRoom(roomId);
  });
  after(async () => {
    for (const c of [owner, member, outsider]) c?.socket.disconnect();
    await server?.close();
  });

  it('moderators pin any message, members only their own; the room hears each change once', async () => {
    const ownerMsg = await owner.socket.send(roomId, 'rules');
    const memberMsg = await member.socket.send(roomId, 'mine');
    const added = collect(member, 'pin.added');
    const outsiderHeard = collect(outsider, 'pin.added');
    await rejectsWith(member.socket.request('pin:add', { messageId: ownerMsg.id }), { code: 'forbidden' });
    const pin = await member.socket.request('pin:add', { messageId: memberMsg.id });
    assert.equal(pin.message.id, memberMsg.id);
    await owner.socket.request('pin:add', { messageId: ownerMsg.id });
    await owner.socket.request('pin:add', { messageId: ownerMsg.id }); // already pinned: no second event
    await settle(owner, roomId, [member]);
    assert.deepEqual(
      added.map((p) => p.message.id),
      [memberMsg.id, ownerMsg.id],
    );
    assert.equal(outsiderHeard.length, 0);
    assert.deepEqual(
      (await outsider.socket.request('pin:list', { roomId })).map((p) => p.message.id),
      [ownerMsg.id, memberMsg.id],
      'a public room lists its pins to any reader, newest first',
    );

    const removed = nextEvent(member, 'pin.removed');
    await owner.socket.request('pin:remove', { messageId: memberMsg.id });
    assert.deepEqual(await removed, { roomId, messageId: memberMsg.id });
    await rejectsWith(outsider.socket.request('pin:remove', { messageId: ownerMsg.id }), {
      code: 'forbidden',
    });
  });
});
