import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageView, PresenceEvent, TypingEvent } from '@palaver/client';
import { MEDIA_CHUNK_SIZE } from '@palaver/server/dist/src/media/media.entity';
import { startCluster, TestCluster } from './support/cluster';
import { ClusterMember, duplicates } from './support/cluster-member';
import { waitFor } from './support/ports';

/**
 * One member sending one message at a time, retrying a failed send (ack timeout, lost node) with the
 * same clientMessageId until the server acks it, as a real client does.
 */
class SteadySender {
  /** clientMessageId -> stored message id, for every acked send. */
  readonly acked = new Map<string, string>();
  private running = true;
  private loop?: Promise<void>;

  constructor(
    private readonly member: ClusterMember,
    private readonly roomId: string,
    private readonly everyMs = 40,
  ) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let n = 0;
    while (this.running) {
      const clientMessageId = randomUUID();
      const text = `${this.member.client.user!.username} #${n++}`;
      for (let attempt = 0; ; attempt++) {
        if (attempt > 100) throw new Error(`${text} was never acked`);
        try {
          if (!this.member.connected) await this.member.waitConnected();
          const ack = await this.member.send(this.roomId, text, clientMessageId);
          this.acked.set(clientMessageId, ack.id);
          break;
        } catch {
          await sleep(100);
        }
      }
      await sleep(this.everyMs);
    }
  }
}

function rejectAfter(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms).unref(),
  );
}

/** What a member ends up with: what it received live plus what it fetched to catch up. */
async function catchUp(member: ClusterMember, roomId: string): Promise<Map<string, MessageView>> {
  const view = new Map(member.live.filter((m) => m.roomId === roomId).map((m) => [m.id, m]));
  for (const message of await member.history(roomId)) view.set(message.id, message);
  return view;
}

/** The common assertions after a fault: stored once, every member's view is exactly the server's history. */
async function assertNothingLostOrDoubled(
  members: ClusterMember[],
  roomId: string,
  senders: SteadySender[],
): Promise<MessageView[]> {
  const server = await members[0]!.history(roomId);
  assert.deepEqual(duplicates(server.map((m) => m.clientMessageId)), [], 'no clientMessageId stored twice');
  assert.deepEqual(duplicates(server.map((m) => String(m.seq))), [], 'seq is unique');
  const stored = new Set(server.map((m) => m.id));
  for (const sender of senders) {
    for (const [clientMessageId, id] of sender.acked) {
      assert.ok(stored.has(id), `acked message ${clientMessageId} is stored`);
    }
  }
  const serverIds = server.map((m) => m.id).sort();
  for (const member of members) {
    const liveIds = member.live.filter((m) => m.roomId === roomId).map((m) => m.id);
    assert.deepEqual(duplicates(liveIds), [], `${member.client.user!.username} got no message twice live`);
    const view = await catchUp(member, roomId);
    assert.deepEqual(
      [...view.keys()].sort(),
      serverIds,
      `${member.client.user!.username} ends with the server's history`,
    );
  }
  return server;
}

