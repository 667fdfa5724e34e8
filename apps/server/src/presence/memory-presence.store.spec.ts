import { describe } from 'node:test';
import { MemoryPresenceStore } from './memory-presence.store';
import { presenceStoreContract } from './presence.store.contract';

describe('MemoryPresenceStore', () => {
  presenceStoreContract(async (nodeTtlMs) => new MemoryPresenceStore({ nodeTtlMs }));
});
