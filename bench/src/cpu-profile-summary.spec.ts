import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packageOf, summariseProfile, type CpuProfile } from './cpu-profile-summary';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });

describe('cpu profile summary', () => {
  it('names the package, node core, a server feature folder or V8 bookkeeping for a frame', () => {
    assert.equal(
      packageOf('file:///w/node_modules/socket.io-parser/build/cjs/index.js', 'encode'),
      'socket.io-parser',
    );
    assert.equal(packageOf('file:///w/node_modules/@nestjs/core/router.js', 'x'), '@nestjs/core');
    assert.equal(packageOf('node:internal/streams/writable', 'write'), 'node (core)');
    assert.equal(
      packageOf('file:///w/apps/server/dist/src/messages/messages.service.js', 'send'),
      'apps/server/messages',
    );
    assert.equal(packageOf('', '(garbage collector)'), '(garbage collector)');
  });

  it('adds self time per function and package, leaves idle out, and sorts by cost', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4] },
        { id: 2, callFrame: frame('(idle)', '') },
        { id: 3, callFrame: frame('encode', 'file:///w/node_modules/socket.io-parser/index.js') },
        { id: 4, callFrame: frame('send', 'file:///w/apps/server/dist/src/messages/messages.service.js') },
      ],
      samples: [2, 3, 3, 4, 2],
      timeDeltas: [1000, 3000, 3000, 2000, 5000],
      startTime: 0,
      endTime: 14000,
    };
    const summary = summariseProfile(profile);
    assert.equal(summary.totalMs, 8);
    assert.deepEqual(
      summary.byPackage.map((r) => [r.name, r.selfMs, r.share]),
      [
        ['socket.io-parser', 6, 0.75],
        ['apps/server/messages', 2, 0.25],
      ],
    );
    assert.equal(summary.byFunction[0]!.name, 'encode socket.io-parser/index.js:10');
  });
});
