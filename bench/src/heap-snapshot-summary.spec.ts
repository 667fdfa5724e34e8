import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { growthPerConnection, heapByType } from './heap-snapshot-summary';

const meta = {
  node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
  node_types: [['hidden', 'array', 'string', 'object', 'code', 'closure']] as [string[]],
};

describe('heap snapshot summary', () => {
  it('totals self size per constructor, closures marked, other node types in parentheses', () => {
    const totals = heapByType({
      snapshot: { meta },
      // type, name, id, self_size, edge_count
      nodes: [3, 0, 1, 40, 0, 3, 0, 2, 40, 0, 5, 1, 3, 32, 0, 1, 2, 4, 100, 0],
      strings: ['Socket', 'onPacket', ''],
    });
    assert.deepEqual(totals.get('Socket'), { count: 2, bytes: 80 });
    assert.deepEqual(totals.get('onPacket()'), { count: 1, bytes: 32 });
    assert.deepEqual(totals.get('(array)'), { count: 1, bytes: 100 });
  });

  it('divides the growth between two snapshots by the connections opened, largest first', () => {
    const before = new Map([['Socket', { count: 1, bytes: 100 }]]);
    const after = new Map([
      ['Socket', { count: 11, bytes: 1100 }],
      ['Subscriber', { count: 30, bytes: 3000 }],
    ]);
    assert.deepEqual(growthPerConnection(before, after, 10), [
      { name: 'Subscriber', countPerConnection: 3, bytesPerConnection: 300 },
      { name: 'Socket', countPerConnection: 1, bytesPerConnection: 100 },
    ]);
  });
});
