/** The token stored for `@room` (usernames cannot contain '@', so it never collides with one). */
export const ROOM_MENTION = '@room';

// Usernames are 3-32 of [A-Za-z0-9_.-]; a mention starts the text or follows a character that cannot be
// part of a word or an e-mail address (so `ada@example.org` mentions no one).
const MENTION = /(?:^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,32})/g;

/**
 * Who a text mentions: lower-cased usernames, and ROOM_MENTION for `@room`; sorted, no duplicates.
 * Trailing dots and dashes are punctuation ("thanks @ada."), so a username ending in one of them can only
 * be mentioned mid-sentence.
 */
export function parseMentions(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(MENTION)) {
    const name = match[1].replace(/[.-]+$/, '').toLowerCase();
    if (name === 'room') found.add(ROOM_MENTION);
    else if (name.length >= 3) found.add(name);
  }
  return [...found].sort();
}
