import type { SettingsSchema } from '@palaver/plugin-sdk';

export type FilterAction = 'block' | 'mask';

export interface RoomFilterOverride {
  /** `off` disables the word filter in this room; otherwise replaces the install-wide action. */
  action: FilterAction | 'off';
  /** Patterns added to the install-wide list in this room. */
  extraPatterns: string[];
}

export interface ModerationSettings {
  filter: {
    /** Plain words (matched whole, case-insensitively) or `/regex/flags`. */
    patterns: string[];
    action: FilterAction;
    /** Per room id. */
    rooms: Record<string, RoomFilterOverride>;
  };
  flood: {
    /** At most this many messages per user per `perSeconds`, across every node; 0 turns it off. */
    messages: number;
    perSeconds: number;
  };
  links: {
    /** When not empty, only links to these domains (and their subdomains) are allowed. */
    allowDomains: string[];
    denyDomains: string[];
    /** Accounts younger than this many minutes may not post links; 0 turns it off. */
    newAccountMinutes: number;
  };
  mentions: {
    /** At most this many @mentions per message; 0 turns it off. */
    maxPerMessage: number;
  };
}

const stringList = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 200 },
  maxItems: 1000,
} as const;

export const settingsSchema: SettingsSchema<ModerationSettings> = {
  type: 'object',
  properties: {
    filter: {
      type: 'object',
      properties: {
        patterns: stringList,
        action: { type: 'string', enum: ['block', 'mask'] },
        rooms: {
          type: 'object',
          required: [],
          additionalProperties: {
            type: 'object',
            properties: {
              action: { type: 'string', enum: ['block', 'mask', 'off'] },
              extraPatterns: stringList,
            },
            required: ['action', 'extraPatterns'],
            additionalProperties: false,
          },
        },
      },
      required: ['patterns', 'action', 'rooms'],
      additionalProperties: false,
    },
    flood: {
      type: 'object',
      properties: {
        messages: { type: 'integer', minimum: 0, maximum: 10000 },
        perSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
      },
      required: ['messages', 'perSeconds'],
      additionalProperties: false,
    },
    links: {
      type: 'object',
      properties: {
        allowDomains: stringList,
        denyDomains: stringList,
        newAccountMinutes: { type: 'integer', minimum: 0, maximum: 525600 },
      },
      required: ['allowDomains', 'denyDomains', 'newAccountMinutes'],
      additionalProperties: false,
    },
    mentions: {
      type: 'object',
      properties: { maxPerMessage: { type: 'integer', minimum: 0, maximum: 1000 } },
      required: ['maxPerMessage'],
      additionalProperties: false,
    },
  },
  required: ['filter', 'flood', 'links', 'mentions'],
  additionalProperties: false,
};

/** Everything off: an install turns on what it wants from the admin console. */
export const defaultSettings: ModerationSettings = {
  filter: { patterns: [], action: 'block', rooms: {} },
  flood: { messages: 0, perSeconds: 10 },
  links: { allowDomains: [], denyDomains: [], newAccountMinutes: 0 },
  mentions: { maxPerMessage: 0 },
};
