import type { ModerationSettings } from './settings';

/** Pure message checks (no I/O), so they are unit-testable and cheap on the send path. */

export type FilterVerdict =
  { kind: 'clean' } | { kind: 'blocked'; match: string } | { kind: 'masked'; text: string };

const compiled = new Map<string, RegExp | null>();

/** `/re/flags` is a regex; anything else a whole word, case-insensitive. Invalid regexes never match. */
export function patternToRegExp(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re !== undefined) return re;
  const literal = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  try {
    if (literal) {
      const flags = new Set(literal[2].replace(/[^imsu]/g, ''));
      flags.add('g');
      re = new RegExp(literal[1], [...flags].join(''));
    } else {
      const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      re = new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'giu');
    }
  } catch {
    re = null;
  }
  if (compiled.size > 5000) compiled.clear();
  compiled.set(pattern, re);
  return re;
}

/** Applies the word filter with the room's override. */
export function applyWordFilter(
  text: string,
  roomId: string,
  filter: ModerationSettings['filter'],
): FilterVerdict {
  const override = filter.rooms[roomId];
  if (override?.action === 'off') return { kind: 'clean' };
  const action = override?.action ?? filter.action;
  const patterns = override ? [...filter.patterns, ...override.extraPatterns] : filter.patterns;
  let result = text;
  let changed = false;
  for (const pattern of patterns) {
    const re = patternToRegExp(pattern);
    if (!re) continue;
    re.lastIndex = 0;
    const found = re.exec(result);
    if (!found || found[0].length === 0) continue;
    if (action === 'block') return { kind: 'blocked', match: pattern };
    re.lastIndex = 0;
    result = result.replace(re, (m) => '*'.repeat([...m].length));
    changed = true;
  }
  return changed ? { kind: 'masked', text: result } : { kind: 'clean' };
}

/** Hosts of http(s) links and bare `www.` links, lowercased. */
export function linkHosts(text: string): string[] {
  const hosts: string[] = [];
  for (const m of text.matchAll(/\b(?:https?:\/\/([^\s/?#:]+)|(www\.[^\s/?#:]+))/gi)) {
    hosts.push((m[1] ?? m[2]).toLowerCase().replace(/\.$/, ''));
  }
  return hosts;
}

function matchesDomain(host: string, domain: string): boolean {
  const d = domain.toLowerCase().replace(/^\*?\./, '');
  return host === d || host.endsWith(`.${d}`);
}

/** The first host the link policy refuses, with why; undefined when every link is fine. */
export function refusedLink(hosts: string[], links: ModerationSettings['links']): string | undefined {
  for (const host of hosts) {
    if (links.denyDomains.some((d) => matchesDomain(host, d))) return `links to ${host} are not allowed`;
    if (links.allowDomains.length > 0 && !links.allowDomains.some((d) => matchesDomain(host, d))) {
      return `links to ${host} are not allowed here`;
    }
  }
  return undefined;
}

export function mentionCount(text: string): number {
  return [...text.matchAll(/(?<![\w@])@[A-Za-z0-9_.-]{1,32}/g)].length;
}
