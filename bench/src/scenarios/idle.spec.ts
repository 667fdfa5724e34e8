import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openFileLimit } from './idle';

describe('idle scenario open-file limit', () => {
  it('reads the soft limit from /proc/self/limits text', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
      'Max open files            20000                20000                files     \n';
    assert.equal(openFileLimit(text), 20000);
  });

  it('treats unlimited as no limit and a missing line as the usual 1024', () => {
    assert.equal(
      openFileLimit('Max open files            unlimited            unlimited            files\n'),
      Number.MAX_SAFE_INTEGER,
    );
    assert.equal(openFileLimit('Max processes 100 100 processes\n'), 1024);
  });
});
