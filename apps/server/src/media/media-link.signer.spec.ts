import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MEDIA_LINK_TTL_SECONDS, MediaLinkSigner } from './media-link.signer';

const SECRET = 'x'.repeat(40);
const MEDIA = 'a'.repeat(32);
const NOW = Date.UTC(2026, 0, 1);

describe('MediaLinkSigner', () => {
  const signer = new MediaLinkSigner(SECRET);

  it('accepts its own link for the same media id until the expiry, naming the user', () => {
    const link = signer.issue(MEDIA, 'user-1', NOW);
    assert.equal(link.expiresAt.getTime(), NOW + MEDIA_LINK_TTL_SECONDS * 1000);
    assert.deepEqual(signer.check(MEDIA, link, NOW + 1000), {
      ok: true,
      link: { kind: 'media-link', mediaId: MEDIA, userId: 'user-1' },
    });
    assert.deepEqual(signer.check(MEDIA, link, link.expiresAt.getTime()), { ok: false, reason: 'expired' });
  });

  it('refuses the link for another media id, another user, another expiry or another secret', () => {
    const link = signer.issue(MEDIA, 'user-1', NOW);
    const bad = { ok: false, reason: 'bad-signature' };
    assert.deepEqual(signer.check('b'.repeat(32), link, NOW), bad);
    assert.deepEqual(signer.check(MEDIA, { ...link, u: 'user-2' }, NOW), bad);
    assert.deepEqual(signer.check(MEDIA, { ...link, exp: String(Number(link.exp) + 60) }, NOW), bad);
    assert.deepEqual(new MediaLinkSigner('y'.repeat(40)).check(MEDIA, link, NOW), bad);
  });

  it('calls missing or malformed fields malformed without comparing anything', () => {
    const link = signer.issue(MEDIA, 'user-1', NOW);
    const malformed = { ok: false, reason: 'malformed' };
    assert.deepEqual(signer.check(MEDIA, { ...link, sig: link.sig.slice(1) }, NOW), malformed);
    assert.deepEqual(signer.check(MEDIA, { ...link, sig: `${link.sig.slice(1)}=` }, NOW), malformed);
    assert.deepEqual(signer.check(MEDIA, { ...link, exp: '12e9' }, NOW), malformed);
    assert.deepEqual(signer.check(MEDIA, { u: link.u, exp: link.exp }, NOW), malformed);
    assert.deepEqual(signer.check(MEDIA, { ...link, u: '' }, NOW), malformed);
  });
});
