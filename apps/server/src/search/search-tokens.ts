/** Tokens kept per message (distinct); a longer text is searchable by its first this-many words. */
export const MESSAGE_TOKENS_MAX = 500;
/** Longer "words" (hashes, URLs without separators) are cut to this length. */
const TOKEN_LENGTH_MAX = 64;
const WORD = /[\p{L}\p{N}_]+/gu;

/** Lower case, diacritics removed: "Café" and "cafe" are the same token. */
export function normalizeToken(word: string): string {
  return word.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().slice(0, TOKEN_LENGTH_MAX);
}

/** The words of a text with their positions in it (for highlighting). */
export function words(text: string): Array<{ token: string; start: number; end: number }> {
  return [...text.matchAll(WORD)].map((m) => ({
    token: normalizeToken(m[0]),
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
  }));
}

/** What a message stores in `tokens` for the search index: distinct normalized words, capped. */
export function searchTokens(text: string): string[] {
  const tokens = new Set<string>();
  for (const { token } of words(text)) {
    if (tokens.size >= MESSAGE_TOKENS_MAX) break;
    tokens.add(token);
  }
  return [...tokens];
}

/** [start, end) ranges of the text's words that are among `terms` (normalized). */
export function highlightRanges(text: string, terms: readonly string[]): Array<[number, number]> {
  const wanted = new Set(terms);
  return words(text)
    .filter((w) => wanted.has(w.token))
    .map((w): [number, number] => [w.start, w.end]);
}
