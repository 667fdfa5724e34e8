import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { highlightRanges, searchTokens } from './search-tokens';

describe('search tokens', () => {
  it('stores distinct words lower-cased and without diacritics', () => {
    assert.deepEqual(searchTokens('Café, CAFE and naïve_user42!'), ['cafe', 'and', 'naive_user42']);
  });

  it('highlights every occurrence of the terms at its place in the original text', () => {
    const text = 'Le Café est un café.';
    assert.deepEqual(
      highlightRanges(text, ['cafe']).map(([s, e]) => text.slice(s, e)),
      ['Café', 'café'],
    );
  });
});
