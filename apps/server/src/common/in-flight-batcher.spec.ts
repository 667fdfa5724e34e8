import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InFlightBatcher } from './in-flight-batcher';

/** A keyed store whose reads the test completes; each read answers with the values as they were when it began. */
class ControlledStore {
  readonly values = new Map<string, number>();
  readonly reads: { keys: string[]; finish: () => void; fail: (e: Error) => void }[] = [];

  readMany = (keys: string[]): Promise<Map<string, number>> => {
    const snapshot = new Map(keys.filter((k) => this.values.has(k)).map((k) => [k, this.values.get(k)!]));
    return new Promise((resolve, reject) =>
      this.reads.push({ keys, finish: () => resolve(snapshot), fail: reject }),
    );
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('InFlightBatcher', () => {
  it('reads a lone key at once and the keys asked for meanwhile together in the next read', async () => {
    const store = new ControlledStore();
    store.values.set('a', 1);
    const batcher = new InFlightBatcher(store.readMany);
    const first = batcher.load('a');
    assert.deepEqual(
      store.reads.map((r) => r.keys),
      [['a']],
    );
    store.values.set('a', 2); // changed after the first read began
    store.values.set('b', 3);
    const waiting = [batcher.load('a'), batcher.load('b'), batcher.load('b'), batcher.load('c')];
    assert.equal(store.reads.length, 1, 'nothing more is read while one read is in flight');
    store.reads[0]!.finish();
    assert.equal(await first, 1);
    await flush();
    assert.deepEqual(store.reads[1]!.keys, ['a', 'b', 'c'], 'one read, each key once');
    store.reads[1]!.finish();
    assert.deepEqual(await Promise.all(waiting), [2, 3, 3, undefined]);
  });

  it('splits a long wait over reads of at most maxBatch keys', async () => {
    const store = new ControlledStore();
    const batcher = new InFlightBatcher(store.readMany, 2);
    const all = ['a', 'b', 'c', 'd', 'e'].map((k) => batcher.load(k));
    for (let i = 0; i < 3; i++) {
      await flush();
      store.reads[i]!.finish();
    }
    await Promise.all(all);
    assert.deepEqual(
      store.reads.map((r) => r.keys),
      [['a'], ['b', 'c'], ['d', 'e']],
    );
  });

  it('a failed read rejects its own callers only', async () => {
    const store = new ControlledStore();
    store.values.set('b', 5);
    const batcher = new InFlightBatcher(store.readMany);
    const failing = batcher.load('a');
    const next = batcher.load('b');
    store.reads[0]!.fail(new Error('database unreachable'));
    await assert.rejects(failing, /database unreachable/);
    await flush();
    store.reads[1]!.finish();
    assert.equal(await next, 5);
  });
});
