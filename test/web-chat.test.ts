import { PalaverApiError, PalaverClient, RoomView } from '@palaver/client';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { ensureBrowserAppBuilt, launchChromium } from './support/browser';
import { ClusterNode, startCluster, TestCluster } from './support/cluster';
import { waitFor } from './support/ports';

/** The shortest access-token lifetime the server accepts: the pages outlive it and must refresh. */
const ACCESS_TOKEN_TTL_SECONDS = 30;
const MESSAGE_MAX_LENGTH = 300;
const UI_TIMEOUT = 15_000;

const suffix = randomUUID().slice(0, 6);
const password = 'correct horse battery';
const names = {
  alice: `alice_${suffix}`,
  bob: `bob_${suffix}`,
  carol: `carol_${suffix}`,
  dave: `dave_${suffix}`,
};
const lobby = `lobby-${suffix}`;

/** The little of the DOM read inside evaluate() (this project compiles without lib "dom"). */
interface PageImage {
  complete: boolean;
  naturalWidth: number;
}
interface PageElement {
  getAttribute(name: string): string | null;
}

/** Polls a locator's count until it equals `expected`. */
async function countIs(locator: Locator, expected: number, what: string): Promise<void> {
  await waitFor(`${what} (${expected})`, async () => (await locator.count()) === expected, UI_TIMEOUT, 100);
}

