import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PalaverApiError, PalaverClient, type RoomView } from '@palaver/client';
import { MongoClient } from 'mongodb';
import { writePluginsDir } from './support/plugin-fixtures';
import { registerUser, startTestServer, waitFor, type TestServer, type TestUserClient } from './utils';

/** The repository's plugins/ (built by `tsc -b`): moderation, storage-quota, example-roll. */
const BUILT_IN_PLUGINS = join(__dirname, '..', '..', '..', '..', 'plugins');
const UPLOADS = '/api/media/uploads';

/** A third-party plugin listening to moderation's reports (report.created). */
const REPORT_LISTENER = `module.exports = {
  id: 'report-listener', version: '1.0.0', apiVersion: '^1.0.0', permissions: ['kv', 'http.routes'],
  hooks: { 'report.created': async ({ report }, ctx) => { await ctx.kv.set('last', report); } },
  routes: [{ method: 'GET', path: '/last', role: 'admin', handler: async (_req, ctx) => ({ report: (await ctx.kv.get('last')) ?? null }) }],
};`;

function tusHeaders(client: PalaverClient): Record<string, string> {
  return { authorization: `Bearer ${client.accessToken}`, 'tus-resumable': '1.0.0' };
}

async function createUpload(
  server: TestServer,
  client: PalaverClient,
  roomId: string,
  size: number,
): Promise<Response> {
  const meta = { roomId, filename: `f${size}.bin`, type: 'application/octet-stream' };
  return fetch(`${server.url}${UPLOADS}`, {
    method: 'POST',
    headers: {
      ...tusHeaders(client),
      'upload-length': String(size),
      'upload-metadata': Object.entries(meta)
        .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
        .join(','),
    },
  });
}

async function patch(server: TestServer, client: PalaverClient, id: string, offset: number, body: Buffer) {
  return fetch(`${server.url}${UPLOADS}/${id}`, {
    method: 'PATCH',
    headers: {
      ...tusHeaders(client),
      'upload-offset': String(offset),
      'content-type': 'application/offset+octet-stream',
    },
    body,
  });
}

/** Creates and fully sends an upload; returns the PATCH response and the media id. */
async function upload(server: TestServer, client: PalaverClient, roomId: string, data: Buffer) {
  const created = await createUpload(server, client, roomId, data.length);
  assert.equal(created.status, 201, await created.text());
  const id = created.headers.get('location')!.split('/').pop()!;
  return { id, res: await patch(server, client, id, 0, data) };
}

