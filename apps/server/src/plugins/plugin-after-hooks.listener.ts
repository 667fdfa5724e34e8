import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '../common/domain-events';
import '../messages/messages.events';
import { HookRunner } from './hook-runner';
import { toPluginMessage, toPluginUser } from './hook-payloads';

/**
 * Runs notify hooks off domain events, after the action is done and acknowledged, so a slow plugin never
 * delays the sender. HookRunner.notify never throws.
 */
@Injectable()
export class PluginAfterHooksListener implements OnModuleInit, OnModuleDestroy {
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly events: DomainEvents,
    private readonly hooks: HookRunner,
  ) {}

  onModuleInit(): void {
    this.unsubscribers.push(
      this.events.on('message.created', ({ message, actor }) => {
        if (!this.hooks.has('message.afterSend')) return;
        void this.hooks.notify('message.afterSend', {
          user: toPluginUser(actor),
          message: toPluginMessage(message),
        });
      }),
    );
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }
}
