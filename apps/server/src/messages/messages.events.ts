import { AuthUser } from '../auth/auth-user';
import { MessageView } from './message.entity';

/** A message was stored, edited or deleted (tombstoned). `actor` did it. Listeners must be idempotent. */
export interface MessageChangedEvent {
  message: MessageView;
  actor: AuthUser;
}

declare module '../common/domain-events' {
  interface DomainEventMap {
    'message.created': MessageChangedEvent;
    'message.updated': MessageChangedEvent;
    'message.deleted': MessageChangedEvent;
  }
}
