import type {
  PluginFile,
  PluginMessage,
  PluginRoomInfo,
  PluginUser,
  PluginUserInfo,
} from '@palaver/plugin-sdk';

/**
 * What the host API needs from the rest of the server. Kept behind one abstract class so the plugin host
 * does not import every feature's service (and so MessagesService, which runs hooks, and the host API,
 * which sends messages, do not depend on each other at construction time).
 */
export abstract class PluginHostBackend {
  /** With `readableBy`: undefined unless that user may read the message's room. */
  abstract getMessage(messageId: string, readableBy?: PluginUser): Promise<PluginMessage | undefined>;
  /** Posts as the system; `pluginId` is shown as the author's name. */
  abstract sendSystemMessage(roomId: string, text: string, pluginId: string): Promise<{ id: string }>;
  abstract deleteMessage(messageId: string, reason: string): Promise<void>;
  abstract getUser(userId: string): Promise<PluginUserInfo | undefined>;
  abstract getRoom(roomId: string): Promise<PluginRoomInfo | undefined>;
  abstract listFiles(filter: { ownerId?: string; roomId?: string }): Promise<PluginFile[]>;
  /** Ends the user's live connections (after a ban). */
  abstract disconnectUser(userId: string, reason: string): Promise<void>;
}