describe('real-time delivery across Palaver nodes', () => {
  let cluster: TestCluster;
  const members: ClusterMember[] = [];
  const urls = () => cluster.nodes.filter((n) => n.running).map((n) => n.url);

  before(async () => {
    cluster = await startCluster({ nodes: 3, redis: true });
  });
  after(async () => {
    for (const member of members) member.close();
    await cluster?.close();
  });

  /** Registers a member on `node`, connects its socket there, and (when given) joins the room. */
  async function member(name: string, node: number, roomId?: string): Promise<ClusterMember> {
    const url = cluster.nodes[node]!.url;
    const m = await ClusterMember.register(url, `${name}-${randomUUID().slice(0, 6)}`);
    members.push(m);
    await m.connect(url);
    if (roomId) await m.call('room:join', { roomId });
    return m;
  }

  async function room(owner: ClusterMember): Promise<string> {
    return (await owner.call('room:create', { name: `r-${randomUUID().slice(0, 8)}`, kind: 'public' })).id;
  }

  it('members connected to different nodes each receive every message exactly once', async () => {
    const a = await member('a', 0);
    const roomId = await room(a);
    const b = await member('b', 1, roomId);
    const c = await member('c', 2, roomId);
    const everyone = [a, b, c];
    for (let i = 0; i < 5; i++)
      for (const m of everyone) await m.send(roomId, `hello ${i} from ${m.nodeUrl}`);
    for (const m of everyone) {
      await waitFor(`${m.client.user!.username} to receive 15 messages`, () => m.live.length >= 15, 10_000);
    }
    await sleep(200);
    const server = await assertNothingLostOrDoubled(everyone, roomId, []);
    assert.equal(server.length, 15);
    for (const m of everyone) {
      for (const author of everyone) {
        const seqs = m.live.filter((x) => x.authorId === author.userId).map((x) => x.seq);
        assert.deepEqual(
          seqs,
          [...seqs].sort((x, y) => x - y),
          "one author's messages arrive in room order",
        );
      }
    }
  });

  it('presence, typing and reactions reach members on another node', async () => {
    const a = await member('pa', 0);
    const roomId = await room(a);
    const b = await member('pb', 1, roomId);
    const presence: PresenceEvent[] = [];
    const typing: TypingEvent[] = [];
    const updatedAtA: MessageView[] = [];
    b.socket!.on('presence.updated', (e) => presence.push(e));
    b.socket!.on('typing.updated', (e) => typing.push(e));
    a.socket!.on('message.updated', (m) => updatedAtA.push(m));

    // Presence lives in Redis: node 1 knows a user connected to node 0.
    assert.equal((await b.call('presence:query', { userIds: [a.userId] }))[a.userId], 'online');
    await a.call('presence:set', { status: 'away' });
    await waitFor(
      'away to reach node 1',
      () => presence.some((e) => e.userId === a.userId && e.status === 'away'),
      10_000,
    );
    assert.equal((await b.call('presence:query', { userIds: [a.userId] }))[a.userId], 'away');

    await a.call('typing:start', { roomId });
    await waitFor(
      'typing to reach node 1',
      () => typing.some((e) => e.roomId === roomId && e.userId === a.userId && e.typing),
      10_000,
    );
    assert.deepEqual(await b.call('typing:list', { roomId }), [a.userId]);

    const sent = await b.send(roomId, 'react to me');
    await b.call('reaction:add', { messageId: sent.id, emoji: '+1' });
    await waitFor(
      'the reaction to reach node 0',
      () => updatedAtA.some((m) => m.id === sent.id && m.reactions?.[0]?.userIds.includes(b.userId)),
      10_000,
    );
    const reactionEvents = updatedAtA.filter((m) => m.id === sent.id);
    assert.equal(reactionEvents.length, 1, 'the reaction arrives once');
  });

  it('a logout on one node disconnects that session’s socket on another node', async () => {
    const user = await member('revoked', 0);
    await user.connect(cluster.nodes[1]!.url);
    const bystander = await member('bystander', 1);
    await user.client.logout(); // HTTP to node 0; the socket lives on node 1
    await user.waitDisconnected();
    assert.deepEqual(user.sessionEnded, ['logout']);
    assert.ok(bystander.connected, 'other users on that node keep their connection');
  });

  it('a watcher on one node follows an upload arriving at another node, byte for byte, until it completes', async () => {
    const uploader = await member('up', 0);
    const roomId = await room(uploader);
    const watcher = await member('watch', 1, roomId);
    const [nodeA, nodeB] = [cluster.nodes[0]!.url, cluster.nodes[1]!.url];
    const data = randomBytes(3 * MEDIA_CHUNK_SIZE + 777);
    const tusHeaders = { authorization: `Bearer ${uploader.client.accessToken}`, 'tus-resumable': '1.0.0' };
    const metadata = Object.entries({ roomId, filename: 'live.bin', type: 'application/octet-stream' })
      .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
      .join(',');
    const created = await fetch(`${nodeA}/api/media/uploads`, {
      method: 'POST',
      headers: { ...tusHeaders, 'upload-length': String(data.length), 'upload-metadata': metadata },
    });
    assert.equal(created.status, 201, await created.text());
    const id = created.headers.get('location')!.split('/').pop()!;

    const res = await fetch(`${nodeB}/api/media/${id}`, {
      headers: { authorization: `Bearer ${watcher.client.accessToken}` },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-media-status'), 'uploading');
    const reader = res.body!.getReader();
    const received: Buffer[] = [];
    let total = 0;
    const readUntil = async (bytes: number) => {
      while (total < bytes) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended at ${total} bytes, expected ${bytes}`);
        received.push(Buffer.from(value));
        total += value.length;
      }
    };
    const cuts = [0, MEDIA_CHUNK_SIZE + 10, 2 * MEDIA_CHUNK_SIZE, data.length];
    for (let i = 0; i < cuts.length - 1; i++) {
      const patch = await fetch(`${nodeA}/api/media/uploads/${id}`, {
        method: 'PATCH',
        headers: {
          ...tusHeaders,
          'upload-offset': String(cuts[i]),
          'content-type': 'application/offset+octet-stream',
        },
        body: data.subarray(cuts[i], cuts[i + 1]),
      });
      assert.equal(patch.status, 204);
      await Promise.race([
        readUntil(cuts[i + 1]!),
        rejectAfter(10_000, `the watcher on node B to reach ${cuts[i + 1]} bytes`),
      ]);
      assert.equal(total, cuts[i + 1], 'the watcher has exactly the bytes stored so far');
    }
    const end = await Promise.race([reader.read(), rejectAfter(10_000, 'the watcher stream to end')]);
    assert.equal(end.done, true);
    assert.ok(Buffer.concat(received).equals(data), 'the watcher read the file byte for byte');
  });

  it('with redis-server killed under traffic, nodes keep acking and storing; delivery resumes and nothing is lost or doubled', async () => {
    const a = await member('ra', 0);
    const roomId = await room(a);
    const b = await member('rb', 1, roomId);
    const c = await member('rc', 2, roomId);
    const senders = [new SteadySender(a, roomId).start(), new SteadySender(b, roomId).start()];
    await sleep(800);
    await cluster.redis!.kill();
    const ackedBeforeOutage = senders.reduce((n, s) => n + s.acked.size, 0);
    await sleep(1500);
    const ackedDuringOutage = senders.reduce((n, s) => n + s.acked.size, 0) - ackedBeforeOutage;
    assert.ok(ackedDuringOutage > 0, 'sends are acked while Redis is down');
    await cluster.redis!.start();
    // Cross-node delivery resumes by itself: a fresh message from node 0 reaches the member on node 2.
    await waitFor(
      'delivery from node 0 to node 2 to resume',
      async () => {
        const probe = await a.send(roomId, 'probe');
        await sleep(300);
        return c.live.some((m) => m.id === probe.id);
      },
      20_000,
      200,
    );
    await sleep(500);
    for (const sender of senders) await sender.stop();
    await sleep(300);
    const server = await assertNothingLostOrDoubled([a, b, c], roomId, senders);
    const missedLive = server.length - c.live.filter((m) => m.roomId === roomId).length;
    assert.ok(
      missedLive > 0,
      'the member on the third node missed live events during the outage (caught up from history)',
    );
  });

  it('a logout made while Redis is down disconnects the session’s socket on another node once Redis is back', async () => {
    const user = await member('late-revoke', 0);
    await user.connect(cluster.nodes[1]!.url);
    await cluster.redis!.kill();
    await user.client.logout(); // stored on node 0; the notice for node 1 is held
    await sleep(500);
    assert.ok(user.connected, 'node 1 cannot know yet');
    await cluster.redis!.start();
    await user.waitDisconnected(20_000);
    assert.deepEqual(user.sessionEnded, ['logout']);
  });

  it('kill -9 of a node under traffic: its members reconnect to another node, retried sends are stored once, everyone catches up', async () => {
    const a = await member('ka', 0);
    const roomId = await room(a);
    const b = await member('kb', 1, roomId);
    const c = await member('kc', 2, roomId);
    const d = await member('kd', 2, roomId);
    const everyone = [a, b, c, d];
    for (const m of everyone) m.enableFailover(urls());
    const senders = [a, b, c].map((m) => new SteadySender(m, roomId).start());
    await sleep(800);
    const doomed = cluster.nodes[2]!;
    await doomed.crash();
    await waitFor(
      'the doomed node’s members to fail over',
      () => c.failovers > 0 && d.failovers > 0 && c.connected && d.connected,
      20_000,
    );
    assert.notEqual(c.nodeUrl, doomed.url);
    await sleep(1000);
    for (const sender of senders) await sender.stop();
    await sleep(300);
    assert.ok(senders[2]!.acked.size > 0);
    await assertNothingLostOrDoubled(everyone, roomId, senders);
  });
});