describe('web app: members chat in real browsers (Chromium) against a two-node cluster', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let alice: { context: BrowserContext; page: Page };
  let bob: { context: BrowserContext; page: Page };
  /** carol writes through the SDK, as a bot or another device would. */
  let carol: PalaverClient;
  let room: RoomView;
  const pageErrors: string[] = [];

  /** A fresh browser context (own localStorage) on the app at `node`. */
  async function openApp(node: ClusterNode): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await openTab(context, `${node.url}/`);
    return { context, page };
  }

  /** Another tab in `context` (tabs of one browser share localStorage, so one session). */
  async function openTab(context: BrowserContext, url: string): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) pageErrors.push(msg.text());
    });
    page.on('pageerror', (err) => pageErrors.push(`page error: ${err.message}`));
    await page.goto(url);
    return page;
  }

  function composer(page: Page, label: string): Locator {
    return page.getByRole('textbox', { name: label, exact: true });
  }

  /** The rendered message (not a pending copy) whose text contains `text`. */
  function message(page: Page, text: string): Locator {
    return page.locator('article.message[data-message-id]', { hasText: text });
  }

  function roomEntry(page: Page, roomId: string): Locator {
    return page.locator(`button.room-entry[data-room-id="${roomId}"]`);
  }

  before(async () => {
    ensureBrowserAppBuilt('@palaver/web');
    cluster = await startCluster({
      nodes: 2,
      env: {
        ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS),
        MESSAGE_MAX_LENGTH: String(MESSAGE_MAX_LENGTH),
      },
    });
    // The first account of an install becomes admin (and reads every room): a throwaway takes that.
    await new PalaverClient(cluster.nodes[0]!.url).register(`root_${suffix}`, password);
    carol = new PalaverClient(cluster.nodes[0]!.url);
    await carol.register(names.carol, password);
    await new PalaverClient(cluster.nodes[1]!.url).register(names.bob, password);
    browser = await launchChromium();
  });

  after(async () => {
    carol?.socket.disconnect();
    await browser?.close();
    await cluster?.close();
  });

  it('a member registers in the page and creates a public room; another logs in on the other node, finds it in the directory and joins', async () => {
    alice = await openApp(cluster.nodes[0]!);
    await alice.page.getByRole('tab', { name: 'Create account' }).click();
    await alice.page.getByLabel('Username').fill(names.alice);
    await alice.page.getByLabel('Password').fill(password);
    await alice.page.getByRole('button', { name: 'Create account' }).last().click();
    await alice.page.getByRole('button', { name: 'New room' }).click();
    await alice.page.getByLabel('Name').fill(lobby);
    await alice.page.getByRole('button', { name: 'Create room' }).click();
    await composer(alice.page, `Message #${lobby}`).waitFor();
    const roomId = /\/r\/([0-9a-f]+)$/.exec(alice.page.url())?.[1];
    assert.ok(roomId, `the address names the room: ${alice.page.url()}`);
    room = await carol.rooms.get(roomId);
    assert.equal(room.kind, 'public');

    bob = await openApp(cluster.nodes[1]!);
    await bob.page.getByLabel('Username').fill(names.bob);
    await bob.page.getByLabel('Password').fill(password);
    await bob.page.getByRole('button', { name: 'Log in' }).last().click();
    await bob.page.getByRole('button', { name: 'Browse' }).click();
    await bob.page.getByRole('searchbox', { name: 'Search rooms' }).fill(lobby);
    await bob.page
      .getByRole('listitem')
      .filter({ hasText: lobby })
      .getByRole('button', { name: 'Join' })
      .click();
    await composer(bob.page, `Message #${lobby}`).waitFor();
    await carol.rooms.join(room.id);
    await carol.socket.connect();
  });

  it('a message typed in one page appears in the other (Enter sends, Shift+Enter is a new line), with the typing indicator before it', async () => {
    const box = composer(alice.page, `Message #${lobby}`);
    await box.click();
    await box.pressSequentially('hello from', { delay: 20 });
    await bob.page.getByText(`${names.alice} is typing…`).waitFor();
    await box.press('Shift+Enter');
    await box.pressSequentially('the other node');
    await box.press('Enter');
    assert.equal(await box.inputValue(), '', 'the composer is emptied on send');
    const received = message(bob.page, 'the other node');
    await received.waitFor();
    assert.match(await received.locator('.message-text').innerText(), /^hello from\nthe other node$/);
    await countIs(
      bob.page.getByText(`${names.alice} is typing…`),
      0,
      'the typing line gone after the message',
    );

    await composer(bob.page, `Message #${lobby}`).fill(`hi @${names.alice}`);
    await composer(bob.page, `Message #${lobby}`).press('Enter');
    const mention = message(alice.page, `hi @${names.alice}`);
    await mention.waitFor();
    assert.match(
      (await mention.getAttribute('class')) ?? '',
      /mentions-me/,
      'a mention of the reader stands out',
    );
    assert.equal(await mention.locator('.mention-me').innerText(), `@${names.alice}`);
  });

  it('edits, reactions and thread replies made in one page show in the other', async () => {
    const own = message(alice.page, 'the other node');
    await own.hover();
    await own.getByRole('button', { name: 'Edit' }).click();
    const editor = alice.page.getByRole('textbox', { name: 'Edit message' });
    await editor.fill('hello from the edited node');
    await editor.press('Enter');
    const edited = message(bob.page, 'hello from the edited node');
    await edited.waitFor();
    await edited.getByText('(edited)').waitFor();

    await edited.hover();
    await edited.getByRole('button', { name: 'Add reaction' }).click();
    await edited.getByRole('menuitem', { name: 'React 🎉' }).click();
    await message(alice.page, 'hello from the edited node').getByRole('button', { name: '🎉 1' }).waitFor();

    await edited.hover();
    await edited.getByRole('button', { name: 'Reply in thread' }).click();
    const thread = bob.page.getByRole('complementary', { name: 'Thread' });
    await composer(bob.page, 'Reply in thread').fill('a reply in the thread');
    await composer(bob.page, 'Reply in thread').press('Enter');
    await thread.getByText('a reply in the thread').waitFor();

    const root = message(alice.page, 'hello from the edited node');
    await root.getByRole('button', { name: '1 reply' }).click();
    await alice.page
      .getByRole('complementary', { name: 'Thread' })
      .getByText('a reply in the thread')
      .waitFor();
    // Replies live in the thread pane, not in the room's timeline.
    await countIs(
      alice.page.getByRole('log', { name: `Messages in ${lobby}` }).getByText('a reply in the thread'),
      0,
      'the reply outside the main timeline',
    );
    await alice.page.getByRole('button', { name: 'Close thread' }).click();

    const doomed = await carol.socket.send(room.id, 'a message carol takes back');
    await message(bob.page, 'a message carol takes back').waitFor();
    await carol.socket.delete(doomed.id);
    await bob.page
      .locator(`article[data-message-id="${doomed.id}"]`)
      .getByText('This message was deleted.')
      .waitFor();
  });

  it('unread and mention counts show for a room not on screen and drop once it is read', async () => {
    // bob looks at a direct conversation with carol while carol writes in the lobby.
    await bob.page.getByRole('button', { name: 'New message' }).click();
    await bob.page.getByRole('searchbox', { name: 'Search people' }).fill(names.carol);
    await bob.page
      .getByRole('listitem')
      .filter({ hasText: names.carol })
      .getByRole('button', { name: 'Message' })
      .click();
    await composer(bob.page, `Message ${names.carol}`).waitFor();

    await carol.socket.send(room.id, 'news for the lobby');
    await carol.socket.send(room.id, `@${names.bob} please look`);
    const entry = roomEntry(bob.page, room.id);
    await waitFor(
      'two unread, one mention',
      async () =>
        (await entry.getAttribute('data-unread')) === '2' &&
        (await entry.getAttribute('data-mentions')) === '1',
      UI_TIMEOUT,
      100,
    );

    await entry.click();
    await message(bob.page, `@${names.bob} please look`).waitFor();
    await bob.page.getByRole('button', { name: names.carol }).click();
    // The counts now come from the server's read state again.
    await waitFor(
      'the lobby read',
      async () => (await entry.getAttribute('data-unread')) === '0',
      UI_TIMEOUT,
      100,
    );
    assert.equal(await entry.getAttribute('data-mentions'), '0');
    const bobElsewhere = new PalaverClient(cluster.nodes[0]!.url);
    await bobElsewhere.login(names.bob, password);
    await bobElsewhere.socket.connect();
    const states = await bobElsewhere.socket.request('read:states', {});
    assert.deepEqual(
      states.filter((s) => s.roomId === room.id).map(({ unread, mentions }) => ({ unread, mentions })),
      [{ unread: 0, mentions: 0 }],
    );
    bobElsewhere.socket.disconnect();
    await entry.click();
  });

  it('an image uploaded in one page (tus, with progress) shows as a thumbnail in the other', async () => {
    // A PNG drawn by the browser, so the test needs no image library.
    const dataUrl = (await alice.page.evaluate(`(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 300;
      canvas.height = 200;
      const ctx = canvas.getContext('2d');
      for (let x = 0; x < 300; x += 10) { ctx.fillStyle = 'hsl(' + x + ', 70%, 50%)'; ctx.fillRect(x, 0, 10, 200); }
      return canvas.toDataURL('image/png');
    })()`)) as string;
    const png = Buffer.from(dataUrl.split(',')[1]!, 'base64');
    await alice.page
      .getByLabel('Files to upload')
      .setInputFiles({ name: 'stripes.png', mimeType: 'image/png', buffer: png });

    const shown = message(bob.page, 'stripes.png').locator('img.thumbnail');
    await shown.waitFor();
    await waitFor(
      'the thumbnail to load',
      async () =>
        (await shown.evaluate((img) => ((img as PageImage).complete ? (img as PageImage).naturalWidth : 0))) >
        0,
      UI_TIMEOUT,
      100,
    );
    const width = await shown.evaluate((img) => (img as PageImage).naturalWidth);
    assert.ok(width > 0 && width <= 320, `a thumbnail, not the original: ${width}px wide`);
    assert.match((await shown.getAttribute('src')) ?? '', /\/thumbnail\?.*sig=/, 'a signed thumbnail link');
    await countIs(alice.page.locator('.local-upload'), 0, "the uploader's progress bar gone once complete");
  });

  it('a video shows a player while its upload is still arriving; other files are download links', async () => {
    const meta = (value: string) => Buffer.from(value).toString('base64');
    const tus = { 'tus-resumable': '1.0.0' };
    const length = 600_000;
    const created = await carol.http.send('POST', '/media/uploads', {
      headers: {
        ...tus,
        'upload-length': String(length),
        'upload-metadata': `roomId ${meta(room.id)},filename ${meta('clip.webm')},type ${meta('video/webm')}`,
      },
    });
    const uploadPath = new URL(created.headers.get('location')!, carol.baseUrl).pathname.replace(
      /^\/api/,
      '',
    );
    const patch = (offset: number, bytes: Buffer) =>
      carol.http.send('PATCH', uploadPath, {
        headers: {
          ...tus,
          'upload-offset': String(offset),
          'content-type': 'application/offset+octet-stream',
        },
        rawBody: bytes,
      });
    const bytes = Buffer.alloc(length, 7);
    await patch(0, bytes.subarray(0, length / 2));

    const row = message(bob.page, 'clip.webm');
    const player = row.locator('video');
    await player.waitFor();
    assert.match(
      (await player.getAttribute('src')) ?? '',
      /\/api\/media\/[0-9a-f]+\?.*sig=/,
      'a signed link',
    );
    assert.equal(await row.locator('.attachment').getAttribute('data-status'), 'uploading');
    await waitFor(
      'the upload progress',
      // Progress is announced at most every 500 ms, so the bar may trail the bytes stored; it moves.
      async () => Number(await row.locator('progress').getAttribute('value')) > 0,
      UI_TIMEOUT,
      100,
    );
    await patch(length / 2, bytes.subarray(length / 2));
    await row.locator('.attachment[data-status="complete"]').waitFor();

    const notes = 'minutes of the meeting\n';
    await alice.page
      .getByLabel('Files to upload')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from(notes) });
    const file = message(bob.page, 'notes.txt');
    await file.locator('.attachment[data-status="complete"]').waitFor();
    assert.equal(await file.locator('img, video, audio').count(), 0, 'a plain file is a link, not a player');
    const [download] = await Promise.all([
      bob.page.waitForEvent('download'),
      file.getByRole('button', { name: 'notes.txt' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'notes.txt');
    const saved = await download.path();
    assert.equal(await readFile(saved, 'utf8'), notes);
  });

  it('a page that goes offline shows it, and when back shows every message sent meanwhile exactly once', async () => {
    const lobbyLog = bob.page.getByRole('log', { name: `Messages in ${lobby}` });
    await message(bob.page, 'stripes.png').waitFor();
    const edited = await carol.socket.send(room.id, 'carol before the drop');
    await message(bob.page, 'carol before the drop').waitFor();

    await bob.context.setOffline(true);
    await bob.page.locator('[data-connection="offline"]').waitFor();
    const missed = [];
    for (let i = 1; i <= 5; i += 1) missed.push(await carol.socket.send(room.id, `missed message ${i}`));
    await carol.socket.edit(edited.id, 'carol edited during the drop');
    await carol.socket.delete(missed[2]!.id);
    await composer(alice.page, `Message #${lobby}`).fill('alice wrote during the drop');
    await composer(alice.page, `Message #${lobby}`).press('Enter');
    await message(alice.page, 'alice wrote during the drop').waitFor();
    assert.equal(await lobbyLog.getByText('missed message 1').count(), 0, 'nothing arrives while offline');

    await bob.context.setOffline(false);
    await message(bob.page, 'alice wrote during the drop').waitFor();
    await countIs(bob.page.locator('[data-connection]'), 0, 'the connection banner gone');
    await message(bob.page, 'carol edited during the drop').waitFor();
    await bob.page
      .locator(`article[data-message-id="${missed[2]!.id}"]`)
      .getByText('This message was deleted.')
      .waitFor();
    // Let any late duplicate arrive before counting.
    await new Promise((done) => setTimeout(done, 1000));
    for (const text of ['missed message 1', 'missed message 2', 'missed message 4', 'missed message 5']) {
      assert.equal(await message(bob.page, text).count(), 1, `${text} shown once`);
    }
    assert.equal(await message(bob.page, 'alice wrote during the drop').count(), 1);
    const ids = (await lobbyLog
      .locator('article[data-message-id]')
      .evaluateAll((rows) =>
        rows.map((row) => (row as PageElement).getAttribute('data-message-id')),
      )) as string[];
    assert.equal(new Set(ids).size, ids.length, 'no message rendered twice');
    const seqs = (await lobbyLog
      .locator('article[data-seq]')
      .evaluateAll((rows) =>
        rows.map((row) => Number((row as PageElement).getAttribute('data-seq'))),
      )) as number[];
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'in room order',
    );
  });

  it('a private room stays out of the directory; an invited member sees it appear and reads it', async () => {
    const hideout = `hideout-${suffix}`;
    await alice.page.getByRole('button', { name: 'New room' }).click();
    await alice.page.getByLabel('Name').fill(hideout);
    await alice.page.getByLabel(/Private/).check();
    await alice.page.getByRole('button', { name: 'Create room' }).click();
    await composer(alice.page, `Message #${hideout}`).fill('only for the invited');
    await composer(alice.page, `Message #${hideout}`).press('Enter');
    await message(alice.page, 'only for the invited').waitFor();
    const directory = await carol.rooms.directory({ q: hideout });
    assert.deepEqual(directory.rooms, [], 'not listed');

    await alice.page.getByRole('button', { name: /^1 member$/ }).click();
    await alice.page.getByRole('button', { name: 'Invite people' }).click();
    await alice.page.getByRole('searchbox', { name: 'Find people to invite' }).fill(names.bob);
    await alice.page
      .getByRole('complementary', { name: 'Members' })
      .getByRole('listitem')
      .filter({ hasText: names.bob })
      .getByRole('button', { name: 'Invite' })
      .click();
    await alice.page.getByRole('button', { name: /^2 members$/ }).waitFor();
    const entry = bob.page.locator('button.room-entry', { hasText: hideout });
    await entry.click();
    await message(bob.page, 'only for the invited').waitFor();
    await bob.page.locator(`button.room-entry[data-room-id="${room.id}"]`).click();
    await alice.page.locator(`button.room-entry[data-room-id="${room.id}"]`).click();
  });

  it('errors say what is wrong: a too long message names the field, a throttled login says when to retry', async () => {
    const box = composer(alice.page, `Message #${lobby}`);
    await box.fill('x'.repeat(MESSAGE_MAX_LENGTH + 1));
    await box.press('Enter');
    const failed = alice.page.locator('article.message.pending.failed');
    await failed.waitFor();
    assert.match(await failed.getByRole('alert').innerText(), /Not sent: .*text/);
    await failed.getByRole('button', { name: 'Discard' }).click();
    await countIs(failed, 0, 'the failed message discarded');

    const dave = new PalaverClient(cluster.nodes[0]!.url);
    await dave.register(names.dave, password);
    let throttled = false;
    for (let i = 0; i < 15 && !throttled; i += 1) {
      await dave.login(names.dave, 'not the password').catch((err: unknown) => {
        assert.ok(err instanceof PalaverApiError);
        throttled = err.code === 'rate_limited';
      });
    }
    assert.ok(throttled, 'failed logins are throttled');
    const visitor = await openApp(cluster.nodes[1]!);
    await visitor.page.getByLabel('Username').fill(names.dave);
    await visitor.page.getByLabel('Password').fill(password);
    await visitor.page.getByRole('button', { name: 'Log in' }).last().click();
    assert.match(await visitor.page.getByRole('alert').innerText(), /try again in \d+ s/);
    await visitor.context.close();
  });

  it('two tabs sharing a session both refresh an expired access token without ending it, and a reload reopens the room', async () => {
    const lobbyBox = (page: Page) => composer(page, `Message #${lobby}`);
    const secondTab = await openTab(bob.context, `${cluster.nodes[1]!.url}/r/${room.id}`);
    await lobbyBox(secondTab).waitFor();
    // Wait until the access token both tabs hold has expired: each reload then needs a refresh, at once.
    const expiresAt = Date.parse(
      (await bob.page.evaluate(
        "JSON.parse(localStorage.getItem('palaver.tokens')).accessTokenExpiresAt",
      )) as string,
    );
    await new Promise((done) => setTimeout(done, Math.max(0, expiresAt - Date.now() + 1000)));
    // Refresh tokens are single use: two tabs presenting the same one would end the session.
    await Promise.all([bob.page.reload(), secondTab.reload()]);
    await lobbyBox(bob.page).waitFor();
    await lobbyBox(secondTab).waitFor();
    await message(bob.page, 'missed message 5').waitFor();
    await lobbyBox(secondTab).fill('from the second tab');
    await lobbyBox(secondTab).press('Enter');
    await message(alice.page, 'from the second tab').waitFor();
    await message(bob.page, 'from the second tab').waitFor();
    await lobbyBox(bob.page).fill('after the reload');
    await lobbyBox(bob.page).press('Enter');
    await message(alice.page, 'after the reload').waitFor();
    assert.equal(await bob.page.getByRole('button', { name: 'Log in' }).count(), 0, 'still logged in');
    assert.equal(await secondTab.getByRole('button', { name: 'Log in' }).count(), 0, 'still logged in');
    assert.deepEqual(pageErrors, [], 'no page errors and no Content-Security-Policy violations');
  });
});
