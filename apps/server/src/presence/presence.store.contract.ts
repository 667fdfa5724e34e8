import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PresenceStore } from './presence.store';

/**
 * The behaviour every PresenceStore must have, run against the memory store (presence spec) and the
 * Redis store (test/cluster-redis.test.ts). `makeStore(nodeTtlMs)` returns a fresh, empty store.
 */
export function presenceStoreContract(makeStore: (nodeTtlMs: number) => Promise<PresenceStore>): void {
  it('a user with one connection is online, then offline once it closes', async () => {
    const store = await makeStore(10_000);
    await store.setOnline('u1', 's1', 'n1');
    assert.deepEqual(await store.statusOf(['u1', 'u2']), { u1: 'online', u2: 'offline' });
    assert.equal(await store.setOffline('s1'), 'u1');
    assert.deepEqual(await store.statusOf(['u1']), { u1: 'offline' });
    assert.equal(await store.setOffline('s1'), undefined);
  });

  it('a user is online while any device is active and away only when every device is idle', async () => {
    const store = await makeStore(10_000);
    await store.setOnline('u1', 'phone', 'n1');
    await store.setOnline('u1', 'laptop', 'n2');
    await store.setAway('phone');
    assert.deepEqual(await store.statusOf(['u1']), { u1: 'online' });
    await store.setAway('laptop');
    assert.deepEqual(await store.statusOf(['u1']), { u1: 'away' });
    await store.setOnline('u1', 'phone', 'n1');
    assert.deepEqual(await store.statusOf(['u1']), { u1: 'online' });
    await store.setOffline('phone');
    assert.deepEqual(await store.statusOf(['u1']), { u1: 'away' });
    assert.deepEqual(await store.onlineUsers(), ['u1']);
  });

  it('a node that stops heartbeating takes its users offline within the node TTL', async () => {
    const store = await makeStore(300);
    await store.setOnline('alice', 's-a', 'dying');
    await store.setOnline('bob', 's-b', 'healthy');
    await store.setOnline('carol', 's-c1', 'dying');
    await store.setOnline('carol', 's-c2', 'healthy');
    assert.deepEqual(await store.onlineUsers(), ['alice', 'bob', 'carol']);
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      await store.heartbeat('healthy');
    }
    assert.deepEqual(await store.statusOf(['alice', 'bob', 'carol']), {
      alice: 'offline',
      bob: 'online',
      carol: 'online',
    });
    assert.deepEqual(await store.onlineUsers(), ['bob', 'carol']);
  });

  it('removing a node forgets all its connections at once and names the users affected', async () => {
    const store = await makeStore(10_000);
    await store.setOnline('u1', 's1', 'n1');
    await store.setOnline('u2', 's2', 'n1');
    await store.setOnline('u2', 's3', 'n2');
    assert.deepEqual(await store.removeNode('n1'), ['u1', 'u2']);
    assert.deepEqual(await store.statusOf(['u1', 'u2']), { u1: 'offline', u2: 'online' });
    assert.equal(await store.setOffline('s1'), undefined);
  });

  it('typing entries expire by themselves and can be cleared early', async () => {
    const store = await makeStore(10_000);
    await store.typing('r1', 'u2', 250);
    await store.typing('r1', 'u1', 5_000);
    await store.typing('r2', 'u3', 5_000);
    await store.typing('r3', 'u4', 250);
    assert.deepEqual(await store.typingIn('r1'), ['u1', 'u2']);
    await sleep(350);
    assert.deepEqual(await store.typingIn('r1'), ['u1']);
    assert.equal(await store.stopTyping('r1', 'u1'), true, 'u1 was typing');
    assert.equal(await store.stopTyping('r1', 'u1'), false, 'cleared already');
    assert.equal(await store.stopTyping('r3', 'u4'), false, 'expired before it was cleared');
    assert.deepEqual(await store.typingIn('r1'), []);
    assert.deepEqual(await store.typingIn('r2'), ['u3']);
  });
}
