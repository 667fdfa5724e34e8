import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedFreshRead } from './shared-fresh-read';

/** A read whose completion the test controls; `value` is what the store holds when a read begins. */
class ControlledStore {
  value = 0;
  readonly pending: { resolve: (v: number) => void; reject: (e: Error) => void; sawValue: number }[] = [];

  read = (): Promise<number> =>
    new Promise((resolve, reject) => this.pending.push({ resolve, reject, sawValue: this.value }));

  /** Completes the oldest read with the value the store held when it began. */
  finishOne(): void {
    const read = this.pending.shift();
    assert.ok(read, 'a read is in flight');
    read.resolve(read.sawValue);
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('SharedFreshRead', () => {
  it('gives a caller that arrives while a read is in flight the next read, never the one already running', async () => {
    const store = new ControlledStore();
    const fresh = new SharedFreshRead(store.read);
    const early = fresh.get();
    store.value = 1; // written and acknowledged after the first read began
    const late = fresh.get();
    store.finishOne();
    assert.equal(await early, 0);
    await flush();
    assert.equal(store.pending.length, 1, 'the late caller waits for a read that began after it');
    store.finishOne();
    assert.equal(await late, 1);
  });

  it('shares one read among all callers that arrive while another is in flight', async () => {
    const store = new ControlledStore();
    const fresh = new SharedFreshRead(store.read);
    const first = fresh.get();
    const waiting = Array.from({ length: 100 }, () => fresh.get());
    store.finishOne();
    await first;
    await flush();
    assert.equal(store.pending.length, 1);
    store.value = 7;
    store.finishOne();
    const values = await Promise.all(waiting);
    assert.ok(values.every((v) => v === 0));
    assert.equal(store.pending.length, 0);
  });

  it('a failed read rejects its callers only; the next caller gets a new read', async () => {
    const store = new ControlledStore();
    const fresh = new SharedFreshRead(store.read);
    const failing = fresh.get();
    store.pending.shift()!.reject(new Error('database unreachable'));
    await assert.rejects(failing, /database unreachable/);
    store.value = 3;
    const next = fresh.get();
    store.finishOne();
    assert.equal(await next, 3);
  });
});
