import { PalaverApiError, PalaverClient } from '@palaver/client';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureBrowserAppBuilt, launchChromium, REPO_ROOT } from './support/browser';
import { startCluster, TestCluster } from './support/cluster';

/** The shortest access-token lifetime the server accepts: the admin's session outlives it (refresh). */
const ACCESS_TOKEN_TTL_SECONDS = 30;
const UI_TIMEOUT = 15_000;

const suffix = randomUUID().slice(0, 6);
const cast = {
  admin: { username: `root_${suffix}`, password: 'admin console password' },
  moderator: { username: `mod_${suffix}`, password: 'moderator password' },
  member: { username: `carol_${suffix}`, password: 'member password' },
  offender: { username: `alice_${suffix}`, password: 'offender password' },
  reporter: { username: `bob_${suffix}`, password: 'reporter password' },
};

describe('admin console (headless Chromium against a real server)', () => {
  let cluster: TestCluster;
  let url: string;
  let browser: Browser;
  let admin: PalaverClient;
  let plaza: { id: string; name: string };
  let firstReport: string;
  let secondReport: string;
  const cspViolations: string[] = [];

  /** A fresh browser context (own sessionStorage) on the console's login page. */
  async function openConsole(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    page.on('pageerror', (err) => cspViolations.push(`page error: ${err.message}`));
    await page.goto(`${url}/admin/`);
    return { context, page };
  }

  async function logIn(page: Page, who: { username: string; password: string }): Promise<void> {
    await page.getByLabel('Username').fill(who.username);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  before(async () => {
    ensureBrowserAppBuilt('@palaver/admin');
    cluster = await startCluster({
      nodes: 1,
      redis: false,
      env: {
        PLUGINS_DIR: join(REPO_ROOT, 'plugins'),
        ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS),
      },
    });
    url = cluster.nodes[0]!.url;
    browser = await launchChromium();

    // The first account of an empty install is the admin; the admin creates the others.
    admin = new PalaverClient(url);
    await admin.register(cast.admin.username, cast.admin.password);
    assert.equal(admin.user?.role, 'admin');
    await admin.users.create({ ...cast.moderator, role: 'moderator' });
    for (const who of [cast.member, cast.offender, cast.reporter]) await admin.users.create(who);

    const reporter = new PalaverClient(url);
    await reporter.login(cast.reporter.username, cast.reporter.password);
    const offender = new PalaverClient(url);
    await offender.login(cast.offender.username, cast.offender.password);
    const room = await reporter.rooms.create({ name: `lobby-${suffix}`, kind: 'public' });
    await offender.rooms.join(room.id);
    plaza = await reporter.rooms.create({ name: `plaza-${suffix}`, kind: 'public' });
    const reported: string[] = [];
    for (const text of ['first rude message', 'second rude message']) {
      reported.push((await offender.messages.send(room.id, text)).id);
    }
    const file = (messageId: string, reason: string) =>
      reporter.plugins.call<{ id: string }>('moderation', 'POST', '/reports', { messageId, reason });
    firstReport = (await file(reported[0]!, 'insults in the lobby')).id;
    secondReport = (await file(reported[1]!, 'more insults')).id;
  });

  after(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it('turns a member away with a message saying the console is for admins and moderators', async () => {
    const { context, page } = await openConsole();
    await logIn(page, cast.member);
    await page.getByRole('alert').filter({ hasText: 'for admins and moderators' }).waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Console' }).count(), 0);
    await context.close();
  });

  it('lets the admin find a user, ban them, edit plugin settings and resolve a report, across a token refresh', async () => {
    const { context, page } = await openConsole();
    await logIn(page, cast.admin);

    // Overview: readiness details from /health/ready and the storage chart from dbStats/collStats.
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // The access token was issued before the overview showed: it has expired ACCESS_TOKEN_TTL_SECONDS later.
    const loggedInAt = Date.now();
    await page.locator('.health .badge').getByText('ready', { exact: true }).first().waitFor();
    await page.getByRole('table', { name: 'Dependencies' }).getByRole('cell', { name: 'mongo' }).waitFor();
    await page.locator('figure.chart svg .recharts-bar-rectangle').first().waitFor();
    const storage = await admin.admin.storage();
    const accounts = storage.collections.find((c) => c.name === 'users');
    assert.equal(accounts?.count, Object.keys(cast).length);
    assert.ok(storage.database.dataSize >= storage.collections.reduce((sum, c) => Math.max(sum, c.size), 0));
    await page
      .locator('.card', { hasText: 'Accounts' })
      .getByText(String(accounts.count), { exact: true })
      .waitFor();

    // Users: server-side search by username prefix, then a confirmed ban.
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('Username starts with').fill(`alice_${suffix}`.slice(0, 8));
    await page.getByRole('button', { name: 'Search' }).click();
    const users = page.getByRole('table', { name: 'Users' });
    const row = users.getByRole('row').filter({ hasText: `@${cast.offender.username}` });
    await row.waitFor();
    await users
      .getByRole('row')
      .filter({ hasText: `@${cast.reporter.username}` })
      .waitFor({ state: 'detached' });
    await row.getByRole('button', { name: 'Ban' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason (optional)').fill('spam from the admin console');
    await dialog.getByRole('button', { name: 'Ban' }).click();
    await row.locator('.badge', { hasText: 'banned' }).waitFor();
    await assert.rejects(
      new PalaverClient(url).login(cast.offender.username, cast.offender.password),
      (err: unknown) => err instanceof PalaverApiError && (err.status === 401 || err.status === 403),
    );

    // Plugins: the moderation plugin's settings form, generated from its JSON Schema.
    await page.getByRole('link', { name: 'Plugins' }).click();
    const plugins = page.getByRole('table', { name: 'Plugins' });
    const moderation = plugins.getByRole('row').filter({ hasText: 'moderation' }).first();
    await moderation.locator('.badge', { hasText: 'enabled' }).waitFor();
    await moderation.getByRole('link', { name: 'Settings' }).click();
    await page.locator('#root_flood_messages').fill('5');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const saved = await admin.plugins.settings<{ flood: { messages: number; perSeconds: number } }>(
      'moderation',
    );
    assert.equal(saved.values.flood.messages, 5);

    await page.locator('#root_flood_perSeconds').fill('0');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const fieldError = page.locator('#root_flood_perSeconds__error');
    await fieldError.filter({ hasText: 'settings.flood.perSeconds must be >= 1' }).waitFor();
    const unchanged = await admin.plugins.settings<{ flood: { perSeconds: number } }>('moderation');
    assert.equal(unchanged.values.flood.perSeconds, 10);

    // The access token has expired by now: the console refreshes it (rotating the refresh token).
    const tokensBefore = (await page.evaluate('sessionStorage.getItem("palaver.admin.tokens")')) as
      string | null;
    const wait = loggedInAt + (ACCESS_TOKEN_TTL_SECONDS + 1) * 1000 - Date.now();
    if (wait > 0) await new Promise((done) => setTimeout(done, wait));

    // Moderation: resolve the first report (dismiss, with a note).
    await page.getByRole('link', { name: 'Moderation' }).click();
    const reports = page.getByRole('table', { name: 'Reports' });
    const reportRow = reports.getByRole('row').filter({ hasText: 'insults in the lobby' });
    await reportRow.getByRole('button', { name: 'Resolve' }).click();
    const form = page.getByRole('form', { name: 'Resolve report' });
    await form.getByLabel('Note').fill('warned in private');
    await form.getByRole('button', { name: 'Resolve' }).click();
    await reportRow.waitFor({ state: 'detached' });
    await page
      .getByRole('table', { name: 'Audit log' })
      .getByRole('row')
      .filter({ hasText: 'report.resolved' })
      .waitFor();
    const tokensAfter = (await page.evaluate('sessionStorage.getItem("palaver.admin.tokens")')) as
      string | null;
    assert.ok(tokensBefore && tokensAfter);
    assert.notEqual(
      (JSON.parse(tokensAfter) as { refreshToken: string }).refreshToken,
      (JSON.parse(tokensBefore) as { refreshToken: string }).refreshToken,
    );

    const { reports: all } = await admin.plugins.call<{
      reports: Array<{ id: string; status: string; resolution?: { action: string; note: string } }>;
    }>('moderation', 'GET', '/reports', undefined, { status: 'all' });
    const resolved = all.find((r) => r.id === firstReport);
    assert.equal(resolved?.status, 'resolved');
    assert.deepEqual(
      { action: resolved?.resolution?.action, note: resolved?.resolution?.note },
      { action: 'dismiss', note: 'warned in private' },
    );

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await context.close();
  });

  it('lets the admin create an account, change its role, see upload usage, and archive, unarchive and delete a room', async () => {
    const { context, page } = await openConsole();
    await logIn(page, cast.admin);
    await page.getByRole('link', { name: 'Users' }).click();

    const newcomer = `dave_${suffix}`;
    const create = page.getByRole('form', { name: 'Create account' });
    await create.getByLabel('Username').fill(newcomer);
    await create.getByLabel('Password').fill('newcomer password');
    await create.getByLabel('Role').selectOption('moderator');
    await create.getByRole('button', { name: 'Create account' }).click();
    await create
      .getByRole('status')
      .filter({ hasText: `Account @${newcomer} created (moderator)` })
      .waitFor();
    const created = await admin.users.getByUsername(newcomer);
    assert.equal(created.role, 'moderator');

    await page.getByLabel('Username starts with').fill(newcomer);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByLabel(`Role of ${newcomer}`).selectOption('member');
    await page.getByRole('dialog').getByRole('button', { name: 'Change role' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal((await admin.users.get(created.id)).role, 'member');

    // Upload usage against the storage-quota plugin's limits.
    await admin.plugins.updateSettings('storage-quota', {
      defaultUser: { maxBytes: 1024 * 1024, maxFiles: 10 },
    });
    await page.getByLabel('Username starts with').fill(cast.reporter.username);
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .getByRole('table', { name: 'Users' })
      .getByRole('row')
      .filter({ hasText: `@${cast.reporter.username}` })
      .getByRole('button', { name: 'Storage' })
      .click();
    const usage = page.getByRole('complementary', { name: `Storage of @${cast.reporter.username}` });
    await usage.getByText('Uploads: 0 B in 0 files (limits: 1.0 MiB, 10 files)').waitFor();
    assert.equal(await usage.locator('meter').count(), 2);

    await page.getByRole('link', { name: 'Rooms' }).click();
    await page.getByLabel('Name starts with').fill(plaza.name);
    await page.getByRole('button', { name: 'Search' }).click();
    const rooms = page.getByRole('table', { name: 'Rooms' });
    const row = rooms.getByRole('row').filter({ hasText: plaza.name });
    await row.getByRole('button', { name: 'Members' }).click();
    await page
      .getByRole('table', { name: 'Room members' })
      .getByRole('cell', { name: `@${cast.reporter.username}` })
      .waitFor();

    await row.getByRole('button', { name: 'Archive' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Archive' }).click();
    await row.waitFor({ state: 'detached' }); // archived rooms leave the public directory
    assert.equal((await admin.rooms.get(plaza.id)).archived, true);

    await page.getByRole('tab', { name: 'Opened here' }).click();
    const archived = rooms.getByRole('row').filter({ hasText: plaza.name });
    await archived.locator('.badge', { hasText: 'archived' }).waitFor();
    await archived.getByRole('button', { name: 'Unarchive' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Unarchive' }).click();
    await archived.locator('.badge', { hasText: 'active' }).waitFor();
    assert.equal((await admin.rooms.get(plaza.id)).archived, false);

    await archived.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete room' }).click();
    await archived.waitFor({ state: 'detached' });
    await assert.rejects(
      admin.rooms.get(plaza.id),
      (err: unknown) => err instanceof PalaverApiError && err.status === 404,
    );
    await context.close();
  });

  it('shows a moderator the moderation queue but no plugins, and the login page once their sessions end', async () => {
    const { context, page } = await openConsole();
    await logIn(page, cast.moderator);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.equal(await nav.getByRole('link', { name: 'Plugins' }).count(), 0);

    await nav.getByRole('link', { name: 'Moderation' }).click();
    const reports = page.getByRole('table', { name: 'Reports' });
    await reports.getByRole('row').filter({ hasText: 'more insults' }).waitFor();
    assert.equal(await reports.getByRole('row').filter({ hasText: 'insults in the lobby' }).count(), 0);
    assert.ok(secondReport);

    // The moderator may ban members but not change roles (admins only): no role selector is offered.
    await nav.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('table', { name: 'Users' }).getByRole('row').nth(1).waitFor();
    assert.equal(await page.getByRole('combobox', { name: /^Role of / }).count(), 0);

    await page.goto(`${url}/admin/plugins/moderation`);
    await page.getByText('This page does not exist or your role cannot open it.').waitFor();
    assert.equal(await page.locator('#root_flood_messages').count(), 0);

    // The storage figures are for admins only; the API says so too.
    const elsewhere = new PalaverClient(url);
    await elsewhere.login(cast.moderator.username, cast.moderator.password);
    await assert.rejects(
      elsewhere.admin.storage(),
      (err: unknown) => err instanceof PalaverApiError && err.status === 403,
    );

    // A password change elsewhere ends every session: the console's refresh is refused, back to the login.
    await elsewhere.changePassword(cast.moderator.password, 'a new moderator password');
    cast.moderator.password = 'a new moderator password';
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByText('Your session has expired. Log in again.').waitFor();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("palaver.admin.tokens")'), null);
    await context.close();
  });

  it('ran without Content-Security-Policy violations or page errors', () => {
    assert.deepEqual(cspViolations, []);
  });
});
