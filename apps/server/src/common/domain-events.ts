import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';

/**
 * The typed map of in-process domain events (`message.created`, `media.chunk`, ...).
 * Each feature declares its own events by augmenting this interface in its `*.events.ts` file:
 *
 *   declare module '../common/domain-events' {
 *     interface DomainEventMap { 'message.created': MessageCreatedEvent }
 *   }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DomainEventMap {}

export type DomainEventName = keyof DomainEventMap;

/** Emits and subscribes typed domain events; listeners must be idempotent. */
@Injectable()
export class DomainEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): void {
    this.emitter.emit(name as string, payload);
  }

  /** Resolves when every async listener settled (used where ordering matters, e.g. after-hooks in tests). */
  async emitAsync<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): Promise<void> {
    await this.emitter.emitAsync(name as string, payload);
  }

  on<K extends DomainEventName>(
    name: K,
    listener: (payload: DomainEventMap[K]) => void | Promise<void>,
  ): () => void {
    const wrapped = (payload: DomainEventMap[K]) => listener(payload);
    this.emitter.on(name as string, wrapped);
    return () => this.emitter.off(name as string, wrapped);
  }
}
