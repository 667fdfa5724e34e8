import type { SettingsSchema } from '@palaver/plugin-sdk';

/** 0 means unlimited. */
export interface QuotaLimits {
  maxBytes: number;
  maxFiles: number;
}

export interface QuotaSettings {
  defaultUser: QuotaLimits;
  defaultRoom: QuotaLimits;
  /** Per user id; replaces the default for that user. */
  users: Record<string, QuotaLimits>;
  /** Per room id; replaces the default for that room. */
  rooms: Record<string, QuotaLimits>;
}

export interface Usage {
  bytes: number;
  files: number;
}

const limits = {
  type: 'object',
  properties: {
    maxBytes: { type: 'integer', minimum: 0 },
    maxFiles: { type: 'integer', minimum: 0 },
  },
  required: ['maxBytes', 'maxFiles'],
  additionalProperties: false,
} as const;

export const settingsSchema: SettingsSchema<QuotaSettings> = {
  type: 'object',
  properties: {
    defaultUser: limits,
    defaultRoom: limits,
    users: { type: 'object', required: [], additionalProperties: limits },
    rooms: { type: 'object', required: [], additionalProperties: limits },
  },
  required: ['defaultUser', 'defaultRoom', 'users', 'rooms'],
  additionalProperties: false,
};

/** Unlimited until an admin sets limits. */
export const defaultSettings: QuotaSettings = {
  defaultUser: { maxBytes: 0, maxFiles: 0 },
  defaultRoom: { maxBytes: 0, maxFiles: 0 },
  users: {},
  rooms: {},
};

export type Scope = 'user' | 'room';

export function limitsFor(settings: QuotaSettings, scope: Scope, id: string): QuotaLimits {
  return scope === 'user'
    ? (settings.users[id] ?? settings.defaultUser)
    : (settings.rooms[id] ?? settings.defaultRoom);
}

/** Why storing `addBytes` more bytes (and `addFiles` more files) would exceed the limits, or undefined. */
export function exceeded(
  scope: Scope,
  used: Usage,
  limits: QuotaLimits,
  addBytes: number,
  addFiles: number,
): string | undefined {
  const who = scope === 'user' ? 'your' : "this room's";
  if (limits.maxFiles > 0 && used.files + addFiles > limits.maxFiles) {
    return `${who} storage quota allows ${limits.maxFiles} files`;
  }
  if (limits.maxBytes > 0 && used.bytes + addBytes > limits.maxBytes) {
    return `${who} storage quota of ${limits.maxBytes} bytes would be exceeded (${used.bytes} used)`;
  }
  return undefined;
}
