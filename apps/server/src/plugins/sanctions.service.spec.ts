import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessClusterBus } from '../cluster/cluster-bus';
import { ForbiddenError, RejectedError } from '../common/domain-error';
import type { PluginsRepository, SanctionRecord } from './plugins.repository';
import { SanctionsService } from './sanctions.service';

/** An in-memory sanctions table shared by the "nodes" built on it. */
function repository(): PluginsRepository {
  let rows: SanctionRecord[] = [];
  return {
    addSanction: async (s: Omit<SanctionRecord, 'id'>) => {
      const row = { id: String(rows.length + 1), ...s };
      rows.push(row);
      return row;
    },
    removeSanctions: async (userId: string, kind: 'mute' | 'ban', roomId: string | null) => {
      const before = rows.length;
      rows = rows.filter(
        (r) => !(r.userId === userId && r.kind === kind && (kind === 'ban' || r.roomId === roomId)),
      );
      return before - rows.length;
    },
    activeSanctions: async (now: Date, userId?: string) =>
      rows.filter((r) => (!userId || r.userId === userId) && (r.until === null || r.until > now)),
  } as unknown as PluginsRepository;
}

describe('SanctionsService', () => {
  it('a room mute stops posting in that room only; an install-wide mute everywhere', async () => {
    const sanctions = new SanctionsService(repository(), new InProcessClusterBus());
    await sanctions.add({
      kind: 'mute',
      userId: 'u1',
      roomId: 'r1',
      until: null,
      reason: 'spam',
      by: 'moderation',
    });
    assert.throws(() => sanctions.assertMayPost('u1', 'r1'), RejectedError);
    sanctions.assertMayPost('u1', 'r2');
    sanctions.assertNotBanned('u1');
    await sanctions.add({
      kind: 'mute',
      userId: 'u1',
      roomId: null,
      until: null,
      reason: 'spam',
      by: 'moderation',
    });
    assert.throws(() => sanctions.assertMayPost('u1', 'r2'), /you are muted: spam/);
  });

  it('a ban refuses posting and everything else, and ends when its duration is over', async () => {
    const sanctions = new SanctionsService(repository(), new InProcessClusterBus());
    const until = new Date(Date.now() + 100);
    await sanctions.add({
      kind: 'ban',
      userId: 'u2',
      roomId: null,
      until,
      reason: 'abuse',
      by: 'moderation',
    });
    assert.throws(() => sanctions.assertNotBanned('u2'), ForbiddenError);
    assert.throws(() => sanctions.assertMayPost('u2', 'r1'), /you are banned until .*: abuse/);
    assert.equal(sanctions.list('u2')[0].until, until.toISOString());
    await new Promise((resolve) => setTimeout(resolve, 150));
    sanctions.assertNotBanned('u2');
    assert.deepEqual(sanctions.list('u2'), []);
  });

  it('every node learns of a new sanction and of its lifting through the bus', async () => {
    const db = repository();
    const bus = new InProcessClusterBus();
    const nodeA = new SanctionsService(db, bus);
    const nodeB = new SanctionsService(db, bus);
    await nodeA.add({ kind: 'ban', userId: 'u3', roomId: null, until: null, reason: 'x', by: 'moderation' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.throws(() => nodeB.assertNotBanned('u3'), ForbiddenError);
    await nodeA.remove('u3', 'ban', null);
    await new Promise((resolve) => setImmediate(resolve));
    nodeB.assertNotBanned('u3');
    nodeA.onModuleDestroy();
    nodeB.onModuleDestroy();
  });
});
