/**
 * Cross-node messages (revocation, media chunk notices, config/plugin-setting changes, admin broadcasts).
 * Each feature declares its channels by augmenting BusChannels in its own file:
 *
 *   declare module '../cluster/cluster-bus' {
 *     interface BusChannels { 'media.chunk': { fileId: string; length: number } }
 *   }
 *
 * The in-process implementation serves a single node (REDIS_URL unset); the Redis one fans out to every
 * node, including the publishing one, so subscribers behave the same in both modes.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BusChannels {}

export type BusChannel = keyof BusChannels;
export type BusHandler<K extends BusChannel> = (payload: BusChannels[K]) => void;

export abstract class ClusterBus {
  /** Deliver to every subscriber of the channel on every node (this one included). */
  abstract publish<K extends BusChannel>(channel: K, payload: BusChannels[K]): Promise<void>;
  /** Returns the unsubscribe function. */
  abstract subscribe<K extends BusChannel>(channel: K, handler: BusHandler<K>): () => void;
}

export class InProcessClusterBus extends ClusterBus {
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();

  async publish<K extends BusChannel>(channel: K, payload: BusChannels[K]): Promise<void> {
    for (const handler of this.handlers.get(channel as string) ?? []) {
      // A failing subscriber must not stop delivery to the others.
      try {
        handler(payload);
      } catch {
        /* handlers log their own failures */
      }
    }
  }

  subscribe<K extends BusChannel>(channel: K, handler: BusHandler<K>): () => void {
    const set = this.handlers.get(channel as string) ?? new Set();
    set.add(handler as (payload: unknown) => void);
    this.handlers.set(channel as string, set);
    return () => set.delete(handler as (payload: unknown) => void);
  }
}
