import { createContext, useContext, useSyncExternalStore } from 'react';
import type { ChatStore } from './chat-store';

export const ChatStoreContext = createContext<ChatStore | null>(null);

/** The chat store, re-rendering the caller whenever it changes. */
export function useChat(): ChatStore {
  const store = useContext(ChatStoreContext);
  if (!store) throw new Error('useChat outside ChatStoreContext');
  useSyncExternalStore(store.subscribe, store.getVersion);
  return store;
}
