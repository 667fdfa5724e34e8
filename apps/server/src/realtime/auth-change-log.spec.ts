import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthChangeLog } from './auth-change-log';

describe('AuthChangeLog', () => {
  it('nothing heard since the handshake began concerns it', () => {
    const log = new AuthChangeLog();
    log.record({ userId: 'u1' });
    const start = log.position;
    assert.equal(log.concernsSince(start, 'u1', 's1'), false);
  });

  it('a change to every session of the user, or to this session, heard meanwhile concerns it', () => {
    const log = new AuthChangeLog();
    const start = log.position;
    log.record({ userId: 'u1', sessionId: 's2' });
    log.record({ userId: 'u2' });
    assert.equal(log.concernsSince(start, 'u1', 's1'), false, 'another session of the user, another user');
    log.record({ userId: 'u1', sessionId: 's1' });
    assert.equal(log.concernsSince(start, 'u1', 's1'), true);
    const next = log.position;
    log.record({ userId: 'u3' });
    assert.equal(log.concernsSince(next, 'u1', 's1'), false, 'heard before the handshake began');
    log.record({ userId: 'u1' });
    assert.equal(log.concernsSince(next, 'u1', 's9'), true);
  });

  it('when more changes arrived than it remembers, every handshake of that time is re-checked', () => {
    const log = new AuthChangeLog(4);
    const start = log.position;
    for (let i = 0; i < 5; i++) log.record({ userId: `other${i}` });
    assert.equal(log.concernsSince(start, 'u1', 's1'), true);
    assert.equal(log.concernsSince(start + 1, 'u1', 's1'), false);
  });
});
