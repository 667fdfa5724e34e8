import { Global, Module } from '@nestjs/common';
import { DomainEvents } from './domain-events';

/** Makes the typed DomainEvents emitter injectable everywhere (needs EventEmitterModule.forRoot()). */
@Global()
@Module({ providers: [DomainEvents], exports: [DomainEvents] })
export class DomainEventsModule {}