describe('built-in plugins through the real server', () => {
  let server: TestServer;
  let pluginsDir: string;
  let mongo: MongoClient;
  let admin: TestUserClient;
  let alice: TestUserClient;
  let bob: TestUserClient;
  let room: RoomView;

  before(async () => {
    pluginsDir = await writePluginsDir({ 'report-listener': REPORT_LISTENER });
    for (const name of ['moderation', 'storage-quota']) {
      await symlink(join(BUILT_IN_PLUGINS, name), join(pluginsDir, name), 'dir');
    }
    server = await startTestServer({ env: { PLUGINS_DIR: pluginsDir } });
    mongo = await MongoClient.connect(server.mongoUrl);
    admin = await registerUser(server);
    alice = await registerUser(server);
    bob = await registerUser(server);
    room = await alice.rooms.create({ name: 'town-square', kind: 'public' });
    await bob.rooms.join(room.id);
  });

  after(async () => {
    await mongo?.close();
    await server?.close();
    if (pluginsDir) await rm(pluginsDir, { recursive: true, force: true });
  });

  const chunksOf = (id: string) =>
    mongo.db('palaver').collection('fs.chunks').countDocuments({ files_id: id });
  const setSettings = (plugin: string, settings: object) =>
    admin.http.request('PUT', `/admin/plugins/${plugin}/settings`, { body: { settings } });
  const usage = async (userId: string) =>
    (
      await admin.http.request<{ usage: { bytes: number; files: number } }>(
        'GET',
        '/plugins/storage-quota/usage',
        { query: { userId } },
      )
    ).usage;

  describe('storage-quota', () => {
    it('counts completed uploads and gives usage figures to admins', async () => {
      const { res } = await upload(server, alice, room.id, randomBytes(300_000));
      assert.equal(res.status, 204);
      await waitFor(async () => (await usage(alice.user!.id)).files === 1, 5000, 'usage after completion');
      assert.deepEqual(await usage(alice.user!.id), { bytes: 300_000, files: 1 });
      await assert.rejects(
        alice.http.request('GET', '/plugins/storage-quota/usage', { query: { userId: alice.user!.id } }),
        (err: PalaverApiError) => err.status === 403,
      );
    });

    it('allows an upload up to the exact byte of the quota and refuses the next byte', async () => {
      await setSettings('storage-quota', { defaultUser: { maxBytes: 301_000, maxFiles: 0 } });
      const fits = await upload(server, alice, room.id, randomBytes(1000));
      assert.equal(fits.res.status, 204);
      await waitFor(async () => (await usage(alice.user!.id)).bytes === 301_000, 5000, 'usage at the limit');
      const refused = await createUpload(server, alice, room.id, 1);
      assert.equal(refused.status, 413);
    });

    it('aborts an upload mid-stream when it crosses a quota lowered meanwhile: upload failed with the reason, no chunks left, usage unchanged', async () => {
      await setSettings('storage-quota', { defaultUser: { maxBytes: 1_100_000, maxFiles: 0 } });
      const created = await createUpload(server, alice, room.id, 700_000);
      assert.equal(created.status, 201);
      const id = created.headers.get('location')!.split('/').pop()!;
      assert.equal((await patch(server, alice, id, 0, randomBytes(300_000))).status, 204);
      assert.ok((await chunksOf(id)) > 0);
      // The admin lowers the quota while the upload is under way; the next chunk crosses it.
      await setSettings('storage-quota', { defaultUser: { maxBytes: 700_000, maxFiles: 0 } });
      const res = await patch(server, alice, id, 300_000, randomBytes(400_000));
      // The quota's 413 reaches the client unless tus aborts the still-streaming request first (then 400);
      // either way the upload is failed with the quota's reason.
      assert.ok([400, 413].includes(res.status), `status ${res.status}`);
      const info = async () =>
        (await (
          await fetch(`${server.url}/api/media/${id}/info`, { headers: tusHeaders(alice) })
        ).json()) as {
          status: string;
          failureReason: string;
        };
      await waitFor(async () => (await info()).status === 'failed', 5000, 'upload failed');
      assert.match((await info()).failureReason, /storage quota of 700000 bytes would be exceeded/);
      await waitFor(async () => (await chunksOf(id)) === 0, 5000, 'chunks removed');
      assert.deepEqual(await usage(alice.user!.id), { bytes: 301_000, files: 2 });
    });

    it('recomputes usage from the media metadata', async () => {
      await mongo.db('palaver').collection('plugin_kv').deleteMany({ pluginId: 'storage-quota' });
      assert.deepEqual(await usage(alice.user!.id), { bytes: 0, files: 0 });
      const res = await admin.http.request<{ usage: object }>('POST', '/plugins/storage-quota/recompute', {
        body: { userId: alice.user!.id },
      });
      assert.deepEqual(res.usage, { bytes: 301_000, files: 2 });
      await setSettings('storage-quota', {});
    });

    it('counts uploads still arriving: two that fit alone but not together cannot both be stored', async () => {
      await setSettings('storage-quota', { defaultUser: { maxBytes: 801_000, maxFiles: 0 } });
      const start = async () => {
        const created = await createUpload(server, alice, room.id, 400_000);
        assert.equal(created.status, 201, await created.text());
        return created.headers.get('location')!.split('/').pop()!;
      };
      const [first, second] = [await start(), await start()];
      assert.equal((await patch(server, alice, first, 0, randomBytes(300_000))).status, 204);
      const quotaOf = () =>
        admin.http.request<{ usage: object; inProgress: { bytes: number; files: number } }>(
          'GET',
          '/plugins/storage-quota/usage',
          { query: { userId: alice.user!.id } },
        );
      assert.deepEqual((await quotaOf()).inProgress, { bytes: 300_000, files: 1 });
      // 301,000 stored + 300,000 arriving leave 200,000: the second upload's 400,000 do not fit.
      const refused = await patch(server, alice, second, 0, randomBytes(400_000));
      assert.ok([400, 413].includes(refused.status), `status ${refused.status}`);
      await waitFor(
        async () => (await quotaOf()).inProgress.files === 1,
        5000,
        'the refused reservation let go',
      );
      // The first one, still within the quota with the second gone, finishes.
      assert.equal((await patch(server, alice, first, 300_000, randomBytes(100_000))).status, 204);
      await waitFor(async () => (await usage(alice.user!.id)).files === 3, 5000, 'usage after completion');
      const after = await quotaOf();
      assert.deepEqual(after.usage, { bytes: 701_000, files: 3 });
      assert.deepEqual(after.inProgress, { bytes: 0, files: 0 });
      await setSettings('storage-quota', {});
    });
  });

  describe('moderation', () => {
    it('masks filtered words and blocks them in a room that overrides the action', async () => {
      const strict = await alice.rooms.create({ name: 'strict-room', kind: 'public' });
      await setSettings('moderation', {
        filter: {
          patterns: ['darn'],
          action: 'mask',
          rooms: { [strict.id]: { action: 'block', extraPatterns: [] } },
        },
      });
      const ack = await alice.messages.send(room.id, 'darn it');
      const stored = (await alice.messages.history(room.id)).messages.find((m) => m.id === ack.id);
      assert.equal(stored?.text, '**** it');
      await assert.rejects(
        alice.messages.send(strict.id, 'darn it'),
        (err: PalaverApiError) => err.status === 422,
      );
    });

    it('limits a flooding user and says when to retry', async () => {
      await setSettings('moderation', { flood: { messages: 3, perSeconds: 60 } });
      for (let i = 0; i < 3; i++) await bob.messages.send(room.id, `msg ${i}`);
      await assert.rejects(bob.messages.send(room.id, 'one too many'), (err: PalaverApiError) => {
        assert.equal(err.status, 429);
        assert.ok((err.retryAfterMs ?? 0) > 0);
        return true;
      });
      await alice.messages.send(room.id, 'others are unaffected');
      await setSettings('moderation', {});
    });

    it('answers a report of a message in a room the reporter cannot read exactly as one of an unknown id', async () => {
      const secret = await bob.rooms.create({ name: 'reports-secret', kind: 'private' });
      const hidden = await bob.messages.send(secret.id, 'members only');
      for (const messageId of [hidden.id, '0123456789abcdef01234567']) {
        await assert.rejects(
          alice.http.request('POST', '/plugins/moderation/reports', {
            body: { messageId, reason: 'curious' },
          }),
          (err: PalaverApiError) =>
            err.status === 404 && err.field === 'messageId' && err.message === 'message not found',
        );
      }
      const queue = await admin.http.request<{ reports: Array<{ messageId: string }> }>(
        'GET',
        '/plugins/moderation/reports',
      );
      assert.ok(!queue.reports.some((r) => r.messageId === hidden.id), 'no report was stored');
    });

    it('takes reports into a queue (announced to other plugins) that moderators resolve by muting, with every step audited', async () => {
      const bad = await bob.messages.send(room.id, 'something rude');
      const report = await alice.http.request<{ id: string; status: string }>(
        'POST',
        '/plugins/moderation/reports',
        {
          body: { messageId: bad.id, reason: 'rude' },
        },
      );
      assert.equal(report.status, 'open');
      await assert.rejects(
        alice.http.request('POST', '/plugins/moderation/reports', { body: { messageId: bad.id } }),
        (err: PalaverApiError) => err.status === 400 && err.field === 'reason',
      );
      await assert.rejects(
        alice.http.request('GET', '/plugins/moderation/reports'),
        (err: PalaverApiError) => err.status === 403,
      );

      // Other plugins hear about it through report.created.
      const lastReport = async () =>
        (await admin.http.request<{ report: { id: string } | null }>('GET', '/plugins/report-listener/last'))
          .report;
      await waitFor(async () => (await lastReport())?.id === report.id, 5000, 'report.created hook');
      const queue = await admin.http.request<{ reports: Array<{ id: string }> }>(
        'GET',
        '/plugins/moderation/reports',
      );
      assert.deepEqual(
        queue.reports.map((r) => r.id),
        [report.id],
      );
      await admin.http.request('POST', `/plugins/moderation/reports/${report.id}/resolve`, {
        body: { action: 'mute', note: 'cool off', durationSeconds: 600 },
      });
      assert.deepEqual(
        (await admin.http.request<{ reports: unknown[] }>('GET', '/plugins/moderation/reports')).reports,
        [],
      );
      await assert.rejects(bob.messages.send(room.id, 'can I talk?'), (err: PalaverApiError) => {
        assert.equal(err.status, 422);
        assert.match(err.message, /you are muted until .*: cool off/);
        return true;
      });

      const audit = await admin.http.request<{
        entries: Array<{ actor: string; action: string; userId?: string; reason: string }>;
      }>('GET', '/plugins/moderation/audit');
      const actions = audit.entries.map((e) => e.action);
      assert.ok(actions.includes('report.created'));
      assert.ok(actions.includes('report.resolved'));
      const mute = audit.entries.find((e) => e.action === 'user.muted');
      assert.equal(mute?.actor, admin.user!.id);
      assert.equal(mute?.userId, bob.user!.id);
      assert.equal(mute?.reason, 'cool off for 600s');

      await admin.http.request('POST', '/plugins/moderation/sanctions/lift', {
        body: { userId: bob.user!.id, kind: 'mute', roomId: room.id },
      });
      assert.ok(await bob.messages.send(room.id, 'back again'));
    });

    it('a banned user cannot log in until the ban is lifted', async () => {
      const carol = await registerUser(server);
      await admin.http.request('POST', '/plugins/moderation/sanctions', {
        body: { userId: carol.user!.id, kind: 'ban', durationSeconds: 3600, reason: 'spam' },
      });
      await assert.rejects(
        new PalaverClient(server.url).login(carol.user!.username, carol.password),
        (err: PalaverApiError) => {
          assert.equal(err.status, 403);
          assert.match(err.message, /banned until .*: spam/);
          return true;
        },
      );
      await admin.http.request('POST', '/plugins/moderation/sanctions/lift', {
        body: { userId: carol.user!.id, kind: 'ban' },
      });
      assert.ok(await new PalaverClient(server.url).login(carol.user!.username, carol.password));
    });
  });
});
