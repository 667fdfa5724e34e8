/**
 * A value read from the database on demand, where each caller must get a read that began after it
 * called (so it reflects every write acknowledged before the call), and concurrent callers share reads:
 * at most one read is in flight; callers arriving meanwhile share the one that starts when it ends.
 * A reconnect storm of thousands of handshakes then costs a handful of reads, not thousands.
 */
export class SharedFreshRead<T> {
  private running: Promise<T> | null = null;
  private queued: Promise<T> | null = null;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    // A queued read has not begun yet: it begins after this call.
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    // The read in flight may have begun before this call: wait for it, then share the next one.
    this.queued = this.running.then(settled, settled).then(() => {
      this.queued = null;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<T> {
    const read = this.read();
    this.running = read;
    const done = () => {
      if (this.running === read) this.running = null;
    };
    read.then(done, done);
    return read;
  }
}

function settled(): void {}
