import { definePlugin, modify, reject } from '@palaver/plugin-sdk';

export interface RollSettings {
  /** Most dice one command may roll. */
  maxDice: number;
  /** Most sides a die may have. */
  maxSides: number;
}

const COMMAND = /^\/roll(?:\s+(\d{1,3})d(\d{1,4}))?\s*$/i;

/** A random integer in [1, sides]; replaceable in tests. */
export type Die = (sides: number) => number;
const fairDie: Die = (sides) => 1 + Math.floor(Math.random() * sides);

/** Turns `/roll 2d6` into the rolled result; `/roll` alone rolls 1d6. Any other text passes unchanged. */
export function rollCommand(text: string, settings: RollSettings, die: Die = fairDie) {
  const match = COMMAND.exec(text);
  if (!match) return undefined;
  const count = match[1] ? Number(match[1]) : 1;
  const sides = match[2] ? Number(match[2]) : 6;
  if (count < 1 || count > settings.maxDice) return reject(`you can roll 1 to ${settings.maxDice} dice`);
  if (sides < 2 || sides > settings.maxSides) return reject(`dice have 2 to ${settings.maxSides} sides`);
  const rolls = Array.from({ length: count }, () => die(sides));
  const total = rolls.reduce((sum, n) => sum + n, 0);
  return modify({ text: `🎲 ${count}d${sides}: ${rolls.join(' + ')}${count > 1 ? ` = ${total}` : ''}` });
}

export default definePlugin<RollSettings>({
  id: 'example-roll',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  displayName: 'Dice roller',
  description: 'Replaces `/roll NdS` with the rolled dice. The template `palaver-plugin create` copies.',
  permissions: [],
  settings: {
    schema: {
      type: 'object',
      properties: {
        maxDice: { type: 'integer', minimum: 1, maximum: 100 },
        maxSides: { type: 'integer', minimum: 2, maximum: 1000 },
      },
      required: ['maxDice', 'maxSides'],
      additionalProperties: false,
    },
    defaults: { maxDice: 10, maxSides: 100 },
  },
  hooks: {
    'message.beforeSend': ({ text }, ctx) => {
      const decision = rollCommand(text, ctx.settings);
      if (decision?.action === 'modify') ctx.metrics.increment('rolls');
      return decision;
    },
  },
});
