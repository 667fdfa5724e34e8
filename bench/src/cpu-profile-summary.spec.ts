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

  it('adds self time per function and package, leaves idle and the probe stopping the profiler out, and sorts by cost', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4, 6] },
        { id: 2, callFrame: frame('(idle)', '') },
        { id: 3, callFrame: frame('encode', 'file:///w/node_modules/socket.io-parser/index.js') },
        {
          id: 4,
          callFrame: frame('send', 'file:///w/apps/server/dist/src/messages/messages.service.js'),
          children: [5],
        },
        { id: 5, callFrame: frame('insertOne', 'file:///w/node_modules/mongodb/lib/collection.js') },
        { id: 6, callFrame: frame('answer', 'file:///w/bench/dist/src/server-probe.js'), children: [7] },
        { id: 7, callFrame: frame('dispatch', '') },
      ],
      samples: [2, 3, 3, 4, 5, 2, 7],
      timeDeltas: [1000, 3000, 3000, 2000, 4000, 5000, 9000],
      startTime: 0,
      endTime: 14000,
    };
    const summary = summariseProfile(profile);
    assert.equal(summary.totalMs, 12);
    assert.deepEqual(
      summary.byPackage.map((r) => [r.name, r.selfMs, r.share]),
      [
        ['socket.io-parser', 6, 0.5],
        ['mongodb', 4, 1 / 3],
        ['apps/server/messages', 2, 1 / 6],
      ],
    );
    assert.equal(summary.byFunction[0]!.name, 'encode socket.io-parser/index.js:10');
    // insertOne ran under MessagesService.send: charged to it; encode had no server frame above it.
    assert.deepEqual(
      summary.byServerCaller.map((r) => [r.name, r.selfMs]),
      [
        ['(socket.io-parser)', 6],
        ['send messages/messages.service.js:10', 6],
      ],
    );
  });
});
