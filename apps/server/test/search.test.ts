import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SearchHit } from '@palaver/client';
import { rejectsWith } from './realtime-helpers';
import { startTestServer, TestServer, TestUserClient, registerMembers } from './utils';

describe('search: full text over the rooms the caller may read', () => {
  let server: TestServer;
  let alice: TestUserClient;
  let bob: TestUserClient;
  let shared: string;
  let secret: string;
  let lobby: string;

  before(async () => {
    server = await startTestServer();
    [alice, bob] = await registerMembers(server, 2);
    await Promise.all([alice, bob].map((c) => c.socket.connect()));
    shared = (await bob.socket.createRoom({ name: 'shared', kind: 'public' })).id;
    await alice.socket.joinRoom(shared);
    secret = (await bob.socket.createRoom({ name: 'secret', kind: 'private' })).id;
    lobby = (await bob.socket.createRoom({ name: 'lobby', kind: 'public' })).id;
  });
  after(async () => {
    for (const c of [alice, bob]) c?.socket.disconnect();
    await server?.close();
  });

  const texts = (hits: SearchHit[]) => hits.map((h) => h.message.text);

  it('finds messages with every word, case and accent insensitive, highlighted, never from unreadable rooms', async () => {
    await bob.socket.send(shared, 'The Café report is ready');
    await bob.socket.send(shared, 'report without the place');
    await bob.socket.send(secret, 'secret cafe report');
    await bob.socket.send(lobby, 'lobby cafe report');
    const page = await alice.socket.request('search:messages', { q: 'cafe REPORT' });
    assert.deepEqual(texts(page.hits), ['The Café report is ready']);
    const [hit] = page.hits;
    assert.deepEqual(
      hit.highlights.map(([s, e]) => hit.message.text.slice(s, e)),
      ['Café', 'report'],
    );
    assert.equal(page.nextBefore, null);

    const bobs = await bob.socket.request('search:messages', { q: 'cafe report' });
    assert.equal(bobs.hits.length, 3, 'bob reads all three rooms');
    const inLobby = await alice.socket.request('search:messages', { q: 'cafe', roomId: lobby });
    assert.deepEqual(texts(inLobby.hits), ['lobby cafe report'], 'a public room can be searched by id');
    await rejectsWith(alice.socket.request('search:messages', { q: 'cafe', roomId: secret }), {
      code: 'not_found',
    });
  });

  it('pages newest first without repeats, and follows edits and deletions', async () => {
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push((await bob.socket.send(shared, `paging token ${i}`)).id);
    const seen: string[] = [];
    let before: string | undefined;
    for (let pages = 0; pages < 5; pages += 1) {
      const page = await alice.socket.request('search:messages', {
        q: 'paging',
        limit: 2,
        ...(before ? { before } : {}),
      });
      seen.push(...texts(page.hits));
      if (!page.nextBefore) break;
      before = page.nextBefore;
    }
    assert.deepEqual(
      seen,
      [4, 3, 2, 1, 0].map((i) => `paging token ${i}`),
    );

    await bob.socket.edit(ids[0], 'renamed entirely');
    await bob.socket.delete(ids[1]);
    const after = await alice.socket.request('search:messages', { q: 'paging' });
    assert.deepEqual(
      texts(after.hits),
      [4, 3, 2].map((i) => `paging token ${i}`),
    );
    assert.deepEqual(texts((await alice.socket.request('search:messages', { q: 'renamed' })).hits), [
      'renamed entirely',
    ]);
    await rejectsWith(alice.socket.request('search:messages', { q: '!!!' }), {
      code: 'validation_failed',
      field: 'q',
    });
  });
});
