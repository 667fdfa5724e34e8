import type { PluginMessage, PluginUser } from '@palaver/plugin-sdk';
import type { AuthUser } from '../auth/auth-user';

/** What plugins see of the acting user (never the session id). */
export function toPluginUser(user: Pick<AuthUser, 'id' | 'username' | 'role'>): PluginUser {
  return { id: user.id, username: user.username, role: user.role };
}

/** A stored message (record with a Date or view with an ISO string) as plugins see it. */
export function toPluginMessage(message: {
  id: string;
  roomId: string;
  authorId: string;
  text: string;
  createdAt: Date | string;
}): PluginMessage {
  return {
    id: message.id,
    roomId: message.roomId,
    authorId: message.authorId,
    text: message.text,
    createdAt: typeof message.createdAt === 'string' ? message.createdAt : message.createdAt.toISOString(),
  };
}
