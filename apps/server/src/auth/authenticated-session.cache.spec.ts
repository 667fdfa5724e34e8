import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthUser } from './auth-user';
import { AuthenticatedSessionCache } from './authenticated-session.cache';

const user: AuthUser = { id: 'u1', username: 'ada', role: 'member', sessionId: 's1' };
const later = Date.now() + 60_000;

describe('AuthenticatedSessionCache', () => {
  it('serves an entry only at the version it was read at', () => {
    const cache = new AuthenticatedSessionCache();
    cache.set('s1', { user, expiresAt: later, version: 4 });
    assert.equal(cache.get('s1', 'u1', 4), user);
    assert.equal(cache.get('s1', 'u1', 5), undefined);
    assert.equal(cache.size, 0, 'an entry older than the version is dropped');
  });

  it('refuses an entry whose session has ended or that names another user', () => {
    const cache = new AuthenticatedSessionCache();
    cache.set('s1', { user, expiresAt: Date.now() - 1, version: 1 });
    assert.equal(cache.get('s1', 'u1', 1), undefined);
    cache.set('s1', { user, expiresAt: later, version: 1 });
    assert.equal(cache.get('s1', 'u2', 1), undefined);
  });

  it('keeps an entry read at a later version when an older fill finishes after it', () => {
    const cache = new AuthenticatedSessionCache();
    const promoted: AuthUser = { ...user, role: 'moderator' };
    cache.set('s1', { user: promoted, expiresAt: later, version: 6 });
    cache.set('s1', { user, expiresAt: later, version: 5 });
    assert.equal(cache.get('s1', 'u1', 6), promoted);
  });

  it('holds at most its bound, dropping the least recently used', () => {
    const cache = new AuthenticatedSessionCache(2);
    for (const id of ['a', 'b', 'c']) cache.set(id, { user, expiresAt: later, version: 1 });
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a', 'u1', 1), undefined);
  });
});
