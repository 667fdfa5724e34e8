import { PalaverClient, RoomView, SendMessageAck } from '@palaver/client';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { ensureBrowserAppBuilt, launchChromium } from './support/browser';
import { startCluster, TestCluster } from './support/cluster';
import { waitFor } from './support/ports';

const UI_TIMEOUT = 15_000;
/** More than one history page (50) after the searched message: opening it must load older pages. */
const FILLER_MESSAGES = 70;

const suffix = randomUUID().slice(0, 6);
const password = 'correct horse battery';
const word = `needle${suffix}`;

/** The little of the DOM read inside evaluate() (this project compiles without lib "dom"). */
interface PageRect {
  top: number;
  bottom: number;
}
interface PageElement {
  getBoundingClientRect(): PageRect;
  closest(selector: string): PageElement | null;
}

async function countIs(locator: Locator, expected: number, what: string): Promise<void> {
  await waitFor(`${what} (${expected})`, async () => (await locator.count()) === expected, UI_TIMEOUT, 100);
}

describe('web app: search, pins, room settings and account in a real browser (Chromium)', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  let context: BrowserContext;
  /** bob on another device (the SDK): logged out by bob's password change in the page. */
  let bobDevice: PalaverClient;
  /** The room's owner, writing through the SDK. */
  let owner: PalaverClient;
  let room: RoomView;
  let secretRoom: RoomView;
  let needle: SendMessageAck;
  let ownerNote: SendMessageAck;
  const pageErrors: string[] = [];
  const bobName = `bob_${suffix}`;

  function message(text: string): Locator {
    return page.locator('article.message[data-message-id]', { hasText: text });
  }

  before(async () => {
    ensureBrowserAppBuilt('@palaver/web');
    cluster = await startCluster({ nodes: 1, redis: false });
    const url = cluster.nodes[0]!.url;
    // The first account of an install becomes admin (and reads every room): a throwaway takes that.
    await new PalaverClient(url).register(`root_${suffix}`, password);
    owner = new PalaverClient(url);
    await owner.register(`owner_${suffix}`, password);
    const bob = new PalaverClient(url);
    await bob.register(bobName, password);
    bobDevice = bob;
    room = await owner.rooms.create({ name: `plaza-${suffix}`, kind: 'public' });
    secretRoom = await owner.rooms.create({ name: `vault-${suffix}`, kind: 'private' });
    await bob.rooms.join(room.id);
    await owner.socket.connect();
    needle = await owner.socket.send(room.id, `the ${word} is hidden here`);
    await owner.socket.send(secretRoom.id, `a secret ${word} bob may not read`);
    ownerNote = await owner.socket.send(room.id, 'the owner pins this note');
    for (let i = 0; i < FILLER_MESSAGES; i++) await owner.socket.send(room.id, `filler ${i}`);

    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) pageErrors.push(msg.text());
    });
    page.on('pageerror', (err) => pageErrors.push(`page error: ${err.message}`));
    await page.goto(`${url}/`);
    await page.getByLabel('Username').fill(bobName);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).last().click();
    await page.locator(`button.room-entry[data-room-id="${room.id}"]`).waitFor();
  });

  function composer(target: Page, roomName: string): Locator {
    return target.getByRole('textbox', { name: `Message #${roomName}`, exact: true });
  }

  after(async () => {
    owner?.socket.disconnect();
    await browser?.close();
    await cluster?.close();
  });

  it('a search finds messages only in rooms the member may read, and a result opens the room at the message, loading older history to reach it', async () => {
    await page.getByRole('button', { name: 'Search messages' }).click();
    const pane = page.getByRole('complementary', { name: 'Search messages' });
    await pane.getByRole('searchbox', { name: 'Search messages' }).fill(word.toUpperCase());
    await pane.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
    const hits = pane.locator('button.search-hit');
    await hits.first().waitFor();
    assert.equal(await hits.count(), 1, 'the private room of another member is not searched');
    assert.equal(await hits.first().getAttribute('data-message-id'), needle.id);
    assert.equal(await hits.first().locator('mark').innerText(), word, 'the matching word is highlighted');

    await hits.first().click();
    const target = page.locator(`article.message.focused[data-message-id="${needle.id}"]`);
    await target.waitFor();
    assert.match(page.url(), new RegExp(`/r/${room.id}$`), 'the room is open');
    // The message is older than the first page: it was reached by loading older pages, and is in view.
    await waitFor(
      'the result scrolled into view',
      () =>
        target.evaluate((el: PageElement) => {
          const box = el.getBoundingClientRect();
          const view = el.closest('[role="log"]')!.getBoundingClientRect();
          return box.top >= view.top && box.bottom <= view.bottom;
        }),
      UI_TIMEOUT,
      100,
    );
    await message('filler 69').waitFor({ state: 'attached' });

    await pane.getByRole('searchbox', { name: 'Search messages' }).fill(`${word} absentword`);
    await pane.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
    await pane.getByText('No messages contain all of these words.').waitFor();
    await page.getByRole('button', { name: 'Close search' }).click();
    assert.deepEqual(pageErrors, []);
  });

  it('a member pins their own message but not others’; pins by the owner appear live in the pinned panel, which unpins and opens messages', async () => {
    const box = page.getByRole('textbox', { name: `Message #plaza-${suffix}`, exact: true });
    await box.fill('bob pins his own words');
    await box.press('Enter');
    const own = message('bob pins his own words');
    await own.waitFor();
    await own.hover();
    await own.getByRole('button', { name: 'Pin', exact: true }).click();
    await own.getByText('📌 Pinned').waitFor();
    await waitFor(
      'the server lists the pin',
      async () =>
        (await owner.socket.request('pin:list', { roomId: room.id })).some(
          (p) => p.message.text === 'bob pins his own words',
        ),
      UI_TIMEOUT,
      100,
    );
    const others = message('filler 69');
    await others.hover();
    await countIs(
      others.getByRole('button', { name: 'Pin', exact: true }),
      0,
      'no pin action on others’ messages',
    );

    await page.getByRole('button', { name: /pinned$/ }).click();
    const panel = page.getByRole('complementary', { name: 'Pinned messages' });
    await countIs(panel.locator('li.pin'), 1, 'the pinned panel lists bob’s pin');
    await owner.socket.request('pin:add', { messageId: ownerNote.id });
    await panel.locator(`li.pin[data-message-id="${ownerNote.id}"]`).waitFor();
    await page.getByRole('button', { name: '📌 2 pinned' }).waitFor();
    await countIs(
      panel.locator(`li.pin[data-message-id="${ownerNote.id}"]`).getByRole('button', { name: /^Unpin/ }),
      0,
      'a member cannot unpin the owner’s pin',
    );

    await panel.getByRole('button', { name: 'Unpin bob pins his own words' }).click();
    await countIs(panel.locator('li.pin'), 1, 'the unpinned message leaves the panel');
    const pins = await owner.socket.request('pin:list', { roomId: room.id });
    assert.deepEqual(
      pins.map((p) => p.message.id),
      [ownerNote.id],
    );

    await panel.locator(`li.pin[data-message-id="${ownerNote.id}"] button.pin-open`).click();
    await page.locator(`article.message.focused[data-message-id="${ownerNote.id}"]`).waitFor();
    await owner.socket.request('pin:remove', { messageId: ownerNote.id });
    await countIs(panel.locator('li.pin'), 0, 'an unpin by the owner leaves the panel live');
    assert.deepEqual(pageErrors, []);
  });

  it('room settings are offered to the owner only: rename, topic and archive change the room for everyone', async () => {
    await countIs(page.getByRole('button', { name: 'Settings' }), 0, 'no settings for a member of the plaza');
    const den = await bobDevice.rooms.create({ name: `den-${suffix}`, kind: 'public' });
    await owner.rooms.join(den.id);
    await page.locator(`button.room-entry[data-room-id="${den.id}"]`).click();
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Room settings' });
    await dialog.getByLabel('Name').fill(`lair-${suffix}`);
    await dialog.getByLabel('Topic').fill('where bob keeps things');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: `lair-${suffix}` }).waitFor();
    await page.getByText('where bob keeps things').waitFor();
    const renamed = await owner.rooms.get(den.id);
    assert.equal(renamed.name, `lair-${suffix}`);
    assert.equal(renamed.topic, 'where bob keeps things');

    await page.getByRole('button', { name: 'Settings' }).click();
    await dialog.getByRole('button', { name: 'Archive room' }).click();
    await page.getByText('This room is archived: it is read-only.').waitFor();
    assert.equal((await owner.rooms.get(den.id)).archived, true);
    await assert.rejects(owner.socket.send(den.id, 'too late'), /archived|forbidden|read-only/i);
    assert.deepEqual(pageErrors, []);
  });

  it('a password change keeps this browser logged in (every tab) and logs out the other device; a wrong current password is named', async () => {
    const second = await context.newPage();
    second.setDefaultTimeout(UI_TIMEOUT);
    second.on('pageerror', (err) => pageErrors.push(`page error: ${err.message}`));
    await second.goto(`${cluster.nodes[0]!.url}/r/${room.id}`);
    await composer(second, `plaza-${suffix}`).waitFor();

    await page.locator(`button.room-entry[data-room-id="${room.id}"]`).click();
    await page.getByRole('button', { name: 'Account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Your account' });
    await dialog.getByRole('textbox', { name: 'Display name' }).fill('Bob the Builder');
    await dialog.getByRole('button', { name: 'Save name' }).click();
    await dialog.getByText('Display name saved.').waitFor();
    assert.equal((await owner.users.getByUsername(bobName)).displayName, 'Bob the Builder');

    await dialog.getByLabel('Current password').fill('not the password');
    await dialog.getByLabel('New password', { exact: true }).fill('a brand new secret');
    await dialog.getByLabel('Repeat new password').fill('a brand new secret');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByRole('alert').waitFor();
    assert.match(await dialog.getByRole('alert').innerText(), /password/i);

    await dialog.getByLabel('Current password').fill(password);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByText('Password changed.').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    await assert.rejects(bobDevice.me(), 'the other device is logged out');
    await assert.rejects(new PalaverClient(cluster.nodes[0]!.url).login(bobName, password));
    for (const [tab, text] of [
      [page, 'still here after the change'],
      [second, 'the other tab too'],
    ] as const) {
      await composer(tab, `plaza-${suffix}`).fill(text);
      await composer(tab, `plaza-${suffix}`).press('Enter');
      await waitFor(
        `"${text}" stored`,
        async () =>
          (await owner.socket.history({ roomId: room.id, limit: 5 })).messages.some((m) => m.text === text),
        UI_TIMEOUT,
        100,
      );
    }
    await page.reload();
    await composer(page, `plaza-${suffix}`).waitFor();
    await countIs(page.locator('[data-connection="ended"]'), 0, 'no ended session banner');
    await countIs(second.locator('[data-connection="ended"]'), 0, 'no ended session banner in the other tab');
    assert.deepEqual(pageErrors, []);
  });
});
